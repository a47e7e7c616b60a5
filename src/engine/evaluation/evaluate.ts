/**
 * Evaluates one checkpoint on faces of the run's own held-out split, as the paper did: for each
 * input x with bin y0, z0 = E(x), z_pixel and z_id refined from z0 (by pixels, and by face-api's
 * recognizer as the editor does), then G(·, y0) and G(z_id, y_t) for every bin. The judges, which
 * no loss sees, compare each output with x and estimate its age. Results go to the catalog and a
 * per-face JSON file under the run's folder.
 */
import * as tf from '@tensorflow/tfjs'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { BIN_COUNT } from '../../shared/ageBins'
import { JUDGE_CALIBRATION, type EvaluateRequest, type EvaluationSource, type EvaluationSummary } from '../../shared/evaluation'
import { TrainConfigSchema, type TrainConfig } from '../../shared/training'
import { ModelError, loadAgingModel, pickCheckpoint } from '../aging/model'
import { LatentOptimizer, type OptimizeOptions } from '../aging/latentOptimizer'
import type { Catalog } from '../catalog/catalog'
import { FileStore, writeFileAtomic } from '../catalog/files'
import { BadInput, Cancelled } from '../errors'
import { writableRunFolder } from '../runFolders'
import { FaceRecognizer } from '../faces/recognizer'
import { oneHot, trainingPixels } from '../training/data'
import type { TrainingRow } from '../catalog/images'
import { judgeView, type JudgeView } from '../aging/judgeView'
import { framingOf } from '../../shared/framing'
import { Judges } from './judges'
import { summarize, type FaceJudgement } from './metrics'
import { evaluateExports, type ExportRun } from './exportEvaluation'
import { summarizeExports } from './exportMetrics'
import { EXPORT_TARGETS } from '../../shared/exportEvaluation'

/** Faces refined together: Adam treats each row of z on its own, so batching changes nothing but speed. */
const CHUNK = 8

export interface EvaluateHooks {
  signal?: AbortSignal
  progress?: (done: number, total: number) => void
  /** How the identity pass refines (the bench compares settings on the same faces); else the editor's. */
  refinement?: Pick<OptimizeOptions, 'recognizerSide' | 'learningRate' | 'patience'>
}

/** `count` rows spread evenly over the list, so a small evaluation still covers every dataset and bin. */
export function spread<T>(rows: T[], count: number): T[] {
  if (rows.length <= count) return rows
  return Array.from({ length: count }, (_, i) => rows[Math.floor((i * rows.length) / count)])
}

export function heldOutFaces(catalog: Catalog, request: EvaluateRequest, config: TrainConfig, imported: boolean) {
  if (config.splits.includes(request.split)) {
    throw new BadInput(`Run ${request.runId} trained on the ${request.split} split, so it cannot be judged on it; evaluate on a split it never saw.`)
  }
  const datasets = catalog.datasets.list()
  if (request.datasetId !== undefined && !datasets.some((d) => d.id === request.datasetId)) {
    throw new BadInput(`There is no dataset ${request.datasetId}; known: ${datasets.map((d) => `${d.id} "${d.name}"`).join(', ') || 'none'}.`)
  }
  // An imported bundle's dataset id names a dataset of the catalog it came from, not of this one.
  const datasetId = request.datasetId ?? (imported ? undefined : config.datasetId)
  const rows = catalog.images.trainingRows({ ...config, splits: [request.split], datasetId })
  if (rows.length === 0) {
    throw new BadInput(`The ${request.split} split of this run's data has no labelled faces; the Library's "Re-split" (library.resplit) makes one.`)
  }
  return spread(rows, request.faces)
}

/** The judged faces per dataset, procedural (demo) or real: what the table's numbers rest on. */
function sourcesOf(catalog: Catalog, faces: TrainingRow[]): EvaluationSource[] {
  const datasets = new Map(catalog.datasets.list().map((d) => [d.id, d]))
  const counts = new Map<number, number>()
  for (const face of faces) counts.set(face.datasetId, (counts.get(face.datasetId) ?? 0) + 1)
  return [...counts].map(([id, count]) => ({
    dataset: datasets.get(id)?.name ?? `dataset ${id}`,
    procedural: datasets.get(id)?.format === 'demo',
    faces: count,
  }))
}

/** The side of the crops a face-framed model's pictures are judged in (the import's master). */
export const JUDGED_SIDE = 256

export async function masterOf(files: FileStore, row: TrainingRow): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(files.resolve(row.crop ?? row.file))
      .removeAlpha()
      .resize(JUDGED_SIDE, JUDGED_SIDE)
      .raw()
      .toBuffer(),
  )
}

