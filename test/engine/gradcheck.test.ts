// Numerical gradient checks through the real networks: every trainable variable of G and D gets
// a central-difference check on a few of its entries. This is what caught tfjs's broken
// ResizeNearestNeighborGrad; kernel-vs-kernel comparisons cannot catch a bug both backends share.
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/shared/rng'
import { buildDiscriminator, buildEncoder, buildGenerator } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'
import { backendStatuses, useBackend } from '../../src/engine/tf/backends'
import { seedMathRandom } from '../../src/engine/training/random'

const backends = backendStatuses()
  .filter((b) => b.name === 'cpu+blas' && b.available)
  .map((b) => b.name)

/**
 * Central differences on a few entries of every variable. Returns the pairs (numeric, analytic).
 * LeakyReLU's kinks and float32 rounding make single entries noisy, so callers judge the whole
 * set: a broken gradient (like the resize one) is wrong everywhere, not by a few percent.
 */
function check(loss: () => tf.Scalar, variables: tf.Variable[]): { name: string; numeric: number; analytic: number }[] {
  const evaluate = () => {
    const restore = seedMathRandom(new Rng(9)) // same dropout masks at every evaluation
    try {
      return loss().dataSync()[0]
    } finally {
      restore()
    }
  }
  const restore = seedMathRandom(new Rng(9))
  const { grads } = tf.variableGrads(loss, variables)
  restore()
  const pairs: { name: string; numeric: number; analytic: number }[] = []
  for (const variable of variables) {
    const analytic = grads[variable.name].dataSync()
    const values = variable.dataSync().slice()
    for (const i of [0, Math.floor(values.length / 4), Math.floor(values.length / 2), values.length - 1]) {
      const eps = 2e-3 * Math.max(1, Math.abs(values[i]))
      const at = (delta: number) => {
        const changed = values.slice()
        changed[i] += delta
        variable.assign(tf.tensor(changed, variable.shape))
        return evaluate()
      }
      const numeric = (at(eps) - at(-eps)) / (2 * eps)
      variable.assign(tf.tensor(values, variable.shape))
      pairs.push({ name: variable.name, numeric, analytic: analytic[i] })
    }
  }
  tf.dispose(Object.values(grads))
  return pairs
}

function cosine(pairs: { numeric: number; analytic: number }[]): number {
  let dot = 0,
    a = 0,
    b = 0
  for (const p of pairs) {
    dot += p.numeric * p.analytic
    a += p.numeric ** 2
    b += p.analytic ** 2
  }
  return dot / Math.sqrt(a * b)
}

/** Every variable's sampled gradients agree with central differences, as a whole and one by one. */
function expectGradientsAgree(pairs: { name: string; numeric: number; analytic: number }[]): void {
  if (process.env.DEBUG_GRAD) for (const p of pairs) console.log('PAIR', p.name, p.numeric.toExponential(3), p.analytic.toExponential(3))
  expect(cosine(pairs)).toBeGreaterThan(0.98)
  const scale = pairs.reduce((m, p) => Math.max(m, Math.abs(p.analytic)), 0)
  const bad = pairs.filter((p) => Math.abs(p.numeric - p.analytic) > 0.15 * scale)
  expect(bad, JSON.stringify(bad)).toEqual([])
}

describe.each(['cpu', ...backends])('gradients on %s', (backend) => {
  it('G and D, in training mode with batch norm and dropout, match central differences', async () => {
    await useBackend(backend as 'cpu')
    const p = preset('tiny')
    const restore = seedMathRandom(new Rng(4))
    const generator = buildGenerator(p)
    const discriminator = buildDiscriminator(p)
    restore()
    const z = tf.randomNormal([3, p.zDim], 0, 1, 'float32', 1)
    const y = tf.oneHot(tf.tensor1d([0, 3, 5], 'int32'), 6).toFloat()
    const loss = () =>
      tf.tidy(() => {
        const images = generator.apply([z, y], { training: true }) as tf.Tensor
        return (discriminator.apply([images, y], { training: true }) as tf.Tensor).square().mean() as tf.Scalar
      })
    expectGradientsAgree(
      check(
        loss,
        [...generator.trainableWeights, ...discriminator.trainableWeights].map((w) => w.read() as tf.Variable),
      ),
    )
  }, 300_000)

  it('E matches central differences', async () => {
    await useBackend(backend as 'cpu')
    const p = preset('tiny')
    const restoreInit = seedMathRandom(new Rng(6)) // fixed weights: LeakyReLU kinks make some draws noisier than others
    const encoder = buildEncoder(p)
    restoreInit()
    const x = tf.randomUniform([3, 64, 64, 3], -1, 1, 'float32', 2)
    const target = tf.randomNormal([3, p.zDim], 0, 1, 'float32', 3)
    const loss = () => tf.tidy(() => tf.losses.meanSquaredError(target, encoder.apply(x, { training: true }) as tf.Tensor) as tf.Scalar)
    expectGradientsAgree(
      check(
        loss,
        encoder.trainableWeights.map((w) => w.read() as tf.Variable),
      ),
    )
  }, 300_000)
})
