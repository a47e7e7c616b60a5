// The chart's data: TensorBoard-style debiased smoothing, and curves that never double a point
// when history and live events overlap (a reload mid-run).
import { describe, expect, it } from 'vitest'
import { RunCurves, smooth } from '../../src/renderer/src/lib/metrics'

describe('smoothing', () => {
  it('is a debiased exponential moving average', () => {
    const points = [4, 2, 6, 2].map((y, x) => ({ x, y }))
    expect(smooth(points, 0)).toBe(points)
    const w = 0.5
    // By hand: ema_n = w·ema_{n−1} + (1−w)·y_n from 0, divided by 1 − w^n.
    const expected = [4, (0.5 * 2 + 0.5 * 2) / 0.75, ((0.5 * 2 + 0.5 * 2) * 0.5 + 3) / 0.875]
    smooth(points, w)
      .slice(0, 3)
      .forEach((p, i) => expect(p.y).toBeCloseTo(expected[i], 10))
    // A constant series stays constant from the first point (no pull towards zero).
    expect(
      smooth(
        [5, 5, 5].map((y, x) => ({ x, y })),
        0.99,
      ).map((p) => p.y),
    ).toEqual([5, 5, 5].map(() => expect.closeTo(5, 10)))
  })
})

describe('run curves', () => {
  it('merge catalog rows and live progress by step, and put the encoder after the cGAN', () => {
    const curves = new RunCurves()
    curves.addProgress({ runId: 'r', phase: 'gan', epoch: 0, step: 2, totalSteps: 3, losses: { g: 1.5, dReal: 0.4 }, imagesPerSecond: 10 })
    curves.addRows([
      { phase: 'gan', step: 1, name: 'g', value: 2 },
      { phase: 'gan', step: 2, name: 'g', value: 1.5 },
      { phase: 'gan', step: 2, name: 'images_per_second', value: 10 },
      { phase: 'encoder', step: 1, name: 'e', value: 0.9 },
    ])
    const byKey = Object.fromEntries(curves.curves().map((c) => [c.key, c.points]))
    expect(byKey['gan:g']).toEqual([
      { x: 1, y: 2 },
      { x: 2, y: 1.5 },
    ])
    expect(byKey['gan:d_real']).toEqual([{ x: 2, y: 0.4 }])
    expect(byKey['encoder:e']).toEqual([{ x: 3, y: 0.9 }])
    expect(byKey['gan:images_per_second']).toBeUndefined()
    // Compared across runs, each phase counts from its own start: encoder step 1 is x = 1.
    const relative = Object.fromEntries(curves.curves(false).map((c) => [c.key, c.points]))
    expect(relative['encoder:e']).toEqual([{ x: 1, y: 0.9 }])
    expect(relative['gan:g']).toEqual(byKey['gan:g'])
  })
})
