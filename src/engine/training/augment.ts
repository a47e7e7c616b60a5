/**
 * Differentiable augmentation for D (Zhao et al., 2020, "Differentiable Augmentation for
 * Data-Efficient GAN Training"; policy colour, translation, cutout), as the torch trainer's
 * agecgan/augment.py. D sees every image, real or generated, through the same kind of random
 * transform, and G's gradient flows through it: D can no longer win by memorising a small set.
 *
 * Images are NHWC in [-1, 1]; each image draws its own transform from the run's Rng, so a
 * resumed run draws the same ones.
 */
import * as tf from '@tensorflow/tfjs'
import type { Rng } from '../../shared/rng'

/** Largest shift, each way, as a share of the side. */
export const TRANSLATION = 1 / 8
/** Side of the blanked square, as a share of the image's side. */
export const CUTOUT = 1 / 2

const perImage = (rng: Rng, rows: number, low: number, high: number) => Array.from({ length: rows }, () => low + rng.next() * (high - low))
const randomInt = (rng: Rng, low: number, highExclusive: number) => low + Math.floor(rng.next() * (highExclusive - low))

/** Per-image numbers spread over every value of its image, so the ops below need no broadcasting (slow in tfjs's CPU kernels). */
function tiled(shape: number[], values: number[]): tf.Tensor4D {
  const per = shape[1] * shape[2] * shape[3]
  const out = new Float32Array(shape[0] * per)
  values.forEach((v, b) => out.fill(v, b * per, (b + 1) * per))
  return tf.tensor4d(out, shape as [number, number, number, number])
}

/**
 * Brightness b, saturation s and contrast c per image: bright = x + b; saturated = (bright − grey)·s
 * + grey, grey its per-pixel channel mean; out = (saturated − mean)·c + mean, mean over the image.
 * Expanded, that is c·s·x + c·(1 − s)·x̄ + (1 − c)·μ + b with x̄ the channel mean of x and μ its
 * image mean: the means as matrix products, the rest element by element (the direct form spent
 * ~5× as long in broadcast reductions and their gradients).
 */
export function color(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [rows, height, width, channels] = x.shape
  const [bright, saturation, contrast] = [perImage(rng, rows, -0.5, 0.5), perImage(rng, rows, 0, 2), perImage(rng, rows, 0.5, 1.5)]
  return tf.tidy(() => {
    const pixels = rows * height * width
    const channelMean = tf.matMul(x.reshape([pixels, channels]), tf.fill([channels, channels], 1 / channels)).reshape(x.shape)
    const size = height * width * channels
    const imageMean = tf.matMul(tf.matMul(x.reshape([rows, size]), tf.fill([size, 1], 1 / size)), tf.ones([1, size])).reshape(x.shape)
    const shape = x.shape
    return x
      .mul(
        tiled(
          shape,
          contrast.map((c, b) => c * saturation[b]),
        ),
      )
      .add(
        channelMean.mul(
          tiled(
            shape,
            contrast.map((c, b) => c * (1 - saturation[b])),
          ),
        ),
      )
      .add(
        imageMean.mul(
          tiled(
            shape,
            contrast.map((c) => 1 - c),
          ),
        ),
      )
      .add(tiled(shape, bright)) as tf.Tensor4D
  })
}

/**
 * Shifts each image by whole pixels, up to TRANSLATION of its side; what comes in is zero. A shift
 * is separable and linear: per image, a 0/1 matrix picks its rows, another its columns, so it is
 * two batched matrix products whose gradients are matrix products too (tfjs's batched gather did
 * the same in ~30× the time, its gradient a scatter).
 */
export function translation(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [rows, height, width, channels] = x.shape
  const reach = Math.floor(height * TRANSLATION + 0.5)
  const row = width * channels
  const pickRows = new Float32Array(rows * height * height)
  // Columns with their channels interleaved (an image row is width × channels values): a
  // row × row matrix per image, multiplied from the right, so no transpose is needed.
  const pickColumns = new Float32Array(rows * row * row)
  for (let b = 0; b < rows; b++) {
    const dy = randomInt(rng, -reach, reach + 1)
    const dx = randomInt(rng, -reach, reach + 1)
    // Output row i is input row i + dy where that exists, else zeros (likewise for columns).
    for (let i = 0; i < height; i++) if (i + dy >= 0 && i + dy < height) pickRows[(b * height + i) * height + i + dy] = 1
    for (let j = 0; j < width; j++) {
      if (j + dx < 0 || j + dx >= width) continue
      for (let c = 0; c < channels; c++) pickColumns[(b * row + (j + dx) * channels + c) * row + j * channels + c] = 1
    }
  }
  return tf.tidy(() => {
    const byRows = tf.matMul(tf.tensor3d(pickRows, [rows, height, height]), x.reshape([rows, height, row]))
    return tf.matMul(byRows, tf.tensor3d(pickColumns, [rows, row, row])).reshape(x.shape) as tf.Tensor4D
  })
}

/** Zeroes one square of CUTOUT × the side per image, centred anywhere in it. */
export function cutout(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [rows, height, width, channels] = x.shape
  const side = Math.floor(height * CUTOUT + 0.5)
  const mask = new Float32Array(rows * height * width * channels).fill(1)
  for (let b = 0; b < rows; b++) {
    const top = randomInt(rng, 0, height + (1 - (side % 2))) - Math.floor(side / 2)
    const left = randomInt(rng, 0, width + (1 - (side % 2))) - Math.floor(side / 2)
    for (let i = Math.max(0, top); i < Math.min(height, top + side); i++) {
      const row = (b * height + i) * width
      mask.fill(0, (row + Math.max(0, left)) * channels, (row + Math.min(width, left + side)) * channels)
    }
  }
  // The mask at the images' own shape: a same-shape product, no broadcast.
  return tf.tidy(() => x.mul(tf.tensor4d(mask, x.shape)))
}

/** What D sees of a batch under DiffAugment. */
export function diffAugment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  return tf.tidy(() => cutout(translation(color(x, rng), rng), rng))
}
