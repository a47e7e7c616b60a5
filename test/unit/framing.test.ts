// Framing: how much of a model's window a face's photo really covers.
import { describe, expect, it } from 'vitest'
import { eyeTransform } from '../../src/engine/faces/align'
import { framingOf, maxFillOf, windowFill, windowPixels } from '../../src/shared/framing'

describe('framing', () => {
  it('measures the share of the window that lies outside the photo', () => {
    // Eyes 80 px apart in a 200 px chip, 60 px down: a UTKFace-like tight crop.
    const chip = eyeTransform({ x: 60, y: 60 }, { x: 140, y: 60 }, 256)
    const wideFill = windowFill(chip, 200, 200, 'full')
    const faceFill = windowFill(chip, 200, 200, 'face')
    expect(wideFill).toBeGreaterThan(0.4)
    expect(faceFill).toBeLessThan(0.05)
    // The same face in a big photo: nothing outside; half the photo gone: about half outside.
    expect(windowFill(chip, 2000, 2000, 'full')).toBeGreaterThan(0) // the chip's top-left corner is at (0, 0)
    const centred = eyeTransform({ x: 960, y: 960 }, { x: 1040, y: 960 }, 256)
    expect(windowFill(centred, 2000, 2000, 'full')).toBe(0)
    expect(windowFill(centred, 1000, 2000, 'face')).toBeGreaterThan(0.4)
    expect(windowFill(centred, 1000, 2000, 'face')).toBeLessThan(0.6)
  })

  it('reads an old run as full framing with no fill limit, and a face-framed one with 5%', () => {
    expect(framingOf({})).toBe('full')
    expect(maxFillOf({})).toBe(1)
    expect(maxFillOf({ framing: 'face' })).toBe(0.05)
    expect(maxFillOf({ framing: 'face', maxFill: 0.2 })).toBe(0.2)
    expect(windowPixels('face', 256)).toEqual({ left: 49, top: 70, side: 159 })
    expect(windowPixels('full', 128)).toEqual({ left: 0, top: 0, side: 128 })
  })
})
