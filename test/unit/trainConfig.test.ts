// A new run's defaults: DiffAugment on for tiny and compact, off for the paper's exact preset.
import { describe, expect, it } from 'vitest'
import { forNewRun, TrainConfigSchema } from '../../src/shared/training'

const newRun = (input: object) => forNewRun(TrainConfigSchema.parse(input))

describe('a new run’s configuration', () => {
  it('turns DiffAugment on by default except for the paper preset', () => {
    expect(newRun({ preset: 'tiny' }).diffAugment).toBe(true)
    expect(newRun({ preset: 'compact' }).diffAugment).toBe(true)
    expect(newRun({ preset: 'paper' }).diffAugment).toBe(false)
  })

  it('keeps what the user asked for', () => {
    expect(newRun({ preset: 'compact', diffAugment: false }).diffAugment).toBe(false)
    expect(newRun({ preset: 'paper', diffAugment: true }).diffAugment).toBe(true)
  })

  it('reads an older stored run without the field as one that trained without it', () => {
    expect(TrainConfigSchema.parse({ preset: 'compact', steps: 10 }).diffAugment).toBeUndefined()
  })
})
