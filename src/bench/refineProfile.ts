/**
 * Where one identity-refinement step's time goes (issue 16): G forward, G forward + backward to z,
 * the recognizer's forward and forward + backward at its 150 px input and at smaller ones, and
 * the whole step. Untrained networks of the preset: timing does not depend on the weights.
 */
import * as tf from '@tensorflow/tfjs'
import { unfusedGenerator } from '../engine/aging/unfusedGenerator'
import { FaceRecognizer } from '../engine/faces/recognizer'
import { buildGenerator } from '../engine/model/networks'
import { preset } from '../engine/model/presets'
import { useBackend } from '../engine/tf/backends'
import type { PresetName } from '../shared/training'

/** Median milliseconds of `repeat` runs after one warm-up. */
function median(fn: () => void, repeat = 5): number {
  fn()
  const times: number[] = []
  for (let i = 0; i < repeat; i++) {
    const start = performance.now()
    fn()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(repeat / 2)]
}

export async function profileRefinement(name: PresetName): Promise<string[]> {
  const backend = await useBackend()
  const p = preset(name)
  const generator = buildGenerator(p)
  const recognizer = await FaceRecognizer.load()
  const z = tf.variable(tf.randomNormal([1, p.zDim]) as tf.Tensor2D)
  const y = tf.oneHot([2], p.bins).toFloat() as tf.Tensor2D
  const x = tf.randomUniform([1, p.imageSize, p.imageSize, 3], -1, 1) as tf.Tensor4D
  const target = recognizer.describe(x)
  const fusedG = () => generator.apply([z, y], { training: false }) as tf.Tensor4D
  const unfused = unfusedGenerator(generator)
  const G = () => unfused(z, y) // what refinement runs
  const run = (f: () => tf.Tensor | tf.Tensor[] | { value: tf.Tensor; grads: Record<string, tf.Tensor> }) => () =>
    tf.tidy(() => {
      const out = f()
      const first = Array.isArray(out) ? out[0] : out instanceof tf.Tensor ? out : out.value
      first.dataSync()
    })
  const lines = [`identity refinement, one step, ${name} preset (${p.imageSize} px) on ${backend.name} (median ms of 5):`]
  try {
    lines.push(`  G forward: ${median(run(G)).toFixed(0)}`)
    const pixelStep = (image: () => tf.Tensor4D) => median(run(() => tf.variableGrads(() => tf.losses.meanSquaredError(x, image()) as tf.Scalar, [z])))
    lines.push(
      `  G forward + backward to z (pixel loss): ${pixelStep(G).toFixed(0)} (G's own fused layers, which also compute weight gradients: ${pixelStep(fusedG).toFixed(0)})`,
    )
    for (const side of [150, 128, 112]) {
      const describe = (images: tf.Tensor4D) => recognizer.describe(images, side)
      const forward = median(run(() => describe(x)))
      const both = median(run(() => tf.variableGrads(() => FaceRecognizer.distance(target, describe(G())).mean() as tf.Scalar, [z])))
      lines.push(`  recognizer at ${side} px: forward ${forward.toFixed(0)} · whole identity step (G and recognizer, forward + backward) ${both.toFixed(0)}`)
    }
  } finally {
    tf.dispose([z, y, x, target])
    generator.dispose()
  }
  return lines
}
