/**
 * Puts an aged face back into its photo at full resolution. The work happens in the aligned
 * crop's space: the aged face is blended into the original crop band by band over a feathered
 * face mask, the change this makes is faded out by a wider feathered mask, and only that change
 * is warped into the photo (inverse of the alignment) and added to the photo's own pixels. So the
 * photo keeps its resolution and detail, and every pixel outside the outer mask keeps its bytes.
 */
import type { CompositeMode } from '../../shared/aging'
import { windowPixels, type FramingName } from '../../shared/framing'
import { cropBounds, type CropTransform } from '../faces/align'
import { gaussianPyramid, multibandMask, planes, resize, type Planes } from '../images/pyramid'
import { cleanChange, colourShare } from './changeFilter'

/**
 * residual: the original face plus the model's age change, G(z, y_target) − G(z, y_source),
 * which keeps the photo's own skin detail (default). replace: the generated face itself, colour
 * matched to the original; softer, since the model works at 64×64.
 */
export type { CompositeMode } from '../../shared/aging'

/** The face ellipse in crop fractions; the eyes sit at y 0.46 (align.ts EYE_TARGETS). */
const FACE = { cx: 0.5, cy: 0.56, rx: 0.27, ry: 0.35 }
/** Blend mask: the face ellipse with its outer quarter feathered. */
const INNER = { grow: 1, feather: 0.25 }
/** Fade mask: 20% wider, feathered; nothing beyond it changes. */
const OUTER = { grow: 1.2, feather: 0.2 }

const smooth = (t: number) => t * t * (3 - 2 * t)

/** 1 inside the (grown) ellipse, falling smoothly to 0 at its edge; size×size, one channel. */
export function faceMask(size: number, { grow, feather }: { grow: number; feather: number }): Planes {
  const mask = planes(size, size, 1)
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const r = Math.hypot(((u + 0.5) / size - FACE.cx) / (FACE.rx * grow), ((v + 0.5) / size - FACE.cy) / (FACE.ry * grow))
      mask.data[v * size + u] = r >= 1 ? 0 : r <= 1 - feather ? 1 : smooth((1 - r) / feather)
    }
  }
  return mask
}

/** True where a crop pixel (u, v) lies outside the outer mask: such pixels are never changed. */
export function outsideFaceMask(u: number, v: number, size: number): boolean {
  return Math.hypot(((u + 0.5) / size - FACE.cx) / (FACE.rx * OUTER.grow), ((v + 0.5) / size - FACE.cy) / (FACE.ry * OUTER.grow)) >= 1
}

/** Photo pixel → crop pixel: the inverse of the crop → photo similarity. */
export function invertTransform([a, b, c, d, e, f]: CropTransform): CropTransform {
  const det = a * e - b * d
  return [e / det, -b / det, (b * f - e * c) / det, -d / det, a / det, (d * c - a * f) / det]
}

export const rgbPlanes = (rgb: Uint8Array | Float32Array, width: number, height: number): Planes => planes(width, height, 3, Float32Array.from(rgb))

/** Per-channel mean and spread of image moved onto those of reference, inside the mask. */
function matchColours(image: Planes, reference: Planes, mask: Planes): Planes {
  const out = planes(image.width, image.height, 3, image.data.slice())
  for (let k = 0; k < 3; k++) {
    let n = 0,
      mi = 0,
      mr = 0,
      si = 0,
      sr = 0
    for (let p = 0; p < mask.data.length; p++) {
      if (mask.data[p] < 0.5) continue
      const a = image.data[p * 3 + k],
        b = reference.data[p * 3 + k]
      n++
      mi += a
      mr += b
      si += a * a
      sr += b * b
    }
    if (n === 0) continue
    mi /= n
    mr /= n
    const spread = Math.sqrt(Math.max(1e-6, sr / n - mr * mr)) / Math.sqrt(Math.max(1e-6, si / n - mi * mi))
    const gain = Math.min(2, Math.max(0.5, spread))
    for (let p = 0; p < mask.data.length; p++) out.data[p * 3 + k] = (image.data[p * 3 + k] - mi) * gain + mr
  }
  return out
}

