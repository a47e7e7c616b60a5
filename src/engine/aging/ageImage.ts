/**
 * Ages one face with a trained checkpoint: encode, optimise z, generate every target bin, write
 * one PNG per bin and a provenance record (input hash, run, checkpoint, parameters, backend,
 * time, and the recognizer's distance between the input and each output).
 */
import * as tf from '@tensorflow/tfjs'
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AGE_BINS, ageToBin } from '../../shared/ageBins'
import type { Catalog } from '../catalog/catalog'
import { refuseExisting, sha256, writeFileAtomic } from '../catalog/files'
import { estimateAge } from '../faces/ageEstimator'
import type { CropTransform } from '../faces/align'
import type { Box } from '../../shared/domain'
import { alignPhotoFace, decodePhoto, photoSize } from '../faces/photoFace'
import { FaceRecognizer, SAME_PERSON_DISTANCE } from '../faces/recognizer'
import { rgbToPng } from '../images/encode'
import { useBackend } from '../tf/backends'
import { Judges } from '../evaluation/judges'
import { JUDGE_CALIBRATION } from '../../shared/evaluation'
import { conditionVector, positionToAge } from './condition'
import { LatentOptimizer, type OptimizeMode } from './latentOptimizer'
import { asAgeError, MASTER_SIZE, readPhotoFile } from './agePhoto'
import { judgeView } from './judgeView'
import { modelWindow } from './faceEdit'
import { framingOf, windowPixels, type FramingName } from '../../shared/framing'
import { loadAgingModel, pickCheckpoint } from './model'

export interface AgeRequest {
  runId: string
  checkpointId?: number
  input: string
  targets: number[]
  optimize: OptimizeMode
  iterations: number
  outDir: string
  /** The input's own bin; else its catalog label, else an estimate. */
  sourceBin?: number
  onProgress?: (iteration: number, loss: number) => void
  /** Stops the refinement early; the outputs then use z as it is at that point. */
  signal?: AbortSignal
  /** Replace outputs already in outDir; without it such a folder is refused before any work. */
  force?: boolean
}

export interface AgedOutput {
  bin: number
  label: string
  file: string
  sha256: string
  identityDistance: number
  /** The evaluation's independent judge: cosine similarity to the input (no loss has seen it). */
  independentSimilarity: number
}

export interface AgeOutcome {
  jobId: string
  provenanceFile: string
  outputs: AgedOutput[]
  sourceBin: number
  sourceBinFrom: 'given' | 'catalog label' | 'estimated'
}


interface FaceInput {
  bytes: Uint8Array
  rgb: Uint8Array
  /** How the face was found: taken as an aligned crop, or detected and aligned. */
  face: { aligned: 'as given' } | { aligned: 'detected'; box: Box; score: number; facesFound: number; transform: CropTransform }
  /** The wide aligned crop the model's window was cut from (a detected face under the face framing). */
  master?: Uint8Array
}

/**
 * Reads the photo (EXIF orientation honoured). A square image at the model's size is taken as an
 * aligned crop (in the model's framing); anything else goes through the import's face pipeline
 * (detection, eye alignment, the crop warped from full resolution, then the model's window of it).
 */
async function readFace(path: string, size: number, framing: FramingName): Promise<FaceInput> {
  const bytes = readPhotoFile(path)
  try {
    const { width, height } = await photoSize(bytes)
    if (width === size && height === size) {
      return { bytes, rgb: (await decodePhoto(bytes)).rgb, face: { aligned: 'as given' } }
    }
    const photo = await alignPhotoFace(bytes, framing === 'full' ? size : MASTER_SIZE)
    const detected = { aligned: 'detected' as const, box: photo.face.box, score: photo.face.score, facesFound: photo.facesFound }
    if (framing === 'full') return { bytes, rgb: photo.crop, face: { ...detected, transform: photo.transform } }
    // The window at the model's size, and its own crop → photo transform.
    const rgb = await modelWindow(photo.crop, MASTER_SIZE, size, framing)
    const { left, top, side } = windowPixels(framing, MASTER_SIZE)
    const [a, b, c, d, e, f] = photo.transform
    const k = side / size
    const transform: CropTransform = [a * k, b * k, a * left + b * top + c, d * k, e * k, d * left + e * top + f]
    return { bytes, rgb, face: { ...detected, transform }, master: photo.crop }
  } catch (error) {
    throw asAgeError(error, path)
  }
}

