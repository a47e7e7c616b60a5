/**
 * Evaluation throughput: faces judged per second (encode, pixel and identity refinement, seven
 * renders and the judges) on a run barely trained on demo faces; timing does not depend on how
 * good the weights are. Also the judges alone, per face, and the export pass (`eval --exports`)
 * on real photos.
 */
import * as tf from '@tensorflow/tfjs'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHandlers } from '../engine/api/handlers'
import { evaluateCheckpoint } from '../engine/evaluation/evaluate'
import { Judges } from '../engine/evaluation/judges'
import { Studio } from '../engine/studio'
import { useBackend } from '../engine/tf/backends'
import { projectRoot } from '../engine/tf/blasAddon'
import { createRun, trainRun } from '../engine/training/trainer'
import type { PresetName } from '../shared/training'

const FACES = 8
const DEMO = join(projectRoot(), 'node_modules', '@vladmandic', 'face-api', 'demo')
const ITERATIONS = 10

export async function benchEvaluation(presets: PresetName[]): Promise<string[]> {
  const backend = await useBackend()
  const lines = [`evaluation on ${backend.name} (${FACES} val faces, ${ITERATIONS} refinement steps each for pixels and identity):`]
  const judges = await Judges.load()
  const faces = tf.randomUniform([16, 64, 64, 3], -1, 1) as tf.Tensor4D
  tf.dispose([judges.identity(faces), judges.age(faces)]) // warm-up
  let start = performance.now()
  tf.dispose(judges.identity(faces))
  const identityMs = (performance.now() - start) / 16
  start = performance.now()
  tf.dispose(judges.age(faces))
  lines.push(`  judges alone: identity ${identityMs.toFixed(1)} ms/face, age ${((performance.now() - start) / 16).toFixed(1)} ms/face`)
  tf.dispose(faces)
  judges.dispose()

  for (const name of presets) {
    const home = mkdtempSync(join(tmpdir(), 'age-studio-bench-eval-'))
    const studio = Studio.open(home, { mode: 'cli' })
    try {
      await createHandlers(studio)['library.createDemo']({ count: 120, seed: 4 })
      const { runId } = await createRun(studio.catalog, { preset: name, steps: 1, encoderSteps: 1, batch: 2, checkpointEvery: 1, backend: backend.name })
      const ctx = { home, catalog: studio.catalog, files: studio.files, emit: () => undefined }
      await trainRun(ctx, runId, { paused: false, cancelled: false })
      start = performance.now()
      const result = await evaluateCheckpoint(home, studio.catalog, {
        runId,
        split: 'val',
        faces: FACES,
        iterations: ITERATIONS,
        exports: 0,
        exportStrength: 1,
      })
      const seconds = (performance.now() - start) / 1000
      lines.push(`  ${name}: ${(result.metrics.faces / seconds).toFixed(2)} faces/s (${(seconds / result.metrics.faces).toFixed(1)} s per face)`)
      lines.push(await benchExports(home, studio, runId, name))
    } finally {
      await studio.close()
      rmSync(home, { recursive: true, force: true })
    }
  }
  return lines
}

const EXPORT_PHOTOS = 3

/** The export pass alone: face-api's 1920 px demo photos aged to six ages each and every export judged. */
async function benchExports(home: string, studio: Studio, runId: string, preset: string): Promise<string> {
  const folder = join(home, 'photos')
  mkdirSync(folder)
  for (let i = 0; i < EXPORT_PHOTOS; i++) copyFileSync(join(DEMO, `sample${i + 1}.jpg`), join(folder, `${30 + 10 * i}_Bench_Photo${'ABC'[i]}_0001.jpg`))
  const handlers = createHandlers(studio)
  await handlers['library.import']({ paths: [folder], format: 'cacd', dataset: 'photos', estimateAges: false, seed: 0, val: 0, test: 0 })
  const dataset = studio.catalog.datasets.list().find((d) => d.name === 'photos')!
  studio.catalog.db.prepare("UPDATE images SET split = 'test' WHERE dataset_id = ?").run(dataset.id)
  const start = performance.now()
  const request = {
    runId,
    split: 'test',
    faces: EXPORT_PHOTOS,
    iterations: ITERATIONS,
    exports: EXPORT_PHOTOS,
    exportStrength: 1,
    datasetId: dataset.id,
  } as const
  const x = (await evaluateCheckpoint(home, studio.catalog, request)).metrics.exports!
  const seconds = (performance.now() - start) / 1000
  return `  ${preset}, exported photos: ${x.photos} of face-api's 1920 px demo photos × 6 ages in ${seconds.toFixed(1)} s with their ${EXPORT_PHOTOS} faces' G-level pass (${(seconds / Math.max(1, x.photos)).toFixed(1)} s a photo); verified ${(x.verified.verified * 100).toFixed(1)}%, artifacts ${x.artifacts.toFixed(2)}`
}
