/**
 * Step 3 of Age-cGAN, at use time, with G frozen: start from z0 = E(x), then move z so that
 * G(z, y0) matches the input, by pixels (`pixel`) or by the face recognizer's descriptor
 * (`identity`, optionally plus a small pixel term). Ageing is then G(z*, y_target).
 */
import * as tf from '@tensorflow/tfjs'
import { FaceRecognizer, RECOGNIZER_SIDE } from '../faces/recognizer'
import { onGradient } from '../tf/inferenceSplit'
import { unfusedGenerator } from './unfusedGenerator'

export type { OptimizeMode } from '../../shared/aging'
import { REFINEMENT, type OptimizeMode } from '../../shared/aging'

export interface OptimizeOptions {
  mode: OptimizeMode
  iterations: number
  learningRate?: number
  /** Linear decay to this rate by the last step. */
  learningRateEnd?: number
  /** Weight of the pixel term in identity mode. */
  pixelWeight?: number
  onProgress?: (iteration: number, loss: number) => void
  /** z after each step, so a preview can follow the refinement; copy it to keep it. */
  onLatent?: (z: tf.Tensor2D) => void
  signal?: AbortSignal
  /** E(x) when the caller has it already (it stays the caller's); else it is encoded here. */
  z0?: tf.Tensor2D
  /** The recognizer's input side in identity mode (its own is 150; smaller is cheaper). */
  recognizerSide?: number
  /** Stop once this many steps in a row have not lowered the best loss by MIN_GAIN of it. */
  patience?: number
}

/** What counts as still improving for `patience`: 0.2% of the best loss so far. */
export const MIN_GAIN = 0.002

export interface OptimizeResult {
  z0: tf.Tensor2D
  z: tf.Tensor2D
  losses: number[]
}

export class LatentOptimizer {
  constructor(
    private readonly generator: tf.LayersModel,
    private readonly encoder: tf.LayersModel,
    private readonly recognizer?: FaceRecognizer,
  ) {}

  /** x: [1, s, s, 3] in [-1, 1]; y0: the input's own age condition. The caller disposes z0 and z. */
  async optimize(x: tf.Tensor4D, y0: tf.Tensor2D, options: OptimizeOptions): Promise<OptimizeResult> {
    const z0 = options.z0 ? options.z0.clone() : onGradient(() => tf.tidy(() => this.encoder.apply(x, { training: false }) as tf.Tensor2D))
    if (options.mode === 'none' || options.iterations === 0) return { z0, z: z0.clone(), losses: [] }
    if (options.mode === 'identity' && !this.recognizer) throw new Error('Identity mode needs the face recognizer.')

    const side = options.recognizerSide ?? RECOGNIZER_SIDE
    const target = options.mode === 'identity' ? this.recognizer!.describe(x, side) : null
    const G = unfusedGenerator(this.generator)
    const z = tf.variable(z0.clone(), true)
    // Identity mode runs as the editor does unless told otherwise (shared REFINEMENT, measured in issue 16).
    const defaults = options.mode === 'identity' ? REFINEMENT : { learningRate: 0.05, patience: undefined }
    const patience = options.patience ?? defaults.patience
    const rate = options.learningRate ?? defaults.learningRate
    const optimizer = tf.train.adam(rate)
    const pixelWeight = options.mode === 'pixel' ? 1 : (options.pixelWeight ?? 0.1)
    const losses: number[] = []
    let best = Infinity
    let stale = 0
    try {
      for (let i = 0; i < options.iterations; i++) {
        if (options.signal?.aborted || (patience !== undefined && stale >= patience)) break
        if (options.learningRateEnd !== undefined) {
          ;(optimizer as unknown as { learningRate: number }).learningRate = rate + ((options.learningRateEnd - rate) * i) / Math.max(1, options.iterations - 1)
        }
        // One step is synchronous, so it runs whole on the gradient backend even while a photo is being detected.
        const loss = onGradient(() =>
          optimizer.minimize(
            () => {
              const image = G(z, y0)
              const pixel = tf.losses.meanSquaredError(x, image).mul(pixelWeight)
              if (!target) return pixel as tf.Scalar
              return FaceRecognizer.distance(target, this.recognizer!.describe(image, side)).mean().add(pixel) as tf.Scalar
            },
            true,
            [z],
          )!,
        )
        losses.push(loss.dataSync()[0])
        loss.dispose()
        stale = losses.at(-1)! < best * (1 - MIN_GAIN) ? 0 : stale + 1
        best = Math.min(best, losses.at(-1)!)
        options.onLatent?.(z)
        options.onProgress?.(i + 1, losses.at(-1)!)
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
      return { z0, z: z.clone(), losses }
    } finally {
      target?.dispose()
      z.dispose()
      optimizer.dispose()
    }
  }
}
