/**
 * `age-studio age`: one face, G's own output at the model's size for every target bin. A thin
 * caller of the editor's pipeline (prepare → refine → render → provenance → records), so the
 * CLI, the editor and batch say the same things about the same input. What differs is only the
 * output: the model's window itself (age-binN.png, provenance in its EXIF), not a composite.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { version } from '../../../package.json'
import { AGE_BINS } from '../../shared/ageBins'
import { DEFAULT_SPREAD } from '../../shared/aging'
import type { Provenance, SourceFrom } from '../../shared/provenance'
import type { Catalog } from '../catalog/catalog'
import { refuseExisting, sha256, writeFileAtomic } from '../catalog/files'
import { AgeError } from '../errors'
import { decodePhoto, photoSize } from '../faces/photoFace'
import { FaceRecognizer } from '../faces/recognizer'
import { rgbToPng } from '../images/encode'
import { encodeWithProvenance } from '../images/provenanceTag'
import { splitInference } from '../tf/inferenceSplit'
import { asAgeError, openPhoto, prepareFace, prepareGivenCrop, provenanceRecord, readPhotoFile, type GivenCrop, type PreparedFace } from './agePhoto'
import { positionToAge } from './condition'
import type { OptimizeMode } from './latentOptimizer'
import { loadAgingModel, pickCheckpoint, type AgingModel } from './model'

export interface AgeRequest {
  runId: string
  checkpointId?: number
  input: string
  /** Age bins 0–5. */
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
  /** face-api's distance to the input: what refinement lowers. */
  identityDistance: number
  /** The evaluation's independent judge: cosine similarity to the input (no loss has seen it). */
  independentSimilarity: number
}

export interface AgeOutcome {
  jobId: string
  provenanceFile: string
  outputs: AgedOutput[]
  source: { age: number; position: number; from: SourceFrom }
}

/**
 * The face to age. A square image at the model's size is taken as an aligned crop in the model's
 * window; anything else goes through the editor's face pipeline (largest face, aligned by its eyes).
 */
async function prepareInput(
  catalog: Catalog,
  path: string,
  model: AgingModel,
  recognizer: FaceRecognizer,
  givenAge?: number,
): Promise<PreparedFace | GivenCrop> {
  const bytes = readPhotoFile(path)
  const name = basename(path)
  try {
    const { width, height } = await photoSize(bytes)
    if (width === model.imageSize && height === model.imageSize) {
      const photo = { bytes, sha256: sha256(bytes), name, path, found: { width, height, faces: [] } }
      return await prepareGivenCrop(catalog, photo, (await decodePhoto(bytes)).rgb, model, recognizer, givenAge)
    }
  } catch (error) {
    throw asAgeError(error, name)
  }
  const photo = await openPhoto(bytes, name, path)
  if (photo.found.faces.length === 0) throw new AgeError(`No face found in ${name}.`)
  return prepareFace(catalog, photo, 0, model, recognizer, givenAge)
}

/** Model-size RGB floats (0–255) as PNG bytes, optionally with provenance inside. */
function modelPng(pixels: Float32Array, size: number, provenance?: Provenance): Promise<Buffer> {
  const rgb = Uint8Array.from(pixels, (v) => Math.round(v))
  return provenance ? encodeWithProvenance(rgb, size, size, 'png', provenance) : rgbToPng({ data: rgb, width: size, height: size })
}

export async function ageImage(home: string, catalog: Catalog, request: AgeRequest): Promise<AgeOutcome> {
  pickCheckpoint(catalog, request.runId, request.checkpointId) // a missing run or checkpoint is said before any work
  const overwrite = request.force === true
  const planned = ['input-aligned.png', 'provenance.json', ...request.targets.map((bin) => `age-bin${bin}.png`)]
  refuseExisting(
    planned.map((name) => join(request.outDir, name)),
    overwrite,
  )
  // Before any face-api call: its wasm build registers a higher-priority backend that is never started.
  const backend = { name: (await splitInference()).gradient }
  const model = await loadAgingModel(home, catalog, request.runId, request.checkpointId)
  const givenAge = request.sourceBin === undefined ? undefined : positionToAge(request.sourceBin)
  const jobId = randomUUID()
  const written: { output: AgedOutput; provenance: Provenance }[] = []
  try {
    const prepared = await prepareInput(catalog, request.input, model, await FaceRecognizer.load(), givenAge)
    try {
      const { edit } = prepared
      await edit.refine(request.optimize, request.iterations, request.onProgress, request.signal)
      const optimize = { mode: request.optimize, iterationsRequested: request.iterations, iterationsDone: edit.refinedIterations }
      mkdirSync(request.outDir, { recursive: true })
      await writeFileAtomic(join(request.outDir, 'input-aligned.png'), await modelPng(edit.inputPixels(), model.imageSize), { overwrite })
      for (const bin of request.targets) {
        const parameters = { position: bin, variation: 0, spread: DEFAULT_SPREAD, mode: null, strength: 1 }
        const rendered = edit.render(bin)
        const provenance = provenanceRecord(prepared, parameters, rendered, { jobId, kind: 'age', backend: backend.name, optimize })
        const png = await modelPng(rendered.target, model.imageSize, provenance)
        const file = join(request.outDir, `age-bin${bin}.png`)
        await writeFileAtomic(file, png, { overwrite })
        const { identityDistance, independentSimilarity } = rendered
        written.push({ output: { bin, label: AGE_BINS[bin], file, sha256: sha256(png), identityDistance, independentSimilarity }, provenance })
      }
      const provenanceFile = join(request.outDir, 'provenance.json')
      const record = {
        tool: `Age Studio ${version}`,
        jobId,
        outputs: written.map(({ output, provenance }) => ({ file: output.file, sha256: output.sha256, provenance })),
      }
      await writeFileAtomic(provenanceFile, JSON.stringify(record, null, 2), { overwrite })
      catalog.agingJobs.record(
        {
          id: jobId,
          kind: 'single',
          checkpointId: model.checkpoint.id,
          modelHash: model.modelHash,
          params: { targets: request.targets, optimize },
          outDir: request.outDir,
        },
        written.map(({ output, provenance }) => ({
          jobId,
          inputPath: request.input,
          inputSha256: prepared.photo.sha256,
          targetAge: positionToAge(output.bin),
          variation: 0,
          outputFile: output.file,
          outputSha256: output.sha256,
          identityDistance: output.identityDistance,
          provenance,
        })),
      )
      return { jobId, provenanceFile, outputs: written.map((w) => w.output), source: prepared.source }
    } finally {
      prepared.edit.dispose()
    }
  } finally {
    model.dispose()
  }
}
