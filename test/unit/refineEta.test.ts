// Refinement's time left counts down steadily and re-estimates only on a real change of pace.
import { describe, expect, it } from 'vitest'
import { RefineEta } from '../../src/renderer/src/lib/refineEta'

/** The figures shown for steps taking `stepMs(i)` each, one report a step. */
function shown(stepMs: (i: number) => number, total = 60): (number | null)[] {
  const eta = new RefineEta()
  let now = 0
  const out: (number | null)[] = [eta.update(now, 1, total)]
  for (let i = 2; i <= total; i++) out.push(eta.update((now += stepMs(i)), i, total))
  return out
}

describe('refinement time left', () => {
  it('waits for a few steps, then never rises while the pace only wavers', () => {
    // Steps of 150 ms, every fifth one 400 ms (a preview drawn in between), slowly slowing down.
    const figures = shown((i) => (i % 5 === 0 ? 400 : 150) + i)
    expect(figures.slice(0, 4)).toEqual([null, null, null, null])
    const known = figures.filter((f): f is number => f !== null)
    for (let i = 1; i < known.length; i++) expect(known[i], `report ${i}`).toBeLessThanOrEqual(known[i - 1] + 1e-9)
    expect(known.at(-1)).toBeLessThan(0.5)
  })

  it('re-estimates when the pace really changes', () => {
    const figures = shown((i) => (i < 20 ? 100 : 400))
    const before = figures[18]!
    // At 100 ms a step, 41 steps left read ~4 s; at 400 ms the estimate grows past the countdown.
    expect(before).toBeGreaterThan(3)
    expect(Math.max(...(figures.slice(25, 40) as number[]))).toBeGreaterThan(before * 1.5)
  })

  it('starts over when a new refinement starts from step 0', () => {
    const eta = new RefineEta()
    for (let i = 1; i <= 10; i++) eta.update(i * 100, i, 60)
    expect(eta.update(2000, 0, 60)).toBeNull()
    expect(eta.update(2100, 1, 60)).toBeNull()
  })
})
