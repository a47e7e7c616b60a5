import * as tf from '@tensorflow/tfjs'
import { it } from 'vitest'
import { useBackend } from '../../src/engine/tf/backends'
import { buildDiscriminator, buildGenerator } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'
import { ganStep } from '../../src/engine/training/steps'
import { oneHot } from '../../src/engine/training/data'
import { Rng } from '../../src/shared/rng'
import { makeAdam } from '../../src/engine/tf/cpuAdam'

it('prof', async () => {
  await useBackend('cpu+blas')
  const p = preset('paper')
  const m = { generator: buildGenerator(p), discriminator: buildDiscriminator(p), optG: makeAdam(2e-4, 0.5), optD: makeAdam(2e-4, 0.5) }
  const B = 32
  const batch = { images: tf.randomUniform([B, 64, 64, 3], -1, 1) as tf.Tensor4D, labels: oneHot(Array(B).fill(1), 6), bins: Array(B).fill(1) }
  const rng = new Rng(1)
  ganStep(m, batch, rng, { zDim: 100, bins: 6, labelSmoothing: 0 })
  const t0 = Date.now()
  const info = await tf.profile(() => { ganStep(m, batch, rng, { zDim: 100, bins: 6, labelSmoothing: 0 }) })
  console.log('wall', Date.now() - t0)
  const byName = new Map<string, number>()
  for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number))
  const total = [...byName.values()].reduce((a, b) => a + b, 0)
  console.log('total ms', total.toFixed(0), [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 22).map(([n, t]) => `${n}:${t.toFixed(0)}`).join(' '))
  console.log('top', info.kernels.sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number)).slice(0, 15).map(k => k.name + JSON.stringify(k.inputShapes) + ':' + (k.kernelTimeMs as number).toFixed(0)).join(' '))
}, 600_000)
