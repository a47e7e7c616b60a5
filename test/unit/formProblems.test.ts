// The New run form's problems in words, from the contract schema's own issues.
import { describe, expect, it } from 'vitest'
import { fieldProblems } from '../../src/renderer/src/lib/formProblems'
import { TrainConfigSchema } from '../../src/shared/training'
import { requestProblems } from '../../src/shared/problems'
import { calls, type CallName } from '../../src/shared/contract'
import { MAX_AGE } from '../../src/shared/ageBins'

const problems = (input: object) => {
  const parsed = TrainConfigSchema.safeParse({ preset: 'tiny', ...input })
  return parsed.success ? {} : fieldProblems(parsed.error.issues)
}

describe('fieldProblems', () => {
  it('says an exclusive minimum as "more than", an inclusive one as "at least"', () => {
    expect(problems({ lrG: 0 })).toEqual({ lrG: 'lr G: more than 0.' })
    expect(problems({ batch: 1 })).toEqual({ batch: 'Batch: at least 2.' })
    expect(problems({ steps: 1e9 })).toEqual({ steps: 'Steps: at most 10,000,000.' })
  })
})

describe('requestProblems', () => {
  const reply = (name: CallName, input: unknown) => {
    const parsed = calls[name].input.safeParse(input)
    return parsed.success ? '' : requestProblems(name, parsed.error.issues)
  }

  it('says what is wrong with a request in plain words, naming the field, with no validator symbols', () => {
    const sessionId = '00000000-0000-4000-8000-000000000000'
    expect(reply('editor.prepare', { sessionId, faceIndex: 0, runId: 'run-a', sourceAge: 130 })).toBe('editor.prepare: sourceAge: at most 120.')
    expect(reply('batch.run', { paths: ['/a'], ages: [40, 500], runId: 'run-a' })).toBe('batch.run: ages[1]: at most 120.')
    expect(reply('batch.run', { paths: [], ages: [40], runId: 'run-a', extra: 1 })).toBe('batch.run: paths: pick at least 1. unknown field "extra".')
    expect(reply('editor.export', { sessionId, position: 1, format: 'gif' })).toBe('editor.export: format: one of "png", "jpeg".')
    expect(reply('app.info', null)).toBe('app.info: expected object.')
  })

  it('takes every age in the studio in one range: batch targets as high as the editor’s ages', () => {
    expect(reply('batch.run', { paths: ['/a'], ages: [MAX_AGE], runId: 'run-a' })).toBe('')
  })
})
