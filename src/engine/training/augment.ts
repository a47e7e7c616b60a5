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

const draws = (rng: Rng, rows: number, low: number, high: number) =>
  tf.tensor4d(
    Array.from({ length: rows }, () => low + rng.next() * (high - low)),
    [rows, 1, 1, 1],
  )
const randomInt = (rng: Rng, low: number, highExclusive: number) => low + Math.floor(rng.next() * (highExclusive - low))
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value))

/** Brightness, saturation and contrast, each scaled or shifted per image. */
export function color(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  return tf.tidy(() => {
    const rows = x.shape[0]
    const bright = x.add(draws(rng, rows, -0.5, 0.5))
    const grey = bright.mean(3, true)
    const saturated = bright
      .sub(grey)
      .mul(draws(rng, rows, 0, 2))
      .add(grey)
    const mean = saturated.mean([1, 2, 3], true)
    return saturated
      .sub(mean)
      .mul(draws(rng, rows, 0.5, 1.5))
      .add(mean) as tf.Tensor4D
  })
}

/** Shifts each image by whole pixels, up to TRANSLATION of its side; what comes in is zero. */
export function translation(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [rows, height, width] = x.shape
  const reach = Math.floor(height * TRANSLATION + 0.5)
  const ys: number[] = []
  const xs: number[] = []
  for (let b = 0; b < rows; b++) {
    const dy = randomInt(rng, -reach, reach + 1)
    const dx = randomInt(rng, -reach, reach + 1)
    // Indices into the image padded by one zero pixel: one outside the image lands on the pad.
    for (let i = 0; i < height; i++) ys.push(clamp(i + dy + 1, 0, height + 1))
    for (let j = 0; j < width; j++) xs.push(clamp(j + dx + 1, 0, width + 1))
  }
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ])
    // A shift is separable: pick each image's rows, then its columns (gather's gradient is a scatter).
    const shiftedRows = tf.gather(padded, tf.tensor2d(ys, [rows, height], 'int32'), 1, 1)
    return tf.gather(shiftedRows, tf.tensor2d(xs, [rows, width], 'int32'), 2, 1) as tf.Tensor4D
  })
}

/** Zeroes one square of CUTOUT × the side per image, centred anywhere in it. */
export function cutout(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [rows, height, width] = x.shape
  const side = Math.floor(height * CUTOUT + 0.5)
  const mask = new Float32Array(rows * height * width).fill(1)
  for (let b = 0; b < rows; b++) {
    const top = randomInt(rng, 0, height + (1 - (side % 2))) - Math.floor(side / 2)
    const left = randomInt(rng, 0, width + (1 - (side % 2))) - Math.floor(side / 2)
    for (let i = Math.max(0, top); i < Math.min(height, top + side); i++) {
      mask.fill(0, (b * height + i) * width + Math.max(0, left), (b * height + i) * width + Math.min(width, left + side))
    }
  }
  return tf.tidy(() => x.mul(tf.tensor4d(mask, [rows, height, width, 1])))
}

/** What D sees of a batch under DiffAugment. */
export function diffAugment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  return tf.tidy(() => cutout(translation(color(x, rng), rng), rng))
}
