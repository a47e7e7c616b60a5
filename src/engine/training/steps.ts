/** One training step of each phase, as pure functions of models, optimizers and a batch. */
import * as tf from '@tensorflow/tfjs'
import type { Rng } from '../../shared/rng'
import type { Losses } from '../../shared/training'
import { diffAugment } from './augment'
import { oneHot } from './data'
import { rgbToPng } from '../images/encode'
import type { Preset } from '../model/presets'

export interface GanModels {
  generator: tf.LayersModel
  discriminator: tf.LayersModel
  optG: tf.Optimizer
  optD: tf.Optimizer
}

const vars = (model: tf.LayersModel) => model.trainableWeights.map((w) => w.read() as tf.Variable)
const bce = (target: tf.Tensor, logits: tf.Tensor) => tf.losses.sigmoidCrossEntropy(target, logits)

function randomBins(rng: Rng, count: number, bins: number): number[] {
  return Array.from({ length: count }, () => Math.floor(rng.next() * bins))
}

/** A label different from each true one, so D learns to check the condition. */
function wrongBins(rng: Rng, truth: number[], bins: number): number[] {
  return truth.map((bin) => (bin + 1 + Math.floor(rng.next() * (bins - 1))) % bins)
}

/**
 * D learns (real, its label) → real, (G(z, y), y) → fake and (real, a wrong label) → fake; then G
 * learns to fool D with random labels. Losses are from logits; real targets may be smoothed.
 */
export function ganStep(
  m: GanModels,
  batch: { images: tf.Tensor4D; labels: tf.Tensor2D; bins: number[] },
  rng: Rng,
  options: { zDim: number; bins: number; labelSmoothing: number; diffAugment?: boolean },
): Losses {
  const size = batch.bins.length
  // What D sees of an image: itself, or a random differentiable transform of it (DiffAugment).
  const seen = (images: tf.Tensor) => (options.diffAugment ? diffAugment(images as tf.Tensor4D, rng) : images)
  // D's three loss parts are kept out of variableGrads' own tidy so they can be reported.
  const parts: tf.Tensor[] = []
  const scalars = tf.tidy(() => {
    const realTarget = tf.fill([size, 1], 1 - options.labelSmoothing)
    const zeros = tf.zeros([size, 1])
    const ones = tf.ones([size, 1])
    const yFake = oneHot(randomBins(rng, size, options.bins), options.bins)
    const yWrong = oneHot(wrongBins(rng, batch.bins, options.bins), options.bins)
    const z = tf.randomNormal([size, options.zDim])
    const fake = m.generator.apply([z, yFake], { training: true }) as tf.Tensor

    const d = tf.variableGrads(() => {
      const reals = seen(batch.images)
      const real = bce(realTarget, m.discriminator.apply([reals, batch.labels], { training: true }) as tf.Tensor)
      const fakes = bce(zeros, m.discriminator.apply([seen(fake), yFake], { training: true }) as tf.Tensor)
      const mismatch = bce(zeros, m.discriminator.apply([reals, yWrong], { training: true }) as tf.Tensor)
      parts.push(tf.keep(real), tf.keep(fakes), tf.keep(mismatch))
      // As in GAN-CLS: the two kinds of fake share the fake half of the loss.
      return real.add(fakes.add(mismatch).div(2)) as tf.Scalar
    }, vars(m.discriminator))
    m.optD.applyGradients(d.grads)

    const yG = oneHot(randomBins(rng, size, options.bins), options.bins)
    const zG = tf.randomNormal([size, options.zDim])
    const g = tf.variableGrads(() => {
      const generated = m.generator.apply([zG, yG], { training: true }) as tf.Tensor
      return bce(ones, m.discriminator.apply([seen(generated), yG], { training: true }) as tf.Tensor) as tf.Scalar
    }, vars(m.generator))
    m.optG.applyGradients(g.grads)
    return tf.stack([...parts, g.value])
  })
  const [dReal, dFake, dMismatch, g] = scalars.dataSync()
  tf.dispose([scalars, ...parts])
  return { dReal, dFake, dMismatch, g }
}

/** E learns to recover z from G(z, y) (G frozen): the paper's synthetic pairs, Euclidean loss. */
export function encoderStep(
  generator: tf.LayersModel,
  encoder: tf.LayersModel,
  optE: tf.Optimizer,
  rng: Rng,
  options: { zDim: number; bins: number; batch: number },
): Losses {
  const loss = tf.tidy(() => {
    const z = tf.randomNormal([options.batch, options.zDim])
    const y = oneHot(randomBins(rng, options.batch, options.bins), options.bins)
    const images = generator.apply([z, y], { training: false }) as tf.Tensor
    const e = tf.variableGrads(() => tf.losses.meanSquaredError(z, encoder.apply(images, { training: true }) as tf.Tensor) as tf.Scalar, vars(encoder))
    optE.applyGradients(e.grads)
    return e.value
  })
  const e = loss.dataSync()[0]
  loss.dispose()
  return { e }
}

/** Rows of a sample grid: one fixed z each. */
export const SAMPLE_ROWS = 4

/** The sample grid's z, the same for a run's whole life (and for a grid drawn later from its G with the run's seed). */
export const fixedNoise = (p: Preset, seed: number) => tf.randomNormal([SAMPLE_ROWS, p.zDim], 0, 1, 'float32', seed) as tf.Tensor2D

/** The sample grid as a PNG: SAMPLE_ROWS rows, one column per age bin. */
export async function gridPng(generator: tf.LayersModel, zFixed: tf.Tensor2D, p: Preset): Promise<Buffer> {
  const rgb = renderGrid(generator, zFixed, p.bins, p.imageSize)
  return rgbToPng({ data: rgb, width: p.bins * p.imageSize, height: zFixed.shape[0] * p.imageSize })
}

/** The sample grid: fixed z per row, one column per age bin, as RGB bytes. */
export function renderGrid(generator: tf.LayersModel, zFixed: tf.Tensor2D, bins: number, size: number): Uint8Array {
  const rows = zFixed.shape[0]
  const pixels = tf.tidy(() => {
    const z = tf.tile(zFixed, [1, bins]).reshape([rows * bins, zFixed.shape[1]])
    const y = tf.tile(tf.eye(bins), [rows, 1])
    const images = generator.apply([z, y], { training: false }) as tf.Tensor4D
    // [rows·bins, s, s, 3] → [rows, s, bins, s, 3] → one image of rows×bins tiles.
    return images.add(1).mul(127.5).clipByValue(0, 255).reshape([rows, bins, size, size, 3]).transpose([0, 2, 1, 3, 4]).toInt()
  })
  const data = Uint8Array.from(pixels.dataSync())
  pixels.dispose()
  return data
}
