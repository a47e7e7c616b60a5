/**
 * Float image planes and the Laplacian pyramid blend (Burt & Adelson's multi-band blending):
 * each frequency band is mixed over a mask blurred to that band's scale, so colour and shading
 * meet smoothly while fine detail keeps a sharp transition. sharp works in 8-bit and has no
 * pyramid blend, so this part is ours.
 */

/** Interleaved float pixels; channels 1 (masks) or 3 (RGB). */
export interface Planes {
  data: Float32Array
  width: number
  height: number
  channels: number
}

export const planes = (width: number, height: number, channels: number, data = new Float32Array(width * height * channels)): Planes => ({
  data,
  width,
  height,
  channels,
})

const TAPS = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16]
const clamp = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i)

/** Binomial 5-tap blur then every second pixel: the next, coarser Gaussian level. */
function reduce(image: Planes): Planes {
  const { width, height, channels: c, data } = image
  const w = Math.max(1, Math.ceil(width / 2))
  const h = Math.max(1, Math.ceil(height / 2))
  const rows = new Float32Array(w * height * c)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        let sum = 0
        for (let t = 0; t < 5; t++) sum += TAPS[t] * data[(y * width + clamp(2 * x + t - 2, width)) * c + k]
        rows[(y * w + x) * c + k] = sum
      }
    }
  }
  const out = planes(w, h, c)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        let sum = 0
        for (let t = 0; t < 5; t++) sum += TAPS[t] * rows[(clamp(2 * y + t - 2, height) * w + x) * c + k]
        out.data[(y * w + x) * c + k] = sum
      }
    }
  }
  return out
}

/** Bilinear resampling to any size (pixel centres aligned, edges repeated). */
export function resize(image: Planes, width: number, height: number): Planes {
  const { width: sw, height: sh, channels: c, data } = image
  const out = planes(width, height, c)
  const fx = sw / width
  const fy = sh / height
  for (let y = 0; y < height; y++) {
    const v = Math.min(sh - 1, Math.max(0, (y + 0.5) * fy - 0.5))
    const y0 = Math.floor(v)
    const y1 = Math.min(sh - 1, y0 + 1)
    const wy = v - y0
    for (let x = 0; x < width; x++) {
      const u = Math.min(sw - 1, Math.max(0, (x + 0.5) * fx - 0.5))
      const x0 = Math.floor(u)
      const x1 = Math.min(sw - 1, x0 + 1)
      const wx = u - x0
      for (let k = 0; k < c; k++) {
        const top = data[(y0 * sw + x0) * c + k] * (1 - wx) + data[(y0 * sw + x1) * c + k] * wx
        const bottom = data[(y1 * sw + x0) * c + k] * (1 - wx) + data[(y1 * sw + x1) * c + k] * wx
        out.data[(y * width + x) * c + k] = top * (1 - wy) + bottom * wy
      }
    }
  }
  return out
}

export function gaussianPyramid(image: Planes, levels: number): Planes[] {
  const pyramid = [image]
  for (let i = 1; i < levels; i++) pyramid.push(reduce(pyramid[i - 1]))
  return pyramid
}

/** Band k = level k − level k+1 brought up to k's size; the last level is kept as it is. */
function laplacianPyramid(image: Planes, levels: number): Planes[] {
  const gauss = gaussianPyramid(image, levels)
  return gauss.map((level, i) => {
    if (i === levels - 1) return level
    const up = resize(gauss[i + 1], level.width, level.height)
    return planes(
      level.width,
      level.height,
      level.channels,
      level.data.map((v, j) => v - up.data[j]),
    )
  })
}

/**
 * A change to an image, masked band by band as multibandBlend(background + change, background)
 * would apply it: the blend is linear and collapsing a Laplacian pyramid gives its image back, so
 * the background's own pyramid cancels and only the change's is built. `masks`: gaussianPyramid
 * of the mask, which callers keep (the editor's mask never changes).
 */
export function multibandMask(change: Planes, masks: Planes[]): Planes {
  const levels = masks.length
  const bands = laplacianPyramid(change, levels).map((band, i) => {
    const m = masks[i].data
    const out = planes(band.width, band.height, band.channels)
    for (let p = 0, j = 0; p < band.width * band.height; p++) for (let k = 0; k < band.channels; k++, j++) out.data[j] = m[p] * band.data[j]
    return out
  })
  return collapse(bands)
}

/** foreground over background, band by band, with mask (1 channel, 1 = foreground). */
export function multibandBlend(foreground: Planes, background: Planes, mask: Planes, levels: number): Planes {
  const fg = laplacianPyramid(foreground, levels)
  const bg = laplacianPyramid(background, levels)
  const masks = gaussianPyramid(mask, levels)
  const bands = fg.map((band, i) => {
    const out = planes(band.width, band.height, band.channels)
    const m = masks[i].data
    for (let p = 0; p < band.width * band.height; p++) {
      for (let k = 0; k < band.channels; k++) {
        const j = p * band.channels + k
        out.data[j] = m[p] * band.data[j] + (1 - m[p]) * bg[i].data[j]
      }
    }
    return out
  })
  return collapse(bands)
}

/** A Laplacian pyramid back to its image: from the coarsest level up, each band added to the level above. */
function collapse(bands: Planes[]): Planes {
  let image = bands[bands.length - 1]
  for (let i = bands.length - 2; i >= 0; i--) {
    const up = resize(image, bands[i].width, bands[i].height)
    for (let j = 0; j < up.data.length; j++) up.data[j] += bands[i].data[j]
    image = up
  }
  return image
}
