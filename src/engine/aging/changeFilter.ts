/**
 * Takes from G's age change only the bands a noisy 64 px G models well (issue 27). Upsampled into
 * the photo, G's per-pixel noise reads as smudges (luminance) and muddy grey, brown or purple
 * blotches (chroma). So the change's luminance loses its finest band (one pyramid level: single
 * model pixels, 4 photo pixels of a 256 px face), its chroma keeps only its coarse part (two
 * levels down and back up, about a sixth of the face: a broad flush or greying), at half
 * strength, and only as much of it as the photo has colour of its own: G learned colour faces,
 * and on a black-and-white photo it paints a teal or lavender cast that no age brings.
 * Measured with `eval --exports` on 24 held-out UTKFace photos (the note of issue 27): exports
 * verified 73.6 → 87.5%, artifacts 5.07 → 2.58, judged-age shift at target 70 +6.5 → +4.5 years.
 */
import { gaussianPyramid, planes, resize } from '../images/pyramid'

/** Pyramid levels the chroma is brought down before it comes back up; the luminance, one. */
const CHROMA_LEVELS = 2
const LUMA_LEVELS = 1
/** The share of G's (coarse) colour change a fully coloured face takes. */
const CHROMA_GAIN = 0.5

/** Skin's chroma magnitude (|R−Y, B−Y| on 0–255) from which a photo counts as fully coloured. */
const FULL_COLOUR = 30

/**
 * How much of the change's colour a face takes: CHROMA_GAIN for a face in full colour, falling
 * to 0 for a grey one. `rgb` is the aligned crop (side×side), `mask` its face weights (one per pixel).
 */
export function colourShare(rgb: Uint8Array, mask: Float32Array): number {
  let [weight, sum] = [0, 0]
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] <= 0) continue
    const [r, g, b] = [rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]]
    const y = 0.299 * r + 0.587 * g + 0.114 * b
    sum += mask[p] * Math.hypot(r - y, b - y)
    weight += mask[p]
  }
  return weight === 0 ? 0 : CHROMA_GAIN * Math.min(1, sum / weight / FULL_COLOUR)
}

/**
 * The change (model-size RGB differences, side×side) with its luminance and chroma low-passed,
 * the chroma scaled by `colour` (colourShare of the photo's face).
 */
export function cleanChange(delta: Float32Array, side: number, colour = 1): Float32Array {
  const n = side * side
  const luma = new Float32Array(n)
  const chroma = planes(side, side, 2)
  for (let p = 0; p < n; p++) {
    const [r, g, b] = [delta[p * 3], delta[p * 3 + 1], delta[p * 3 + 2]]
    const y = 0.299 * r + 0.587 * g + 0.114 * b
    luma[p] = y
    chroma.data[p * 2] = r - y
    chroma.data[p * 2 + 1] = b - y
  }
  const coarse = resize(gaussianPyramid(chroma, CHROMA_LEVELS + 1)[CHROMA_LEVELS], side, side)
  const smoothLuma = resize(gaussianPyramid(planes(side, side, 1, luma), LUMA_LEVELS + 1)[LUMA_LEVELS], side, side).data
  const out = new Float32Array(n * 3)
  for (let p = 0; p < n; p++) {
    const [y, cr, cb] = [smoothLuma[p], colour * coarse.data[p * 2], colour * coarse.data[p * 2 + 1]]
    const r = y + cr
    const b = y + cb
    out[p * 3] = r
    out[p * 3 + 1] = (y - 0.299 * r - 0.114 * b) / 0.587
    out[p * 3 + 2] = b
  }
  return out
}
