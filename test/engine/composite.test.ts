// Compositing an aged face back into a photo: only the face region changes, nothing else.
import { describe, expect, it } from 'vitest'
import { applyFaceChange, faceChange, invertTransform, photoPixelUntouched } from '../../src/engine/aging/composite'
import { eyeTransform } from '../../src/engine/faces/align'
import { multibandBlend, planes } from '../../src/engine/images/pyramid'
import { Rng } from '../../src/shared/rng'
import { windowPixels, type FramingName } from '../../src/shared/framing'
import type { CompositeMode } from '../../src/shared/aging'

const SIZE = 64
const MODEL = 16

function noisePhoto(width: number, height: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  return Uint8Array.from({ length: width * height * 3 }, () => rng.int(0, 255))
}

function flat(size: number, rgb: [number, number, number]): Float32Array {
  return Float32Array.from({ length: size * size * 3 }, (_, i) => rgb[i % 3])
}

describe('compositing', () => {
  // A tilted face, eyes 40 px apart, in a 240×180 photo of noise.
  const photo = { rgb: noisePhoto(240, 180, 7), width: 240, height: 180 }
  const transform = eyeTransform({ x: 100, y: 80 }, { x: 139, y: 88 }, SIZE)
  const original = noisePhoto(SIZE, SIZE, 8)
  /** The model turning a green face red: a large change everywhere in the mask. */
  const redderFace = (mode: CompositeMode, framing: FramingName) =>
    faceChange({ original, size: SIZE, target: flat(MODEL, [250, 30, 30]), source: flat(MODEL, [20, 200, 20]), modelSize: MODEL, mode, framing })

  it('inverts the alignment transform exactly', () => {
    const [a, b, c, d, e, f] = transform
    const [ia, ib, ic, id, ie, iff] = invertTransform(transform)
    const x = a * 10 + b * 20 + c
    const y = d * 10 + e * 20 + f
    expect(ia * x + ib * y + ic).toBeCloseTo(10, 9)
    expect(id * x + ie * y + iff).toBeCloseTo(20, 9)
  })

  for (const [mode, framing] of [
    ['residual', 'full'],
    ['replace', 'full'],
    ['residual', 'face'],
    ['replace', 'face'],
  ] as const) {
    it(`${mode}, ${framing} framing: keeps every pixel outside the mask byte for byte and changes the face`, () => {
      const change = redderFace(mode, framing)
      const out = applyFaceChange(photo, change, transform)
      let untouched = 0,
        changedInFace = 0
      for (let y = 0; y < photo.height; y++) {
        for (let x = 0; x < photo.width; x++) {
          const j = (y * photo.width + x) * 3
          const same = out[j] === photo.rgb[j] && out[j + 1] === photo.rgb[j + 1] && out[j + 2] === photo.rgb[j + 2]
          if (photoPixelUntouched(x, y, transform, SIZE)) {
            untouched++
            if (!same) throw new Error(`pixel ${x},${y} outside the mask changed`)
          }
        }
      }
      // The face centre, between the eyes and a little below: residual adds red − green, replace puts a
      // flat face (colour matched) over the noise; either way nearly every pixel there moves.
      for (let y = 90; y < 100; y++) {
        for (let x = 112; x < 128; x++) {
          const j = (y * photo.width + x) * 3
          if ([0, 1, 2].some((k) => Math.abs(out[j + k] - photo.rgb[j + k]) > 10)) changedInFace++
        }
      }
      expect(untouched).toBeGreaterThan(photo.width * photo.height * 0.6)
      expect(changedInFace).toBeGreaterThan(150)
      // Into a reused buffer (a batch's previous output): the same bytes, nothing of the old content left.
      const used = new Uint8Array(photo.rgb.length).fill(99)
      const reused = applyFaceChange(photo, change, transform, used)
      expect(reused).toBe(used)
      expect(Buffer.from(reused).equals(Buffer.from(out))).toBe(true)
      const wrongSize = new Uint8Array(10)
      expect(Buffer.from(applyFaceChange(photo, change, transform, wrongSize)).equals(Buffer.from(out))).toBe(true)
      expect(wrongSize.every((v) => v === 0)).toBe(true)
    })
  }

  it('warps only the rows’ spans inside the outer mask, with the same bytes as warping every pixel', () => {
    // The reference: every photo pixel samples the change bilinearly (0 off the crop), no shortcut.
    const everyPixel = (base: typeof photo, change: ReturnType<typeof faceChange>, t: typeof transform) => {
      const out = base.rgb.slice()
      const [ia, ib, ic, id, ie, iff] = invertTransform(t)
      const n = change.width
      const at = (u: number, v: number, k: number) => (u < 0 || v < 0 || u >= n || v >= n ? 0 : change.data[(v * n + u) * 3 + k])
      for (let y = 0; y < base.height; y++) {
        for (let x = 0; x < base.width; x++) {
          const [u, v] = [ia * x + ib * y + ic, id * x + ie * y + iff]
          const [u0, v0] = [Math.floor(u), Math.floor(v)]
          const [wu, wv] = [u - u0, v - v0]
          for (let k = 0; k < 3; k++) {
            const delta = (at(u0, v0, k) * (1 - wu) + at(u0 + 1, v0, k) * wu) * (1 - wv) + (at(u0, v0 + 1, k) * (1 - wu) + at(u0 + 1, v0 + 1, k) * wu) * wv
            const j = (y * base.width + x) * 3 + k
            if (delta !== 0) out[j] = Math.min(255, Math.max(0, Math.round(out[j] + delta)))
          }
        }
      }
      return out
    }
    const rng = new Rng(11)
    const change = redderFace('residual', 'full')
    // Tilted both ways, small and large, and half off the photo's edge.
    for (const [left, right] of [
      [
        { x: 100, y: 80 },
        { x: 139, y: 88 },
      ],
      [
        { x: 60, y: 120 },
        { x: 150, y: 70 },
      ],
      [
        { x: 200, y: 20 },
        { x: 212, y: 19 },
      ],
      [
        { x: -10, y: 150 },
        { x: 40, y: 170 },
      ],
    ]) {
      const t = eyeTransform(left, right, SIZE)
      const base = { rgb: noisePhoto(240, 180, rng.int(0, 1000)), width: 240, height: 180 }
      expect(Buffer.from(applyFaceChange(base, change, t)).equals(Buffer.from(everyPixel(base, change, t)))).toBe(true)
    }
  })

  it('residual mode changes nothing when the model sees no age change, in either framing', () => {
    const same = flat(MODEL, [90, 120, 150])
    for (const framing of ['full', 'face'] as const) {
      const change = faceChange({ original, size: SIZE, target: same, source: same, modelSize: MODEL, mode: 'residual', framing })
      expect(Buffer.from(applyFaceChange(photo, change, transform)).equals(Buffer.from(photo.rgb))).toBe(true)
    }
  })

  it('a face-framed model changes only its window, fading in over the window edge without a step', () => {
    const size = 256
    const flatOriginal = new Uint8Array(size * size * 3).fill(128)
    const change = faceChange({
      original: flatOriginal,
      size,
      target: flat(MODEL, [250, 250, 250]),
      source: flat(MODEL, [50, 50, 50]),
      modelSize: MODEL,
      mode: 'residual',
      framing: 'face',
    })
    const { left, top, side } = windowPixels('face', size)
    const at = (u: number, v: number) => change.data[(v * size + u) * 3]
    // Above the window (the forehead band a face-framed model never saw) only the blend's low
    // frequencies reach, a few levels at most; the full change is 200.
    let most = 0
    for (let u = 0; u < size; u++) for (let v = 0; v < top - 2; v++) most = Math.max(most, Math.abs(at(u, v)))
    expect(most).toBeLessThan(20)
    // Across the window's left edge, at eye height: the change grows smoothly to its full size.
    const row = Array.from({ length: side / 2 }, (_, i) => at(left - 4 + i, Math.round(0.46 * size)))
    const steps = row.slice(1).map((value, i) => Math.abs(value - row[i]))
    expect(Math.max(...row)).toBeGreaterThan(150)
    expect(Math.max(...steps)).toBeLessThan(Math.max(...row) / 4)
  })

  it('the multi-band blend leaves no step at the mask edge', () => {
    const n = 64
    const black = planes(n, n, 3),
      white = planes(n, n, 3, new Float32Array(n * n * 3).fill(255))
    const mask = planes(
      n,
      n,
      1,
      Float32Array.from({ length: n * n }, (_, i) => (i % n < n / 2 ? 1 : 0)),
    )
    const out = multibandBlend(white, black, mask, 4)
    const row = Array.from({ length: n }, (_, x) => out.data[(32 * n + x) * 3])
    const steps = row.slice(1).map((v, i) => Math.abs(v - row[i]))
    // A hard paste would jump 255 at once; the blend spreads it over several pixels.
    expect(Math.max(...steps)).toBeLessThan(128)
    expect(row[0]).toBeGreaterThan(250)
    expect(row[n - 1]).toBeLessThan(5)
  })
})