export interface FaceChangeInput {
  /** The original aligned crop, size×size RGB. */
  original: Uint8Array
  size: number
  /** G(z, y_target) and G(z, y_source), model-size RGB in 0–255. */
  target: Float32Array
  source: Float32Array
  modelSize: number
  mode: CompositeMode
  /** The window of the crop the model sees (its run's framing). */
  framing: FramingName
  /** false: G's residual change as drawn, noise and all (what changeFilter.ts takes out is measured against it). */
  clean?: boolean
}

/** How far into the window the model's picture fades in from the original, as a share of its side. */
const WINDOW_FEATHER = 0.06

/**
 * A model-size picture in crop space: resized onto its window, the original outside it, fading in
 * over the window's edge so a face-framed model's change never steps at the window's border.
 */
export function inCrop(picture: Float32Array, modelSize: number, base: Planes, framing: FramingName): Planes {
  const size = base.width
  if (framing === 'full') return resize(rgbPlanes(picture, modelSize, modelSize), size, size)
  const { left, top, side } = windowPixels(framing, size)
  const inner = resize(rgbPlanes(picture, modelSize, modelSize), side, side)
  const out = planes(size, size, 3, Float32Array.from(base.data))
  const ramp = Math.max(1, side * WINDOW_FEATHER)
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      const w = smooth(Math.min(1, (Math.min(u, v, side - 1 - u, side - 1 - v) + 0.5) / ramp))
      for (let k = 0; k < 3; k++) {
        const j = ((top + v) * size + left + u) * 3 + k
        out.data[j] = w * inner.data[(v * side + u) * 3 + k] + (1 - w) * base.data[j]
      }
    }
  }
  return out
}

/** The change to add to the original crop (size×size×3 floats), exactly 0 outside the outer mask. */
export function faceChange({ original, size, target, source, modelSize, mode, framing, clean = true }: FaceChangeInput): Planes {
  const base = rgbPlanes(original, size, size)
  const { inner, innerBands, outer, zero } = masks(size)
  let delta: Planes
  if (mode === 'residual') {
    // The model's age change, G(z, y_target) − G(z, y_source), its colour noise left out
    // (changeFilter.ts), put in the window as inCrop would put each.
    const drawn = target.map((v, i) => v - source[i])
    delta = inCrop(clean ? cleanChange(drawn, modelSize, colourShare(original, inner.data)) : drawn, modelSize, zero, framing)
  } else {
    // The generated face, colour matched, minus the original.
    const aged = matchColours(inCrop(target, modelSize, base, framing), base, inner)
    delta = planes(
      size,
      size,
      3,
      aged.data.map((v, i) => v - base.data[i]),
    )
  }
  const blended = multibandMask(delta, innerBands)
  for (let i = 0; i < blended.data.length; i++) blended.data[i] *= outer.data[Math.floor(i / 3)]
  return blended
}

const maskCache = new Map<number, { inner: Planes; innerBands: Planes[]; outer: Planes; zero: Planes }>()
/** The blend and fade masks, the blend mask's pyramid and a blank crop, per crop size: the same for every render. */
function masks(size: number) {
  let made = maskCache.get(size)
  if (!made) {
    const inner = faceMask(size, INNER)
    const bands = gaussianPyramid(inner, Math.max(1, Math.floor(Math.log2(size / 8))))
    made = { inner, innerBands: bands, outer: faceMask(size, OUTER), zero: planes(size, size, 3) }
    maskCache.set(size, made)
  }
  return made
}

/**
 * Adds a crop-space change to the photo (RGB bytes, width×height) through the crop → photo
 * transform; bilinear sampling, treating the change as 0 outside the crop. Into a new array, or
 * into `into` (a caller's buffer of the same size, reused from the last output of the same photo:
 * a fresh 15 MP array costs ~0.2 s here in page faults alone, a copy into a used one milliseconds).
 */
