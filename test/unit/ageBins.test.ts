import { describe, expect, it } from 'vitest'
import { ageToBin, binAgeRange, isValidAge } from '../../src/shared/ageBins'

describe('ageToBin', () => {
  it('puts each edge age into the bin docs/architecture.md gives', () => {
    const cases: [number, number][] = [
      [0, 0],
      [18, 0],
      [19, 1],
      [29, 1],
      [30, 2],
      [39, 2],
      [40, 3],
      [49, 3],
      [50, 4],
      [59, 4],
      [60, 5],
      [116, 5],
    ]
    for (const [age, bin] of cases) expect(ageToBin(age), `age ${age}`).toBe(bin)
  })

  it('gives no bin to an invalid age instead of reusing a previous label', () => {
    for (const age of [-1, 121, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(ageToBin(age), `age ${age}`).toBeNull()
    expect(isValidAge(35)).toBe(true)
  })

  it('draws demo ages that stay inside their bin', () => {
    for (let bin = 0; bin < 6; bin++) {
      const [low, high] = binAgeRange(bin as 0)
      expect(ageToBin(low)).toBe(bin)
      expect(ageToBin(high)).toBe(bin)
    }
  })
})