export async function ageImage(home: string, catalog: Catalog, request: AgeRequest): Promise<AgeOutcome> {
  pickCheckpoint(catalog, request.runId, request.checkpointId) // a missing run or checkpoint is said before any work
  const overwrite = request.force === true
  const planned = ['input-aligned.png', 'provenance.json', ...request.targets.map((bin) => `age-bin${bin}.png`)]
  refuseExisting(planned.map((name) => join(request.outDir, name)), overwrite)
  // Before any face-api call: its wasm build registers a higher-priority backend that is never started.
  const backend = await useBackend()
  const model = await loadAgingModel(home, catalog, request.runId, request.checkpointId)
  const { run, checkpoint, generator } = model
  const p = { imageSize: model.imageSize }
  const framing = framingOf(model.config)
  const { bytes, rgb, face, master } = await readFace(request.input, p.imageSize, framing)
  // The judge sees a window put back into its crop; a crop given as is is judged as given.
  const view = judgeView(master ? framing : 'full', p.imageSize, master ? [master] : [], MASTER_SIZE)
  const inputSha = sha256(bytes)

  let sourceBin = request.sourceBin
  let sourceBinFrom: AgeOutcome['sourceBinFrom'] = 'given'
  if (sourceBin === undefined) {
    const labelled = catalog.images.ageOf(inputSha)
    sourceBin = ageToBin(labelled ?? Math.round(await estimateAge(rgb, p.imageSize))) ?? 2
    sourceBinFrom = labelled !== undefined ? 'catalog label' : 'estimated'
  }

  const recognizer = await FaceRecognizer.load()
  const judges = await Judges.shared()
  const x = tf.tidy(() => tf.tensor4d(rgb, [1, p.imageSize, p.imageSize, 3], 'float32').div(127.5).sub(1) as tf.Tensor4D)
  const y0 = conditionVector(sourceBin)
  const started = new Date()
  const optimizer = new LatentOptimizer(generator, model.encoder, recognizer)
  const { z0, z, losses } = await optimizer.optimize(x, y0, {
    mode: request.optimize,
    iterations: request.iterations,
    onProgress: request.onProgress,
    signal: request.signal,
  })

  mkdirSync(request.outDir, { recursive: true })
  await writeFileAtomic(join(request.outDir, 'input-aligned.png'), await rgbToPng({ data: rgb, width: p.imageSize, height: p.imageSize }), { overwrite })
  const outputs: AgedOutput[] = []
  try {
    const inputDescriptor = recognizer.describe(x)
    const inputEmbedding = tf.tidy(() => judges.identity(view(x)))
    for (const bin of request.targets) {
      const [pixels, distance, similarity] = tf.tidy(() => {
        const image = generator.apply([z, conditionVector(bin)], { training: false }) as tf.Tensor4D
        const d = FaceRecognizer.distance(inputDescriptor, recognizer.describe(image))
        return [image.add(1).mul(127.5).clipByValue(0, 255).toInt(), d, Judges.similarity(inputEmbedding, judges.identity(view(image)))]
      })
      const png = await rgbToPng({ data: Uint8Array.from(pixels.dataSync()), width: p.imageSize, height: p.imageSize })
      const identityDistance = distance.dataSync()[0]
      const independentSimilarity = similarity.dataSync()[0]
      tf.dispose([pixels, distance, similarity])
      const file = join(request.outDir, `age-bin${bin}.png`)
      await writeFileAtomic(file, png, { overwrite })
      outputs.push({ bin, label: AGE_BINS[bin], file, sha256: sha256(png), identityDistance, independentSimilarity })
    }
    tf.dispose([inputDescriptor, inputEmbedding])
  } finally {
    tf.dispose([x, y0, z0, z])
    model.dispose()
  }

  const jobId = randomUUID()
  const parameters = {
    targets: request.targets,
    optimize: request.optimize,
    iterations: request.iterations,
    iterationsDone: request.optimize === 'none' ? 0 : losses.length,
    sourceBin,
    sourceBinFrom,
  }
  const provenance = {
    tool: 'Age Studio',
    jobId,
    input: { path: request.input, sha256: inputSha, face },
    run: { id: run.id, preset: run.preset, seed: run.seed, config: run.config },
    checkpoint: { id: checkpoint.id, phase: checkpoint.phase, step: checkpoint.step, sha256: checkpoint.sha256, encoderTrained: checkpoint.phase === 'encoder' },
    modelHash: model.modelHash,
    parameters,
    backend: backend.name,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    finalLoss: losses.at(-1) ?? null,
    sameIdentityThreshold: SAME_PERSON_DISTANCE,
    independentJudge: { judges: JUDGE_CALIBRATION.judges, threshold: JUDGE_CALIBRATION.identityThreshold },
    outputs: outputs.map(({ bin, label, file, sha256: hash, identityDistance, independentSimilarity }) => ({
      bin, label, file, sha256: hash, identityDistance, sameIdentity: identityDistance < SAME_PERSON_DISTANCE,
      independentSimilarity, independentSamePerson: Judges.verified(independentSimilarity),
    })),
  }
  const provenanceFile = join(request.outDir, 'provenance.json')
  await writeFileAtomic(provenanceFile, JSON.stringify(provenance, null, 2), { overwrite })
  catalog.agingJobs.record(
    { id: jobId, kind: 'single', checkpointId: checkpoint.id, modelHash: model.modelHash, params: parameters, outDir: request.outDir },
    outputs.map((output) => ({
      jobId, inputPath: request.input, inputSha256: inputSha, targetAge: positionToAge(output.bin), variation: 0,
      outputFile: output.file, outputSha256: output.sha256, identityDistance: output.identityDistance, provenance,
    })),
  )
  return { jobId, provenanceFile, outputs, sourceBin, sourceBinFrom }
}
