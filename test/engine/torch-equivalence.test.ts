// The tfjs and PyTorch networks are the same networks: for every preset and both image sizes,
// the same weights give the same G(z, y), D(x, y) and E(x) in inference mode (≤ 1e-4), and
// tfjs → torch → tfjs gives back byte-identical files; torch's own initialisation, saved in the
// studio's format, loads in tfjs with the same outputs. Skips, saying why, without torch.
import * as tf from '@tensorflow/tfjs'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readModel, writeModel } from '../../src/engine/model/checkpoint'
import { buildDiscriminator, buildEncoder, buildGenerator } from '../../src/engine/model/networks'
import { preset, type Preset } from '../../src/engine/model/presets'
import { PRESET_NAMES } from '../../src/shared/training'
import { useBackend } from '../../src/engine/tf/backends'
import { torchStatus, TRAINER_DIR } from '../../src/engine/torch/python'
import { tempHome } from '../helpers/serve'

const torch = await torchStatus()
if (!torch.ok) console.log(`[skip] tfjs ↔ PyTorch equivalence: no Python with torch (${torch.reason}). Install python3-torch.`)

const NETWORKS = ['generator', 'discriminator', 'encoder'] as const
const BATCH = 3
let dir: string
beforeAll(async () => {
  await useBackend('cpu+blas').catch(() => useBackend('cpu'))
  dir = tempHome('age-studio-torch-eq-')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const build = (p: Preset) => ({ generator: buildGenerator(p), discriminator: buildDiscriminator(p), encoder: buildEncoder(p) })

/** Non-trivial values everywhere a layout mistake could hide: biases, BN scale, shift and moving stats. */
function randomise(model: tf.LayersModel, seed: number): void {
  let s = seed
  model.setWeights(
    model.weights.map((w) => {
      s += 1
      if (w.name.includes('kernel')) return w.read().clone()
      const base = w.name.endsWith('variance') || w.name.endsWith('gamma') ? 1 : 0
      return tf.randomUniform(w.shape as number[], base - 0.4, base + 0.4, 'float32', s)
    }),
  )
}

function inputs(p: Preset): { z: tf.Tensor2D; y: tf.Tensor2D; x: tf.Tensor4D } {
  return {
    z: tf.randomNormal([BATCH, p.zDim], 0, 1, 'float32', 7) as tf.Tensor2D,
    y: tf.oneHot(tf.tensor1d([0, 3, 5], 'int32'), p.bins).toFloat() as tf.Tensor2D,
    x: tf.randomUniform([BATCH, p.imageSize, p.imageSize, 3], -1, 1, 'float32', 8) as tf.Tensor4D,
  }
}

function outputs(models: Record<(typeof NETWORKS)[number], tf.LayersModel>, input: ReturnType<typeof inputs>): Record<string, Float32Array> {
  return {
    generator: (models.generator.predict([input.z, input.y]) as tf.Tensor).dataSync() as Float32Array,
    discriminator: (models.discriminator.predict([input.x, input.y]) as tf.Tensor).dataSync() as Float32Array,
    encoder: (models.encoder.predict(input.x) as tf.Tensor).dataSync() as Float32Array,
  }
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

function runPython(spec: object, name: string): void {
  const file = join(dir, `${name}.json`)
  writeFileSync(file, JSON.stringify(spec))
  const result = spawnSync(torch.ok ? torch.probe.python : 'python3', ['-m', 'agecgan', 'forward', file], { cwd: TRAINER_DIR, encoding: 'utf8' })
  expect(result.status, result.stderr).toBe(0)
}

const readOut = (folder: string, name: string) => {
  const bytes = readFileSync(join(folder, `${name}.bin`))
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
}

describe.skipIf(!torch.ok)('tfjs and PyTorch networks', () => {
  for (const name of PRESET_NAMES) {
    for (const size of [64, 128] as const) {
      it(`${name} at ${size} px: same outputs both ways, byte-identical round trip`, async () => {
        const p = preset(name, size)
        const caseDir = join(dir, `${name}-${size}`)
        const input = inputs(p)
        const files = { z: join(caseDir, 'z.bin'), y: join(caseDir, 'y.bin'), x: join(caseDir, 'x.bin') }
        mkdirSync(caseDir, { recursive: true })
        // Float32Array.from: a cast tensor may still hold its int32 array (oneHot → toFloat does).
        for (const key of ['z', 'y', 'x'] as const) writeFileSync(files[key], Float32Array.from(input[key].dataSync()))

        // tfjs → torch: the same weights, the same outputs; saved back, the same bytes.
        const models = build(p)
        Object.values(models).forEach((model, i) => randomise(model, 100 * i + 1))
        for (const network of NETWORKS) await writeModel(models[network], join(caseDir, 'tfjs', network))
        const expected = outputs(models, input)
        runPython(
          {
            preset: p,
            batch: BATCH,
            inputs: files,
            out: join(caseDir, 'torch-out'),
            networks: Object.fromEntries(
              NETWORKS.map((n) => [n, { template: join(caseDir, 'tfjs', n), weights: join(caseDir, 'tfjs', n), save: join(caseDir, 'back', n) }]),
            ),
          },
          `${name}-${size}-a`,
        )
        for (const network of NETWORKS) {
          expect(maxDifference(readOut(join(caseDir, 'torch-out'), network), expected[network]), network).toBeLessThanOrEqual(1e-4)
          expect(readFileSync(join(caseDir, 'back', network, 'weights.bin')).equals(readFileSync(join(caseDir, 'tfjs', network, 'weights.bin'))), network).toBe(
            true,
          )
          expect(JSON.parse(readFileSync(join(caseDir, 'back', network, 'model.json'), 'utf8'))).toEqual(
            JSON.parse(readFileSync(join(caseDir, 'tfjs', network, 'model.json'), 'utf8')),
          )
        }

        // torch → tfjs: torch's own initialisation, written in the studio's format, loads in tfjs.
        runPython(
          {
            preset: p,
            batch: BATCH,
            inputs: files,
            out: join(caseDir, 'torch-init-out'),
            networks: Object.fromEntries(
              NETWORKS.map((n, i) => [n, { template: join(caseDir, 'tfjs', n), weights: null, seed: 11 + i, save: join(caseDir, 'torch-init', n) }]),
            ),
          },
          `${name}-${size}-b`,
        )
        const loaded = Object.fromEntries(await Promise.all(NETWORKS.map(async (n) => [n, await readModel(join(caseDir, 'torch-init', n))]))) as ReturnType<
          typeof build
        >
        const fromTorch = outputs(loaded, input)
        for (const network of NETWORKS) {
          expect(maxDifference(readOut(join(caseDir, 'torch-init-out'), network), fromTorch[network]), network).toBeLessThanOrEqual(1e-4)
        }
        for (const model of [...Object.values(models), ...Object.values(loaded)]) model.dispose()
        tf.dispose(Object.values(input))
        rmSync(caseDir, { recursive: true, force: true })
      }, 600_000)
    }
  }
})
