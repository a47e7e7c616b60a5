// DiffAugment (engine/training/augment.ts and the torch trainer's agecgan/augment.py): each
// transform does what it says pixel by pixel, G's gradient flows through it, the same Rng state
// draws the same transforms, nothing leaks; and a GAN step with it trains.
import * as tf from '@tensorflow/tfjs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../src/shared/rng'
import { color, cutout, diffAugment, translation } from '../../src/engine/training/augment'
import { ganStep } from '../../src/engine/training/steps'
import { buildDiscriminator, buildGenerator } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'
import { useBackend } from '../../src/engine/tf/backends'
import { torchStatus, TRAINER_DIR } from '../../src/engine/torch/python'

const torch = await torchStatus()
if (!torch.ok) console.log(`[skip] DiffAugment in the torch trainer: no Python with torch (${torch.reason}). Install python3-torch.`)

beforeAll(async () => {
  await useBackend('cpu+blas').catch(() => useBackend('cpu'))
})

const SIDE = 16
/** A batch whose every pixel is distinct and non-zero: value = 1 + b·1000 + row·SIDE + column (one channel). */
const numbered = (rows: number) =>
  tf.tensor4d(
    Array.from({ length: rows * SIDE * SIDE }, (_, i) => 1 + Math.floor(i / (SIDE * SIDE)) * 1000 + (i % (SIDE * SIDE))),
    [rows, SIDE, SIDE, 1],
  )

describe('DiffAugment on tfjs', () => {
  it('translation moves each image by one whole-pixel shift of at most 1/8 of the side, zero where it came in', () => {
    const x = numbered(6)
    const out = translation(x, new Rng(3)).arraySync() as number[][][][]
    for (let b = 0; b < 6; b++) {
      // Find the shift from any surviving pixel, then every pixel must agree with it.
      const kept = out[b].flat(2).find((v) => v !== 0)!
      const source = kept - 1 - b * 1000
      const [fromRow, fromColumn] = [Math.floor(source / SIDE), source % SIDE]
      const at = out[b].flat(2).indexOf(kept)
      const [dy, dx] = [fromRow - Math.floor(at / SIDE), fromColumn - (at % SIDE)]
      expect(Math.max(Math.abs(dy), Math.abs(dx))).toBeLessThanOrEqual(SIDE / 8)
      for (let i = 0; i < SIDE; i++) {
        for (let j = 0; j < SIDE; j++) {
          const [r, c] = [i + dy, j + dx]
          const inside = r >= 0 && r < SIDE && c >= 0 && c < SIDE
          expect(out[b][i][j][0]).toBe(inside ? 1 + b * 1000 + r * SIDE + c : 0)
        }
      }
    }
    x.dispose()
  })

  it('cutout zeroes one square of half the side (clipped at the border) and leaves the rest', () => {
    const x = tf.ones([8, SIDE, SIDE, 3]) as tf.Tensor4D
    const out = cutout(x, new Rng(4)).arraySync() as number[][][][]
    for (const image of out) {
      const zero = image.flatMap((row, i) => row.flatMap((pixel, j) => (pixel[0] === 0 ? [[i, j]] : [])))
      expect(zero.length).toBeGreaterThan(0)
      const rows = zero.map(([i]) => i)
      const columns = zero.map(([, j]) => j)
      const [height, width] = [Math.max(...rows) - Math.min(...rows) + 1, Math.max(...columns) - Math.min(...columns) + 1]
      // One filled rectangle, at most SIDE/2 each way, exactly SIDE/2 unless it meets an edge.
      expect(zero.length).toBe(height * width)
      expect(height).toBeLessThanOrEqual(SIDE / 2)
      expect(height === SIDE / 2 || Math.min(...rows) === 0 || Math.max(...rows) === SIDE - 1).toBe(true)
      expect(width === SIDE / 2 || Math.min(...columns) === 0 || Math.max(...columns) === SIDE - 1).toBe(true)
      expect(image.every((row) => row.every((pixel) => pixel.every((v) => v === pixel[0])))).toBe(true)
    }
    x.dispose()
  })

  it('colour changes each image by its own brightness, saturation and contrast', () => {
    const x = tf.randomUniform([4, SIDE, SIDE, 3], -1, 1, 'float32', 5) as tf.Tensor4D
    const out = color(x, new Rng(6))
    const shifts = tf.tidy(() => out.sub(x).mean([1, 2, 3]).arraySync() as number[])
    expect(new Set(shifts.map((s) => s.toFixed(4))).size).toBe(4)
    tf.dispose([x, out])
  })

  it('is differentiable (G learns through it), draws the same transforms from the same Rng state, and leaks nothing', () => {
    const before = tf.memory().numTensors
    const x = tf.randomUniform([4, SIDE, SIDE, 3], -1, 1, 'float32', 7) as tf.Tensor4D
    const gradient = tf.grad((input) =>
      diffAugment(input as tf.Tensor4D, new Rng(8))
        .square()
        .sum(),
    )(x)
    expect(gradient.dataSync().some((v) => v !== 0)).toBe(true)
    // Without colour's means (which spread it everywhere): pixels shifted or cut out get no gradient.
    const geometric = tf.grad((input) =>
      cutout(translation(input as tf.Tensor4D, new Rng(8)), new Rng(9))
        .square()
        .sum(),
    )(x)
    const values = geometric.dataSync()
    expect(values.some((v) => v !== 0) && values.some((v) => v === 0)).toBe(true)
    const [a, b] = [diffAugment(x, new Rng(9)), diffAugment(x, new Rng(9))]
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()))
    tf.dispose([x, gradient, geometric, a, b])
    expect(tf.memory().numTensors).toBe(before)
  })

  it('a GAN step with it trains D and G and leaks no tensors', () => {
    const p = preset('tiny', 64)
    const models = { generator: buildGenerator(p), discriminator: buildDiscriminator(p), optG: tf.train.adam(2e-4, 0.5), optD: tf.train.adam(2e-4, 0.5) }
    const images = tf.randomUniform([4, 64, 64, 3], -1, 1, 'float32', 10) as tf.Tensor4D
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 6).toFloat() as tf.Tensor2D
    const step = () => ganStep(models, { images, labels, bins: [0, 1, 2, 3] }, new Rng(11), { zDim: p.zDim, bins: 6, labelSmoothing: 0, diffAugment: true })
    const weights = models.generator.getWeights()[0].dataSync().slice()
    step() // the optimizers make their slots on the first step
    const count = tf.memory().numTensors
    const losses = step()
    expect(tf.memory().numTensors).toBe(count)
    for (const value of Object.values(losses)) expect(Number.isFinite(value)).toBe(true)
    expect(models.generator.getWeights()[0].dataSync()).not.toEqual(weights)
  })
})

