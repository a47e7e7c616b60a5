// The New run form's problems in words, from the contract schema's own issues.
import { describe, expect, it } from 'vitest'
import { fieldProblems } from '../../src/renderer/src/lib/formProblems'
import { TrainConfigSchema } from '../../src/shared/training'

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
