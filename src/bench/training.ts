/** Training throughput: one full D + G step at batch 32, per preset and backend. */
import * as tf from '@tensorflow/tfjs'
import { BIN_COUNT } from '../shared/ageBins'
import { Rng } from '../shared/rng'
import { buildDiscriminator, buildGenerator } from '../engine/model/networks'
import { preset } from '../engine/model/presets'
import type { PresetName } from '../shared/training'
import { backendStatuses, useBackend, type BackendName } from '../engine/tf/backends'
import { oneHot } from '../engine/training/data'
import { ganStep } from '../engine/training/steps'
import { makeAdam } from '../engine/tf/cpuAdam'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { torchStatus, TRAINER_DIR, type TorchBackend } from '../engine/torch/python'

/** Images/s of one D + G step: the best and the median of `roundCount` rounds of `steps` steps. */
export async function benchTrainingStep(
  name: PresetName,
  backend: BackendName,
  batch = 32,
  steps = 3,
  roundCount = 3,
): Promise<{ best: number; median: number }> {
  await useBackend(backend)
  const p = preset(name)
  const models = { generator: buildGenerator(p), discriminator: buildDiscriminator(p), optG: makeAdam(2e-4, 0.5), optD: makeAdam(2e-4, 0.5) }
  const rng = new Rng(1)
  const bins = Array.from({ length: batch }, (_, i) => i % BIN_COUNT)
  const images = tf.randomUniform([batch, p.imageSize, p.imageSize, 3], -1, 1) as tf.Tensor4D
  const labels = oneHot(bins, 6)
  const step = () => ganStep(models, { images, labels, bins }, rng, { zDim: p.zDim, bins: BIN_COUNT, labelSmoothing: 0 })
  step() // warm-up: first-use allocations and BLAS thread start
  const rounds: number[] = []
  for (let round = 0; round < roundCount; round++) {
    const started = performance.now()
    for (let i = 0; i < steps; i++) step()
    rounds.push((batch * steps) / ((performance.now() - started) / 1000))
  }
  tf.dispose([images, labels])
  models.generator.dispose()
  models.discriminator.dispose()
  rounds.sort((a, b) => a - b)
  return { best: rounds.at(-1)!, median: rounds[Math.floor(rounds.length / 2)] }
}

/** GFLOP/s of the paper preset's largest convolutions, forward and both gradients. */
export async function benchConvolutions(backend: BackendName): Promise<string[]> {
  await useBackend(backend)
  type Shape4 = [number, number, number, number]
  const cases: [string, Shape4, Shape4, number][] = [
    ['G 32×32 128→64 k5', [32, 32, 32, 128], [5, 5, 128, 64], 1],
    ['G 16×16 256→128 k5', [32, 16, 16, 256], [5, 5, 256, 128], 1],
    ['D 16×16 70→128 k3 s2', [32, 32, 32, 70], [3, 3, 70, 128], 2],
  ]
  const lines: string[] = []
  for (const [label, xShape, wShape, stride] of cases) {
    const x = tf.randomNormal(xShape) as tf.Tensor4D
    const w = tf.randomNormal(wShape) as tf.Tensor4D
    const y = tf.conv2d(x, w, stride, 'same')
    const dy = tf.randomNormal(y.shape)
    const flops = 2 * y.size * wShape[0] * wShape[1] * wShape[2]
    const time = (fn: () => tf.Tensor) => {
      fn().dispose()
      const started = performance.now()
      const out = fn()
      out.dataSync()
      out.dispose()
      return flops / ((performance.now() - started) / 1000) / 1e9
    }
    const forward = time(() => tf.conv2d(x, w, stride, 'same'))
    const input = time(() => tf.conv2dTranspose(dy as tf.Tensor4D, w, xShape, stride, 'same'))
    const filter = time(() =>
      tf.grad((ww: tf.Tensor) =>
        tf
          .conv2d(x, ww as tf.Tensor4D, stride, 'same')
          .mul(dy)
          .sum(),
      )(w),
    )
    lines.push(`  ${label}: forward ${forward.toFixed(1)}, backprop input ${input.toFixed(1)}, backprop filter ${filter.toFixed(1)} GFLOP/s`)
    tf.dispose([x, w, y, dy])
  }
  return lines
}

export function trainingBackends(): BackendName[] {
  return backendStatuses()
    .filter((b) => b.available && b.canTrain)
    .map((b) => b.name)
}

/** The same step on PyTorch (the trainer's own gan_step), in its own process: images/s best and median. */
export async function benchTorchStep(
  name: PresetName,
  backend: TorchBackend,
  batch = 32,
  steps = 3,
  roundCount = 3,
): Promise<{ best: number; median: number; threads: number }> {
  const status = await torchStatus()
  if (!status.ok) throw new Error(status.reason)
  const dir = mkdtempSync(join(tmpdir(), 'age-studio-torch-bench-'))
  try {
    const spec = join(dir, 'bench.json')
    writeFileSync(spec, JSON.stringify({ preset: preset(name), batch, steps, rounds: roundCount, device: backend === 'torch-cuda' ? 'cuda' : 'cpu' }))
    const result = spawnSync(status.probe.python, ['-m', 'agecgan', 'bench', spec], { cwd: TRAINER_DIR, encoding: 'utf8' })
    if (result.status !== 0) throw new Error(result.stderr.trim().split('\n').at(-1))
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { best: number; median: number; threads: number }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