describe.skipIf(!torch.ok)('DiffAugment in the torch trainer', () => {
  it('shifts, cuts out and colours as the tfjs one does, differentiably and reproducibly', async () => {
    const python = torch.ok ? torch.probe.python : 'python3'
    const script = `
import json, torch
from agecgan.augment import translation, cutout, diff_augment
S = ${SIDE}
x = torch.arange(6 * S * S, dtype=torch.float32).view(6, 1, S, S) % (S * S) + 1
t = translation(x, torch.Generator().manual_seed(1))
shifts = []
for b in range(6):
    kept = t[b, 0][t[b, 0] != 0]
    # the surviving pixels are a shifted window of the original: one shift fits all of them
    r = int((t[b, 0] != 0).nonzero()[0][0]); c = int((t[b, 0] != 0).nonzero()[0][1])
    v = int(t[b, 0, r, c]) - 1
    dy, dx = v // S - r, v % S - c
    expected = torch.zeros(S, S)
    for i in range(S):
        for j in range(S):
            if 0 <= i + dy < S and 0 <= j + dx < S:
                expected[i, j] = x[b, 0, i + dy, j + dx]
    shifts.append([dy, dx, bool(torch.equal(expected, t[b, 0]))])
m = cutout(torch.ones(8, 3, S, S), torch.Generator().manual_seed(2))
zeros = [int((m[b, 0] == 0).sum()) for b in range(8)]
y = torch.rand(4, 3, S, S, requires_grad=True)
diff_augment(y, torch.Generator().manual_seed(3)).square().sum().backward()
same = torch.equal(diff_augment(y, torch.Generator().manual_seed(4)), diff_augment(y, torch.Generator().manual_seed(4)))
print(json.dumps({'shifts': shifts, 'zeros': zeros, 'gradient': float(y.grad.abs().sum()), 'same': same}))
`
    const { stdout } = await promisify(execFile)(python, ['-c', script], { cwd: TRAINER_DIR, encoding: 'utf8', timeout: 120_000 })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { shifts: [number, number, boolean][]; zeros: number[]; gradient: number; same: boolean }
    for (const [dy, dx, exact] of result.shifts) {
      expect(exact).toBe(true)
      expect(Math.max(Math.abs(dy), Math.abs(dx))).toBeLessThanOrEqual(SIDE / 8)
    }
    for (const zeros of result.zeros) {
      expect(zeros).toBeGreaterThan(0)
      expect(zeros).toBeLessThanOrEqual((SIDE / 2) ** 2)
    }
    expect(result.gradient).toBeGreaterThan(0)
    expect(result.same).toBe(true)
  })
})