export function applyFaceChange(
  photo: { rgb: Uint8Array; width: number; height: number },
  change: Planes,
  transform: CropTransform,
  into?: Uint8Array,
): Uint8Array {
  const { width, height } = photo
  const out = into && into.length === photo.rgb.length ? (into.set(photo.rgb), into) : photo.rgb.slice()
  const size = change.width
  const data = change.data
  const { x0, y0, x1, y1 } = cropBounds(transform, size, width, height, 2)
  const [ia, ib, ic, id, ie, iff] = invertTransform(transform)
  const at = (u: number, v: number, k: number) => (u < 0 || v < 0 || u >= size || v >= size ? 0 : data[(v * size + u) * 3 + k])
  for (let y = y0; y < y1; y++) {
    // Only the span of this row that maps inside the outer mask (the change is 0 beyond it).
    const [from, to] = outerMaskSpan(ia / size, (ib * y + ic + 0.5) / size - FACE.cx, id / size, (ie * y + iff + 0.5) / size - FACE.cy, size)
    for (let x = Math.max(x0, from); x < Math.min(x1, to); x++) {
      const u = ia * x + ib * y + ic
      const v = id * x + ie * y + iff
      const u0 = Math.floor(u),
        v0 = Math.floor(v)
      if (u0 < -1 || v0 < -1 || u0 >= size || v0 >= size) continue
      const wu = u - u0,
        wv = v - v0
      const inside = u0 >= 0 && v0 >= 0 && u0 < size - 1 && v0 < size - 1
      const i = (v0 * size + u0) * 3
      for (let k = 0; k < 3; k++) {
        const delta = inside
          ? bilinear(data[i + k], data[i + 3 + k], data[i + size * 3 + k], data[i + size * 3 + 3 + k], wu, wv)
          : bilinear(at(u0, v0, k), at(u0 + 1, v0, k), at(u0, v0 + 1, k), at(u0 + 1, v0 + 1, k), wu, wv)
        if (delta === 0) continue
        const j = (y * width + x) * 3 + k
        out[j] = Math.min(255, Math.max(0, Math.round(out[j] + delta)))
      }
    }
  }
  return out
}

/** Four neighbours (top left, top right, bottom left, bottom right) mixed at fractions (wu, wv). */
const bilinear = (p00: number, p10: number, p01: number, p11: number, wu: number, wv: number) =>
  (p00 * (1 - wu) + p10 * wu) * (1 - wv) + (p01 * (1 - wu) + p11 * wu) * wv

/**
 * The photo columns [from, to) of one row whose crop point lies inside the outer mask's ellipse,
 * grown by two crop pixels (bilinear sampling reaches one pixel out). Along the row the crop point
 * is (p, q) = (a·x + b, c·x + d) in crop fractions from the ellipse centre, so the inside is where
 * a quadratic in x is negative.
 */
function outerMaskSpan(a: number, b: number, c: number, d: number, size: number): [number, number] {
  const rx = FACE.rx * OUTER.grow + 2 / size
  const ry = FACE.ry * OUTER.grow + 2 / size
  const A = (a * a) / (rx * rx) + (c * c) / (ry * ry)
  const B = 2 * ((a * b) / (rx * rx) + (c * d) / (ry * ry))
  const C = (b * b) / (rx * rx) + (d * d) / (ry * ry) - 1
  if (A === 0) return C < 0 ? [-Infinity, Infinity] : [0, 0]
  const discriminant = B * B - 4 * A * C
  if (discriminant < 0) return [0, 0]
  const root = Math.sqrt(discriminant)
  return [Math.floor((-B - root) / (2 * A)) - 1, Math.ceil((-B + root) / (2 * A)) + 2]
}

/** True when no crop pixel the photo pixel (x, y) samples lies inside the outer mask: it stays as it was. */
export function photoPixelUntouched(x: number, y: number, transform: CropTransform, size: number): boolean {
  const [ia, ib, ic, id, ie, iff] = invertTransform(transform)
  const u = ia * x + ib * y + ic
  const v = id * x + ie * y + iff
  const u0 = Math.floor(u),
    v0 = Math.floor(v)
  return [
    [u0, v0],
    [u0 + 1, v0],
    [u0, v0 + 1],
    [u0 + 1, v0 + 1],
  ].every(([p, q]) => p < 0 || q < 0 || p >= size || q >= size || outsideFaceMask(p, q, size))
}