export async function evaluateCheckpoint(home: string, catalog: Catalog, request: EvaluateRequest, hooks: EvaluateHooks = {}): Promise<EvaluationSummary> {
  const { run, checkpoint } = pickCheckpoint(catalog, request.runId, request.checkpointId)
  if (checkpoint.phase !== 'encoder') {
    throw new ModelError(`Checkpoint ${checkpoint.id} is from the GAN phase: evaluation needs the encoder E to map a face to z; train the encoder phase first.`)
  }
  const config = TrainConfigSchema.parse(run.config)
  const faces = heldOutFaces(catalog, request, config, run.origin !== null)
  const model = await loadAgingModel(home, catalog, run.id, checkpoint.id)
  const judges = await Judges.load()
  const recognizer = await FaceRecognizer.load()
  const optimizer = new LatentOptimizer(model.generator, model.encoder, recognizer)
  const [size, framing, files] = [model.imageSize, framingOf(config), new FileStore(home)]
  // The deliverable too: a spread of the same faces' photos aged and judged as exported.
  const photos = request.exports > 0 ? spread(faces, request.exports) : []
  const total = faces.length + photos.length
  const stem = `checkpoint-${checkpoint.id}-${request.split}-${Date.now()}`
  const judged: FaceJudgement[] = []
  let exported: ExportRun | null = null
  try {
    for (let start = 0; start < faces.length; start += CHUNK) {
      if (hooks.signal?.aborted) throw new Cancelled('Evaluation cancelled; nothing was stored.')
      const chunk = faces.slice(start, start + CHUNK)
      const pixels = await Promise.all(chunk.map((face) => trainingPixels(files, face, size, framing)))
      const view = judgeView(framing, size, framing === 'full' ? [] : await Promise.all(chunk.map((face) => masterOf(files, face))), JUDGED_SIDE)
      judged.push(...(await judgeChunk(model, optimizer, judges, view, chunk, pixels, request.iterations, hooks)))
      hooks.progress?.(judged.length, total)
    }
    if (photos.length > 0) {
      const sheetLines = [
        `Evaluation of ${run.id}, checkpoint ${checkpoint.id} (${checkpoint.phase} step ${checkpoint.step}), ${request.split} split: the exported photos.`,
      ]
      exported = await evaluateExports({ catalog, model, recognizer }, photos, {
        iterations: request.iterations,
        strength: request.exportStrength,
        sheetDir: join(writableRunFolder(home, run.id, 'evaluations'), stem),
        sheetLines,
        signal: hooks.signal,
        progress: (done) => hooks.progress?.(faces.length + done, total),
      })
    }
  } finally {
    model.dispose()
    judges.dispose()
  }
  if (hooks.signal?.aborted) throw new Cancelled('Evaluation cancelled; nothing was stored.')

  const threshold = JUDGE_CALIBRATION.identityThreshold
  const exports =
    exported &&
    summarizeExports(exported.photos, exported.skipped.length, {
      threshold,
      iterations: request.iterations,
      strength: request.exportStrength,
      targets: EXPORT_TARGETS,
      sheet: exported.sheet && join('runs', run.id, 'evaluations', stem, basename(exported.sheet)),
    })
  const metrics = { ...summarize(judged, threshold, request.iterations), sources: sourcesOf(catalog, faces), ...(exports && { exports }) }
  const detailsFile = join('runs', run.id, 'evaluations', `${stem}.json`)
  const details = {
    runId: run.id,
    checkpointId: checkpoint.id,
    split: request.split,
    judges: JUDGE_CALIBRATION,
    metrics,
    faces: judged,
    ...(exported && { exports: { photos: exported.photos, skipped: exported.skipped } }),
  }
  await writeFileAtomic(join(writableRunFolder(home, run.id, 'evaluations'), `${stem}.json`), JSON.stringify(details, null, 1))
  return catalog.evaluations.add(run.id, checkpoint.id, request.split, metrics, detailsFile)
}

type Model = Awaited<ReturnType<typeof loadAgingModel>>

async function judgeChunk(
  model: Model,
  optimizer: LatentOptimizer,
  judges: Judges,
  view: JudgeView,
  chunk: { file: string; bin: number }[],
  pixels: Uint8Array[],
  iterations: number,
  { signal, refinement }: EvaluateHooks,
): Promise<FaceJudgement[]> {
  const size = model.imageSize
  const n = chunk.length
  const x = tf.tidy(() => tf.tensor4d(Buffer.concat(pixels), [n, size, size, 3], 'float32').div(127.5).sub(1) as tf.Tensor4D)
  const y0 = oneHot(
    chunk.map((face) => face.bin),
    BIN_COUNT,
  )
  const pixel = await optimizer.optimize(x, y0, { mode: 'pixel', iterations, signal })
  const identity = await optimizer.optimize(x, y0, { ...refinement, mode: 'identity', iterations, signal, z0: pixel.z0 })
  const G = (z: tf.Tensor2D, y: tf.Tensor2D) => model.generator.apply([z, y], { training: false }) as tf.Tensor4D
  try {
    const read = (t: tf.Tensor) => Array.from(t.dataSync())
    const [input, realAges] = tf.tidy(() => {
      const seen = view(x)
      return [judges.identity(seen), judges.age(seen)]
    })
    const similarity = (z: tf.Tensor2D) => tf.tidy(() => read(Judges.similarity(input, judges.identity(view(G(z, y0))))))
    const z0 = similarity(pixel.z0)
    const px = similarity(pixel.z)
    const id = similarity(identity.z)
    const aged = Array.from({ length: BIN_COUNT }, (_, bin) =>
      tf.tidy(() => {
        const output = view(
          G(
            identity.z,
            oneHot(
              chunk.map(() => bin),
              BIN_COUNT,
            ),
          ),
        )
        return { similarity: read(Judges.similarity(input, judges.identity(output))), age: read(judges.age(output)) }
      }),
    )
    // An impostor seen as the outputs are: the next face's input picture, in this face's view.
    const impostor = n < 2 ? null : tf.tidy(() => read(Judges.similarity(input, judges.identity(view(tf.concat([x.slice(1), x.slice(0, 1)]) as tf.Tensor4D)))))
    const ages = read(realAges)
    tf.dispose([input, realAges])
    return chunk.map((face, i) => ({
      file: face.file,
      bin: face.bin,
      estimatedAge: ages[i],
      similarity: { z0: z0[i], pixel: px[i], identity: id[i] },
      aged: aged.flatMap((result, bin) => (bin === face.bin ? [] : [{ bin, similarity: result.similarity[i], estimatedAge: result.age[i] }])),
      impostor: impostor === null ? null : impostor[i],
    }))
  } finally {
    tf.dispose([x, y0, pixel.z0, pixel.z, identity.z0, identity.z])
  }
}
