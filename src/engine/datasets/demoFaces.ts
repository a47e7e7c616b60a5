/**
 * Procedural demo faces: the embedded default dataset, so the studio is usable (and the model
 * testable) with nothing imported. Age shows in ways a test can measure: hair greys from the
 * mid-thirties, forehead lines and crow's feet appear after forty, and children have rounder
 * faces with larger, lower-set eyes. Identity varies in skin tone, face shape, hair colour,
 * background and pose.
 */
import { Rng } from '../../shared/rng'

export interface FaceParams {
  age: number
  skin: [number, number, number]
  hair: [number, number, number]
  background: [number, number, number]
  /** 0..1: how grey the hair is; driven by age plus a personal offset. */
  greyness: number
  /** 0..1: how deep the wrinkles are. */
  wrinkles: number
  /** Face half-width and half-height, in image units. */
  rx: number
  ry: number
  eyeRadius: number
  /** Eye height relative to the face centre (children's eyes sit lower). */
  eyeDrop: number
  shiftX: number
  roll: number
}

const SKIN_TONES: [number, number, number][] = [
  [0.96, 0.8, 0.69],
  [0.89, 0.7, 0.56],
  [0.78, 0.57, 0.42],
  [0.6, 0.42, 0.3],
  [0.42, 0.29, 0.2],
]
const HAIR_COLOURS: [number, number, number][] = [
  [0.08, 0.06, 0.05],
  [0.25, 0.16, 0.1],
  [0.45, 0.3, 0.16],
  [0.72, 0.58, 0.32],
  [0.55, 0.22, 0.1],
]
const GREY: [number, number, number] = [0.85, 0.85, 0.86]

const clamp01 = (x: number) => Math.min(1, Math.max(0, x))
const smoothstep = (a: number, b: number, x: number) => {
  const t = clamp01((x - a) / (b - a))
  return t * t * (3 - 2 * t)
}
const mix = (a: number[], b: number[], t: number): [number, number, number] => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]

export function sampleFaceParams(rng: Rng, age: number): FaceParams {
  const adult = smoothstep(2, 22, age)
  const jitter = (scale: number) => rng.range(-scale, scale)
  const tone = mix(rng.pick(SKIN_TONES), rng.pick(SKIN_TONES), rng.next())
  return {
    age,
    skin: tone,
    hair: rng.pick(HAIR_COLOURS),
    background: [rng.range(0.25, 0.75), rng.range(0.3, 0.75), rng.range(0.3, 0.8)],
    greyness: clamp01(smoothstep(33, 72, age) + jitter(0.12) * smoothstep(25, 40, age)),
    wrinkles: clamp01(smoothstep(38, 80, age) + jitter(0.08) * smoothstep(35, 45, age)),
    rx: 0.27 - 0.025 * adult + jitter(0.015),
    ry: 0.28 + 0.05 * adult + jitter(0.015),
    eyeRadius: 0.058 - 0.018 * adult,
    eyeDrop: 0.06 - 0.08 * adult,
    shiftX: jitter(0.035),
    roll: jitter(0.1),
  }
}

