/** A studio on a temporary home with the demo faces in it, for training tests. */
import * as tf from '@tensorflow/tfjs'
import { rmSync } from 'node:fs'
import { createHandlers } from '../../src/engine/api/handlers'
import { demoAgeCue } from '../../src/engine/datasets/demoFaces'
import { Studio } from '../../src/engine/studio'
import type { TrainerContext } from '../../src/engine/training/trainer'
import { tempHome } from './serve'

export async function demoStudio(count = 600): Promise<{ studio: Studio; ctx: TrainerContext; close: () => Promise<void> }> {
  const home = tempHome('age-studio-train-')
  const studio = Studio.open(home, { mode: 'cli' })
  await createHandlers(studio)['library.createDemo']({ count, seed: 1 })
  const ctx: TrainerContext = { home, catalog: studio.catalog, files: studio.files, emit: (event, payload) => studio.events.emit(event, payload) }
  return {
    studio,
    ctx,
    close: async () => {
      await studio.close()
      rmSync(home, { recursive: true, force: true })
    },
  }
}

/** The demo age cue of G(z, y = bin) for each z. */
export function cueOfGenerated(generator: tf.LayersModel, z: tf.Tensor2D, bin: number): number[] {
  const n = z.shape[0]
  const images = tf.tidy(() => {
    const y = tf.oneHot(tf.fill([n], bin, 'int32') as tf.Tensor1D, 6).toFloat()
    return (generator.apply([z, y], { training: false }) as tf.Tensor).add(1).mul(127.5)
  })
  const size = images.shape[1]!
  const data = images.dataSync()
  images.dispose()
  return Array.from({ length: n }, (_, i) => demoAgeCue(data.subarray(i * size * size * 3, (i + 1) * size * size * 3), size))
}
