// The cpu-blas backend (native BLAS convolutions and matmuls, plus JS fast paths) must agree
// with tfjs's plain cpu backend: every kernel across shapes, and a whole training step's gradients.
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/shared/rng'
import { buildDiscriminator, buildGenerator } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'
import { loadBlasAddon } from '../../src/engine/tf/blasAddon'
import { backendStatuses } from '../../src/engine/tf/backends'
import { BLAS_BACKEND } from '../../src/engine/tf/blasKernels'
import { seedMathRandom } from '../../src/engine/training/random'

const addon = loadBlasAddon()
backendStatuses() // registers cpu-blas and the kernel fixes
const describeBlas = addon.addon ? describe : describe.skip
if (!addon.addon) console.log(`cpu-blas kernel tests skipped: ${addon.error}`)

function random(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed)
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.range(-1, 1)),
    shape,
  )
}

/** Runs fn on both backends with the same inputs; returns the worst relative error. */
async function compare(fn: () => tf.Tensor | tf.Tensor[]): Promise<number> {
  const run = async (backend: string) => {
    await tf.setBackend(backend)
    // Dropout draws from Math.random: the same draws on both backends.
    const restore = seedMathRandom(new Rng(42))
    const out = tf.tidy(fn)
    restore()
    const list = Array.isArray(out) ? out : [out]
    const data = list.map((t) => Array.from(t.dataSync()))
    tf.dispose(list)
    return data
  }
  const reference = await run('cpu')
  const fast = await run(BLAS_BACKEND)
  // Relative to the output's own scale. Gradients that are zero in exact arithmetic (a bias right
  // before batch norm) hold only rounding noise, so their scale is floored at 1% of the largest
  // output's: the float noise there is judged against the values it came from.
  const scales = reference.map((values) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0))
  const floor = Math.max(1e-6, 0.01 * Math.max(...scales))
  let worst = 0
  reference.forEach((values, i) => {
    expect(fast[i].length).toBe(values.length)
    const scale = Math.max(scales[i], floor)
    let here = 0
    values.forEach((v, j) => (here = Math.max(here, Math.abs(v - fast[i][j]) / scale)))
    if (process.env.DEBUG_KERNELS) console.log('output', i, values.length, here, scale)
    worst = Math.max(worst, here)
  })
  return worst
}

describe('ResizeNearestNeighborGrad (tfjs 4.22 gets batches above one wrong)', () => {
  it.each(['cpu', ...(addon.addon ? [BLAS_BACKEND] : [])])('is the sum over each upsampled block on %s', async (backend) => {
    await tf.setBackend(backend)
    for (const [b, h, c] of [
      [1, 4, 1],
      [2, 4, 1],
      [3, 5, 3],
    ]) {
      const x = tf.zeros([b, h, h, c]) as tf.Tensor4D
      const dy = tf.range(0, b * 4 * h * h * c).reshape([b, 2 * h, 2 * h, c])
      const dx = tf
        .grad((a: tf.Tensor) =>
          tf.image
            .resizeNearestNeighbor(a as tf.Tensor4D, [2 * h, 2 * h])
            .mul(dy)
            .sum(),
        )(x)
        .dataSync()
      const d = dy.dataSync()
      for (let n = 0; n < b; n++)
        for (let i = 0; i < h; i++)
          for (let j = 0; j < h; j++)
            for (let ch = 0; ch < c; ch++) {
              let sum = 0
              for (let p = 0; p < 2; p++) for (let q = 0; q < 2; q++) sum += d[((n * 2 * h + 2 * i + p) * 2 * h + 2 * j + q) * c + ch]
              expect(dx[((n * h + i) * h + j) * c + ch]).toBeCloseTo(sum, 3)
            }
      tf.dispose([x, dy])
    }
  })
})