/** Colour of the face at (u, v) in [0,1]², drawn back to front. */
function shade(p: FaceParams, u0: number, v0: number): [number, number, number] {
  // Undo the pose: rotate about the image centre, then shift.
  const cos = Math.cos(p.roll),
    sin = Math.sin(p.roll)
  const du = u0 - 0.5,
    dv = v0 - 0.5
  const u = 0.5 + cos * du + sin * dv - p.shiftX
  const v = 0.5 - sin * du + cos * dv
  const cx = 0.5,
    cy = 0.56
  const hairColour = mix(p.hair, GREY, p.greyness)

  let colour = mix(p.background, [p.background[0] * 0.7, p.background[1] * 0.7, p.background[2] * 0.7], v0)
  const inHair = ((u - cx) / (p.rx + 0.1)) ** 2 + ((v - (cy - 0.1)) / (p.ry + 0.14)) ** 2 < 1 && v < cy + 0.05
  if (inHair) colour = hairColour
  const fx = (u - cx) / p.rx,
    fy = (v - cy) / p.ry
  if (fx * fx + fy * fy >= 1) return colour

  // Inside the face. Lighting falls off toward the edge.
  colour = mix(p.skin, [p.skin[0] * 0.8, p.skin[1] * 0.75, p.skin[2] * 0.75], (fx * fx + fy * fy) ** 2)
  const hairline = cy - p.ry * (0.62 - 0.15 * smoothstep(55, 85, p.age)) + 0.03 * Math.cos(fx * 3)
  if (v < hairline) return hairColour

  const eyeY = cy - p.ry * 0.12 + p.ry * p.eyeDrop
  for (const side of [-1, 1]) {
    const ex = cx + side * p.rx * 0.42
    const ed = Math.hypot((u - ex) / 1.4, v - eyeY)
    if (ed < p.eyeRadius * 0.45) return [0.12, 0.09, 0.08]
    if (ed < p.eyeRadius) return [0.95, 0.95, 0.93]
    // Eyebrows, in the hair colour.
    if (Math.abs(v - (eyeY - p.eyeRadius * 1.9)) < 0.012 && Math.abs(u - ex) < p.eyeRadius * 1.5) return hairColour
    // Crow's feet: short diagonal lines beside the outer corner.
    const ox = u - (ex + side * p.eyeRadius * 1.6)
    if (p.wrinkles > 0.2 && side * ox > 0 && side * ox < 0.05) {
      for (const k of [-1, 0, 1]) {
        if (Math.abs(v - eyeY - k * 0.5 * side * ox - k * 0.015) < 0.004) colour = mix(colour, [0.3, 0.2, 0.15], p.wrinkles * 0.8)
      }
    }
  }
  // Forehead lines: more and deeper with age.
  const lines = Math.round(p.wrinkles * 4)
  for (let i = 0; i < lines; i++) {
    const ly = hairline + 0.03 + i * 0.022 + 0.006 * Math.sin(u * 25)
    if (Math.abs(v - ly) < 0.0045 && Math.abs(u - cx) < p.rx * 0.6) colour = mix(colour, [0.3, 0.2, 0.15], 0.35 + 0.5 * p.wrinkles)
  }
  // Nose and mouth.
  if (Math.abs(u - cx) < 0.012 && v > eyeY + 0.03 && v < cy + p.ry * 0.3) colour = mix(colour, [0.4, 0.25, 0.2], 0.35)
  const mouthY = cy + p.ry * 0.55
  if (Math.abs(v - mouthY + 10 * (u - cx) ** 2) < 0.014 && Math.abs(u - cx) < p.rx * 0.4) return [0.6, 0.25, 0.25]
  // Nasolabial folds for the oldest faces.
  if (p.wrinkles > 0.5) {
    for (const side of [-1, 1]) {
      const foldX = cx + side * (p.rx * 0.28 + (v - cy) * 0.35)
      if (v > cy && v < mouthY && Math.abs(u - foldX) < 0.004) colour = mix(colour, [0.3, 0.2, 0.15], p.wrinkles * 0.6)
    }
  }
  return colour
}

/** Renders an RGB image, size×size×3 bytes, with 2×2 supersampling against jagged edges. */
export function renderFace(p: FaceParams, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3)
  const offsets = [0.25, 0.75]
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0
      for (const oy of offsets) {
        for (const ox of offsets) {
          const c = shade(p, (x + ox) / size, (y + oy) / size)
          r += c[0]
          g += c[1]
          b += c[2]
        }
      }
      const i = (y * size + x) * 3
      out[i] = Math.round(clamp01(r / 4) * 255)
      out[i + 1] = Math.round(clamp01(g / 4) * 255)
      out[i + 2] = Math.round(clamp01(b / 4) * 255)
    }
  }
  return out
}

/**
 * The demo's measurable age cue: how white the hair at the crown is (the mean of the darkest
 * channel over a patch that is hair on every demo face). 0 for black hair, ~0.85 for grey.
 * Works on any RGB image of the demo's framing, so it can score a generator's output too.
 */
export function demoAgeCue(rgb: ArrayLike<number>, size: number, scale = 255): number {
  let sum = 0,
    n = 0
  for (let y = Math.round(size * 0.13); y < Math.round(size * 0.2); y++) {
    for (let x = Math.round(size * 0.42); x < Math.round(size * 0.58); x++) {
      const i = (y * size + x) * 3
      sum += Math.min(rgb[i], rgb[i + 1], rgb[i + 2]) / scale
      n++
    }
  }
  return sum / n
}
