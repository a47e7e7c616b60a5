// G's change keeps its broad luminance and only the coarse part of its colour, by the photo's own colour.
import { describe, expect, it } from 'vitest'
import { cleanChange, colourShare } from '../../src/engine/aging/changeFilter'

const SIDE = 64
const change = (rgb: (x: number, y: number) => [number, number, number]) => {
  const out = new Float32Array(SIDE * SIDE * 3)
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) out.set(rgb(x, y), (y * SIDE + x) * 3)
  return out
}
const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length)
const minus = (a: Float32Array, b: Float32Array) => a.map((v, i) => v - b[i])
let seed = 7
const noise = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 40

describe('cleanChange', () => {
  it('keeps a broad grey change (shading, sag) and takes out per-pixel luminance noise', () => {
    const shading = change((x, y) => {
      const v = 20 * Math.sin((x + y) / 12)
      return [v, v, v]
    })
    expect(rms(minus(cleanChange(shading, SIDE), shading))).toBeLessThan(0.1 * rms(shading))
    const speckled = shading.map((v, i) => v + (i % 3 === 0 ? noise() : 0))
    for (let i = 0; i < speckled.length; i += 3) speckled[i + 1] = speckled[i + 2] = speckled[i] // grey noise
    expect(rms(minus(cleanChange(speckled, SIDE), shading))).toBeLessThan(rms(minus(speckled, shading)) / 2)
  })

  it('takes out per-pixel colour noise and keeps a broad flush, at the given share', () => {
    const flush = change(() => [12, 0, -6])
    const noisy = change(() => {
      const [r, b] = [noise(), noise()]
      return [12 + r, -(0.299 * r + 0.114 * b) / 0.587, -6 + b] // the noise carries no luminance
    })
    const out = cleanChange(noisy, SIDE)
    expect(rms(minus(out, flush))).toBeLessThan(rms(minus(noisy, flush)) / 3)
    const mean = (a: Float32Array, k: number) => a.filter((_, i) => i % 3 === k).reduce((s, v) => s + v, 0) / (SIDE * SIDE)
    expect(mean(out, 0)).toBeCloseTo(12, 0)
    expect(mean(out, 2)).toBeCloseTo(-6, 0)
    const half = cleanChange(noisy, SIDE, 0.5)
    const y = 0.299 * 12 - 0.114 * 6 // the flush's luminance stays; half its chroma goes
    expect(mean(half, 0)).toBeCloseTo(y + (12 - y) / 2, 0)
    // With no colour share the change is grey: R = G = B everywhere.
    const grey = cleanChange(noisy, SIDE, 0)
    for (let i = 0; i < grey.length; i += 3) expect(Math.abs(grey[i] - grey[i + 2]) + Math.abs(grey[i] - grey[i + 1])).toBeLessThan(1e-3)
  })

  it("gives a black-and-white photo's face no colour change, a colour face half", () => {
    const mask = new Float32Array(SIDE * SIDE).fill(1)
    const face = (rgb: [number, number, number]) => Uint8Array.from(change(() => rgb))
    expect(colourShare(face([128, 128, 128]), mask)).toBeCloseTo(0, 6)
    expect(colourShare(face([200, 150, 120]), mask)).toBe(0.5)
    expect(colourShare(face([140, 130, 125]), mask)).toBeGreaterThan(0)
    expect(colourShare(face([140, 130, 125]), mask)).toBeLessThan(0.5)
  })
})
