// The artifact measure, validated on faces made here: it must rank a blotchy or tinted export
// below a clean one, and a noisy G's residual change below a smooth G's.
import { describe, expect, it } from 'vitest'
import { artifactScore } from '../../src/engine/evaluation/artifacts'
import { applyFaceChange, faceChange } from '../../src/engine/aging/composite'
import { renderFace, sampleFaceParams } from '../../src/engine/datasets/demoFaces'
import { Rng } from '../../src/shared/rng'

const SIDE = 256
const clampByte = (v: number) => Math.max(0, Math.min(255, Math.round(v)))

/** A copy of the face with `add(x, y)` = [dr, dg, db] added to each pixel. */
function changed(face: Uint8Array, add: (x: number, y: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(face.length)
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const d = add(x, y)
      for (let k = 0; k < 3; k++) out[(y * SIDE + x) * 3 + k] = clampByte(face[(y * SIDE + x) * 3 + k] + d[k])
    }
  return out
}

/** What ageing looks like without dirt: forehead lines and a little shading, the same in R, G and B. */
const ageing = (x: number, y: number): [number, number, number] => {
  const line = y > 70 && y < 110 && x > 80 && x < 176 && y % 9 === 0 ? -30 : 0
  const shade = y > 150 ? -8 : -3
  return [line + shade, line + shade, line + shade]
}
/** Muddy brown blobs ~20 px across, as a noisy 64 px G leaves when upsampled. */
const blobs =
  (amplitude: number) =>
  (x: number, y: number): [number, number, number] => {
    let w = 0
    for (const [cx, cy] of [
      [100, 120],
      [160, 140],
      [128, 190],
      [90, 170],
    ])
      w += Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 8 ** 2))
    return [amplitude * w, 0.2 * amplitude * w, -0.8 * amplitude * w]
  }
const sum =
  (...parts: ((x: number, y: number) => [number, number, number])[]) =>
  (x: number, y: number): [number, number, number] =>
    parts.map((p) => p(x, y)).reduce((a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]])

describe('the artifact measure', () => {
  const faces = [25, 45, 70].map((age, i) => renderFace(sampleFaceParams(new Rng(40 + i), age), SIDE))

  it('scores a clean, luminance-only age change near 0 and a blotchy or tinted one far above it', () => {
    for (const face of faces) {
      const clean = artifactScore(face, changed(face, ageing), SIDE)
      const blotchy = artifactScore(face, changed(face, sum(ageing, blobs(25))), SIDE)
      const blotchier = artifactScore(face, changed(face, sum(ageing, blobs(50))), SIDE)
      const tinted = artifactScore(
        face,
        changed(
          face,
          sum(ageing, () => [8, -6, 10]),
        ),
        SIDE,
      )
      expect(clean.score).toBeLessThan(0.5)
      expect(blotchy.blotch).toBeGreaterThan(4 * Math.max(clean.blotch, 0.25))
      expect(blotchier.score).toBeGreaterThan(1.5 * blotchy.score)
      expect(tinted.cast).toBeGreaterThan(4 * Math.max(clean.cast, 0.25))
      expect(artifactScore(face, face, SIDE)).toEqual({ blotch: 0, cast: 0, score: 0 })
    }
  })

  it('scores the residual change of a noisy G above that of a smooth one, and the change filter takes most of it out', () => {
    const rng = new Rng(7)
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())
    for (const face of faces) {
      // G's picture of the face at 64 px (block means), and two aged versions: smooth shading, or the same with per-pixel colour noise.
      const source = new Float32Array(64 * 64 * 3)
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          for (let k = 0; k < 3; k++) {
            let s = 0
            for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += face[((y * 4 + dy) * SIDE + x * 4 + dx) * 3 + k]
            source[(y * 64 + x) * 3 + k] = s / 16
          }
      const smooth = source.map((v, i) => v - (Math.floor(i / 3 / 64) > 32 ? 10 : 4))
      const noisy = smooth.map((v) => v + 14 * gauss())
      const exported = (target: Float32Array, clean: boolean) =>
        applyFaceChange(
          { rgb: face, width: SIDE, height: SIDE },
          faceChange({ original: face, size: SIDE, target, source, modelSize: 64, mode: 'residual', framing: 'full', clean }),
          [1, 0, 0, 0, 1, 0],
        )
      // G's change as drawn: the measure sees the noise.
      const [fromSmooth, fromNoisy] = [artifactScore(face, exported(smooth, false), SIDE), artifactScore(face, exported(noisy, false), SIDE)]
      expect(fromNoisy.score).toBeGreaterThan(3 * Math.max(fromSmooth.score, 0.25))
      // As the studio composites it (changeFilter.ts): most of that noise is gone, the smooth change is left as clean.
      const [cleanSmooth, cleanNoisy] = [artifactScore(face, exported(smooth, true), SIDE), artifactScore(face, exported(noisy, true), SIDE)]
      expect(cleanNoisy.score).toBeLessThan(fromNoisy.score / 3)
      expect(cleanSmooth.score).toBeLessThanOrEqual(Math.max(fromSmooth.score, 0.25))
    }
  })
})
