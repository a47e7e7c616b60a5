import * as tf from '@tensorflow/tfjs'
import { it } from 'vitest'
import { useBackend } from '../../src/engine/tf/backends'
import { buildDiscriminator, buildGenerator } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'
import { ganStep } from '../../src/engine/training/steps'
import { oneHot } from '../../src/engine/training/data'
import { Rng } from '../../src/shared/rng'

it('prof', async () => {
  await useBackend('cpu+blas')
  const p = preset((process.env.PRESET as 'tiny') ?? 'tiny')
  const m = { generator: buildGenerator(p), discriminator: buildDiscriminator(p), optG: tf.train.adam(2e-4, 0.5), optD: tf.train.adam(2e-4, 0.5) }
  const B = 32
  const batch = { images: tf.randomUniform([B, 64, 64, 3], -1, 1) as tf.Tensor4D, labels: oneHot(Array(B).fill(1), 6), bins: Array(B).fill(1) }
  const rng = new Rng(1)
  ganStep(m, batch, rng, { zDim: 100, bins: 6, labelSmoothing: 0 })
  const info = await tf.profile(() => { ganStep(m, batch, rng, { zDim: 100, bins: 6, labelSmoothing: 0 }) })
  const byName = new Map<string, number>()
  for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number))
  const total = [...byName.values()].reduce((a, b) => a + b, 0)
  console.log('top', info.kernels.filter(k => ['Multiply','Tile','Sub','Greater'].includes(k.name)).sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number)).slice(0, 12).map(k => k.name + JSON.stringify(k.inputShapes) + ':' + (k.kernelTimeMs as number).toFixed(0)).join(' '))
  console.log('total ms', total.toFixed(0), [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 18).map(([n, t]) => `${n}:${t.toFixed(0)}`).join(' '))
}, 600_000)