describeBlas('cpu-blas kernels match the cpu backend', () => {
  const convCases: [number[], number[], number, 'same' | 'valid'][] = []
  for (const [x, w] of [
    [
      [1, 7, 9, 3],
      [3, 3, 3, 5],
    ],
    [
      [4, 16, 16, 8],
      [5, 5, 8, 6],
    ],
    [
      [2, 13, 11, 70],
      [3, 3, 70, 16],
    ],
    [
      [3, 8, 8, 32],
      [5, 5, 32, 16],
    ],
    // Far fewer output than input channels (as G's last layer): the taps-first path, every stride and padding.
    [
      [2, 9, 11, 64],
      [3, 3, 64, 2],
    ],
  ]) {
    for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) convCases.push([x, w, stride, pad])
  }

  it.each(convCases)('conv2d and both gradients: x %j filter %j stride %i %s', async (xShape, wShape, stride, pad) => {
    const error = await compare(() => {
      const x = random(xShape, 1) as tf.Tensor4D
      const w = random(wShape, 2) as tf.Tensor4D
      const y = tf.conv2d(x, w, stride, pad)
      const dy = random(y.shape, 3)
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf
          .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)
          .mul(dy)
          .sum(),
      )([x, w])
      const fused = tf.fused.conv2d({ x, filter: w, strides: stride, pad, bias: random([wShape[3]], 4), activation: 'leakyrelu', leakyreluAlpha: 0.2 })
      return [y, dx, dw, fused]
    })
    expect(error).toBeLessThan(1e-4)
  })

  it.each([
    [[13, 17], [17, 6], false, false],
    [[17, 13], [17, 6], true, false],
    [[13, 17], [6, 17], false, true],
    [[3, 5, 7], [3, 7, 2], false, false],
    [[3, 5, 7], [1, 7, 2], false, false],
    [[32, 106], [106, 128], false, false],
  ] as const)('matMul %j × %j (transpose %s %s)', async (a, b, ta, tb) => {
    const error = await compare(() => {
      const x = random([...a], 5)
      const y = random([...b], 6)
      const product = tf.matMul(x, y, ta, tb)
      const fused =
        a.length === 2 ? tf.fused.matMul({ a: x, b: y, transposeA: ta, transposeB: tb, bias: random([product.shape.at(-1)!], 7), activation: 'relu' }) : product
      return [product, fused]
    })
    expect(error).toBeLessThan(1e-4)
  })

  it('elementwise broadcasts, reductions, tile, split, concat, upsampling and LeakyReLU', async () => {
    const error = await compare(() => {
      const x = random([4, 6, 5, 8], 8)
      const c = random([8], 9)
      const c4 = random([1, 1, 1, 8], 10)
      const s = tf.scalar(0.7)
      const row = random([5, 8], 11)
      return [
        x.add(c),
        c.sub(x),
        x.mul(c4),
        x.div(c4.add(2)),
        s.mul(x),
        x.sub(s),
        row.mul(x),
        x.add(x),
        x.sum([0, 1, 2]),
        x.mean([0, 1, 2], true),
        x.sum([3]),
        x.mean([2, 3]),
        x.sum(),
        x.sum([1]),
        x.mean([0, 2]),
        tf.tile(random([2, 1, 6], 12), [1, 9, 1]),
        tf.tile(c4, [4, 6, 5, 1]),
        tf.tile(row, [2, 3]),
        ...tf.split(x, [3, 5], 3),
        ...tf.split(x, 2, 1),
        ...tf.split(x, [1, 4], 2),
        ...tf.split(x, [3, 1], 0),
        tf.grad((t: tf.Tensor) => tf.leakyRelu(t, 0.2).mul(c4).sum())(x),
        tf.leakyRelu(x, 0.2),
        tf.leakyRelu(x, 0.3),
        x.mul(3.7).floor(),
        x.square(),
        x.relu(),
        tf.minimum(x, 0.3),
        tf.maximum(x, c4),
        tf.minimum(c, x),
        tf.maximum(x, x.mul(-1)),
        tf.grad((t: tf.Tensor) => t.square().mul(c4).sum())(x),
        tf.concat([x, random([4, 6, 5, 3], 14)], -1),
        tf.concat([x, random([4, 6, 5, 2], 15), x], 3),
        tf.concat([x, x], 1),
        tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [12, 10]),
        tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [9, 7]),
        tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [11, 13], true),
        tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [3, 4], false, true),
        // The recognizer's pooling and ReLU, back to their input: strides, padding, windows cut by the edge.
        tf.grad((t: tf.Tensor) =>
          tf
            .maxPool(t as tf.Tensor4D, 3, 2, 'same')
            .mul(random([4, 3, 3, 8], 16))
            .sum(),
        )(x),
        tf.grad((t: tf.Tensor) =>
          tf
            .maxPool(t as tf.Tensor4D, [2, 3], [1, 2], 'valid')
            .mul(random([4, 5, 2, 8], 17))
            .sum(),
        )(x),
        tf.grad((t: tf.Tensor) =>
          tf
            .maxPool(t as tf.Tensor4D, 3, 1, 1)
            .mul(random([4, 6, 5, 8], 18))
            .sum(),
        )(x),
        // The recognizer's residual shortcuts average-pool; windows cut by padding still divide by their area.
        tf.grad((t: tf.Tensor) =>
          tf
            .avgPool(t as tf.Tensor4D, 2, 2, 'valid')
            .mul(random([4, 3, 2, 8], 19))
            .sum(),
        )(x),
        tf.grad((t: tf.Tensor) =>
          tf
            .avgPool(t as tf.Tensor4D, 3, 2, 'same')
            .mul(random([4, 3, 3, 8], 20))
            .sum(),
        )(x),
        tf.grad((t: tf.Tensor) =>
          tf
            .avgPool(t as tf.Tensor4D, [2, 3], [1, 2], 1)
            .mul(random([4, 7, 6, 8], 21))
            .sum(),
        )(x),
        tf.grad((t: tf.Tensor) => t.relu().mul(c4).sum())(x),
        tf.step(x, 0.3),
      ]
    })
    expect(error).toBeLessThan(1e-5)
    // LeakyReLU reads signs from the bits: zero and −0 take alpha, as x > 0 says, like every
    // negative. Compared on their own, so these values do not set the scale of the checks above.
    const edges = [0, -0, -1.5, 2.5, -3e-38, 3e-38, 1e3, -1e3]
    const leaky = await compare(() => [
      tf.leakyRelu(tf.tensor1d(edges), 0.2),
      tf.grad((t: tf.Tensor) =>
        tf
          .leakyRelu(t, 0.2)
          .mul(tf.tensor1d(edges.map((_, i) => i + 1)))
          .sum(),
      )(tf.tensor1d(edges)),
      // ReLU's gradient runs through the same one-pass kernel (alpha 0) on cpu-blas.
      tf.grad((t: tf.Tensor) =>
        tf
          .relu(t)
          .mul(tf.tensor1d(edges.map((_, i) => i + 1)))
          .sum(),
      )(tf.tensor1d(edges)),
    ])
    expect(leaky).toBe(0)
  })

  it("a whole tiny training step's gradients", async () => {
    const p = preset('tiny')
    await tf.setBackend('cpu')
    const restoreInit = seedMathRandom(new Rng(5)) // fixed weights: the bound below is not a draw
    const generator = buildGenerator(p)
    const discriminator = buildDiscriminator(p)
    restoreInit()
    const z = () => random([4, p.zDim], 13)
    const y = () => tf.oneHot(tf.tensor1d([0, 5, 2, 3], 'int32'), 6).toFloat()
    // Inference first: the training pass below moves batch-norm statistics, on both backends alike.
    const inference = await compare(() =>
      tf.grads((zz: tf.Tensor) => {
        const images = generator.apply([zz, y()], { training: false }) as tf.Tensor
        return (discriminator.apply([images, y()], { training: false }) as tf.Tensor).sum()
      })([z()]),
    )
    expect(inference).toBeLessThan(1e-4)
    const error = await compare(() => {
      const { grads } = tf.variableGrads(() => {
        const images = generator.apply([z(), y()], { training: true }) as tf.Tensor
        return tf.losses.sigmoidCrossEntropy(tf.ones([4, 1]), discriminator.apply([images, y()], { training: true }) as tf.Tensor) as tf.Scalar
      })
      return Object.values(grads)
    })
    // Float rounding accumulates through a dozen layers: real gradients differ by ~3e-6, the
    // zero-in-exact-arithmetic ones by up to ~1e-4 of the floor. A wrong kernel is off by O(1).
    expect(error).toBeLessThan(1e-3)
  })
})
