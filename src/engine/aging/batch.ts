/**
 * Batch age progression: every photo under the given paths (largest face each), aged to each
 * target age, K variations apiece, composited at full resolution with provenance inside. Each
 * output is recorded in the catalog as it is written, so a cancelled or crashed batch resumes
 * where it stopped; the manifest (JSON, CSV) and contact sheets are rebuilt from the catalog.
 */
import { stringify } from 'csv-stringify/sync'
import { turnedSentence } from '../faces/headPose'
import { refusedInputs, refusedRows, type RefusedInput } from './refusedInputs'
import { existsSync, readFileSync } from 'node:fs'
import { basename, extname, join, resolve } from 'node:path'
import sharp from 'sharp'
import { BatchRequestSchema, BLOTCHY, modelLimits, type BatchReport, type BatchRequest, type ExportVerdict } from '../../shared/aging'
import { ProvenanceSchema } from '../../shared/provenance'
import { JUDGE_CALIBRATION } from '../../shared/evaluation'
import type { Catalog } from '../catalog/catalog'
import { refuseExisting, sha256, writeFileAtomic } from '../catalog/files'
import { AgeError, Cancelled, OutputExistsError } from '../errors'
import { IMAGE_EXTENSIONS, listFiles } from '../datasets/importSources'
import { decodePhoto } from '../faces/photoFace'
import { FaceRecognizer } from '../faces/recognizer'
import { encodeWithProvenance } from '../images/provenanceTag'
import { dataUrl } from '../images/encode'
import { judgeAgedPhoto, verdictCaption } from './exportVerdict'
import { agedPhoto, fileStem, MASTER_SIZE, openPhoto, readPhotoFile, prepareFace, provenanceRecord, type PreparedFace } from './agePhoto'
import { ageToPosition } from './condition'
import type { RenderedFace } from './faceEdit'
import { cellImage, writeContactSheets, type SheetRow } from './contactSheet'
import { faceRegionPng } from './faceRegion'
import { loadAgingModel, type AgingModel } from './model'

export { BatchRequestSchema, type BatchRequest }

export interface BatchHooks {
  signal: AbortSignal
  progress: (done: number, total: number) => void
}

export class BatchCancelled extends Cancelled {}

const key = (sha: string, age: number, variation: number) => `${sha}:${age}:${variation}`

/** The files every batch writes at the top of its folder; their presence means the folder is taken. */
const BATCH_FILES = ['manifest.json', 'manifest.csv', 'contact-sheet.pdf', 'contact-sheet-01.png']

/** The stored request of an earlier batch, for resuming it. */
export function storedBatch(catalog: Catalog, jobId: string): BatchRequest {
  const params = catalog.agingJobs.batchParams(jobId) as { request: unknown } | undefined
  if (!params) throw new AgeError(`There is no batch ${jobId} to resume.`)
  return BatchRequestSchema.parse(params.request)
}

/** The photos under the paths; other files go to `failed` with the reason. */
function listPhotos(paths: string[], failed: BatchReport['failed']): string[] {
  let files: string[]
  try {
    files = listFiles(paths)
  } catch (error) {
    throw new AgeError((error as Error).message)
  }
  const photos = files.filter((f) => {
    const image = IMAGE_EXTENSIONS.has(extname(f).toLowerCase())
    if (!image) failed.push({ path: f, reason: `not an image file (${extname(f) || 'no extension'})` })
    return image
  })
  if (photos.length === 0) throw new AgeError('No photos to age under the given paths.')
  return photos
}

/** What every photo of one batch shares. */
interface BatchRun {
  catalog: Catalog
  jobId: string
  backend: string
  request: BatchRequest
  outDir: string
  overwrite: boolean
  /** Outputs an earlier attempt of this job already wrote (key()). */
  done: Set<string>
  model: AgingModel
  recognizer: FaceRecognizer
  signal: AbortSignal
}

/** Outputs drawn per batched pass of the networks: six ages, as the strip (bounds the memory a long list takes). */
const RENDER_BATCH = 6

/** The contact sheet's face cells: the face region of the photo at this side. */
const CELL_REGION = 320

/** One output of one photo: written with provenance (or reused from an earlier attempt), and its contact-sheet cell. */
async function ageOneOutput(
  run: BatchRun,
  prepared: PreparedFace,
  path: string,
  stem: string,
  age: number,
  variation: number,
  made?: { rendered: RenderedFace; into?: Uint8Array },
): Promise<{ cell: SheetRow['cells'][number]; reused: boolean; rgb?: Uint8Array }> {
  const { catalog, jobId, request } = run
  const photo = prepared.photo
  const file = join(run.outDir, stem, `age${age}${variation ? `-v${variation}` : ''}.${request.format === 'jpeg' ? 'jpg' : 'png'}`)
  const parameters = { position: ageToPosition(age), variation, spread: request.spread, mode: request.mode, strength: request.strength }
  const reused = run.done.has(key(photo.sha256, age, variation))
  let region: Buffer
  let rgb: Uint8Array | undefined
  let scores: { distance: number; independent?: number; exported?: ExportVerdict }
  if (reused) {
    const earlier = await decodePhoto(readFileSync(file))
    region = await faceRegionPng(earlier, prepared.aligned.transform, MASTER_SIZE, CELL_REGION)
    scores = catalog.agingJobs.outputScores(jobId, file)!
  } else {
    const aged = await agedPhoto(prepared, parameters, made)
    rgb = aged.rgb
    const exported = await judgeAgedPhoto(prepared, aged)
    scores = { distance: aged.rendered.identityDistance, independent: aged.rendered.independentSimilarity, exported }
    const optimize = { mode: request.optimize, iterationsRequested: request.iterations, iterationsDone: prepared.edit.refinedIterations }
    const provenance = provenanceRecord(prepared, parameters, aged.rendered, { jobId, kind: 'batch', backend: run.backend, optimize }, exported)
    const bytes = await encodeWithProvenance(aged.rgb, aged.width, aged.height, request.format, provenance)
    await writeFileAtomic(file, bytes, { overwrite: run.overwrite })
    catalog.agingJobs.addOutput({
      jobId,
      inputPath: path,
      inputSha256: photo.sha256,
      targetAge: age,
      variation,
      outputFile: file,
      outputSha256: sha256(bytes),
      identityDistance: scores.distance,
      provenance,
    })
    region = await faceRegionPng(aged, prepared.aligned.transform, MASTER_SIZE, CELL_REGION)
  }
  const caption = `${age} y${variation ? ` v${variation}` : ''} · ${scores.exported ? verdictCaption(scores.exported) : 'not judged'}`
  return { cell: { png: await cellImage(region), caption }, reused, rgb }
}

/** One photo: its largest face refined once (unless every output exists), then every age and variation. */
async function ageOnePhoto(run: BatchRun, path: string): Promise<{ row: SheetRow; reused: number }> {
  const { request } = run
  const photo = await openPhoto(readPhotoFile(path), basename(path), path)
  const prepared = await prepareFace(run.catalog, photo, 0, run.model, run.recognizer)
  if (prepared.pose?.turned && !request.ageTurned) {
    prepared.edit.dispose()
    throw new AgeError(`${turnedSentence(prepared.pose)} Left unchanged; "age turned faces too" (--age-turned) ages it anyway.`)
  }
  try {
    const todo = request.ages.flatMap((age) => Array.from({ length: request.variations }, (_, variation) => ({ age, variation })))
    if (todo.some(({ age, variation }) => !run.done.has(key(photo.sha256, age, variation)))) {
      await prepared.edit.refine(request.optimize, request.iterations, undefined, run.signal)
      if (run.signal.aborted) throw new BatchCancelled()
    }
    photo.pixels = await decodePhoto(photo.bytes)
    const input = await cellImage(await faceRegionPng(photo.pixels, prepared.aligned.transform, MASTER_SIZE, CELL_REGION))
    const turned = prepared.pose?.turned ? ` · turned ${Math.abs(prepared.pose.yaw)}°` : ''
    const cells = [{ png: input, caption: `input · ${prepared.source.age} (${prepared.source.from})${turned}` }]
    const stem = `${fileStem(path)}-${photo.sha256.slice(0, 8)}`
    let reused = 0
    // Every output still to write drawn in one batched pass of G, the recognizer and the judge;
    // each full-size composite reuses the last one's buffer once that is written.
    const fresh = todo.filter(({ age, variation }) => !run.done.has(key(photo.sha256, age, variation)))
    const drawn: RenderedFace[] = []
    for (let i = 0; i < fresh.length; i += RENDER_BATCH) {
      const looks = fresh.slice(i, i + RENDER_BATCH).map(({ age, variation }) => ({ position: ageToPosition(age), variation }))
      drawn.push(...prepared.edit.renderMany(looks, request.spread))
    }
    let into: Uint8Array | undefined
    for (const { age, variation } of todo) {
      if (run.signal.aborted) throw new BatchCancelled()
      const rendered = drawn[fresh.findIndex((f) => f.age === age && f.variation === variation)]
      const output = await ageOneOutput(run, prepared, path, stem, age, variation, rendered && { rendered, into })
      into = output.rgb ?? into
      cells.push(output.cell)
      if (output.reused) reused++
    }
    return { row: { title: basename(path), sha256: photo.sha256, cells }, reused }
  } finally {
    prepared.edit.dispose()
  }
}

export async function runBatch(catalog: Catalog, home: string, backend: string, jobId: string, request: BatchRequest, hooks: BatchHooks): Promise<BatchReport> {
  const model = await loadAgingModel(home, catalog, request.runId, request.checkpointId)
  const outDir = resolve(request.outDir)
  const failed: BatchReport['failed'] = []
  const photos = listPhotos(request.paths, failed)

  // A new batch never replaces another's outputs unless asked; a resumed one rewrites its own.
  const resumed = catalog.agingJobs.exists(jobId)
  if (!resumed)
    refuseExisting(
      BATCH_FILES.map((name) => join(outDir, name)),
      request.force,
    )
  catalog.agingJobs.start({ id: jobId, kind: 'batch', checkpointId: model.checkpoint.id, modelHash: model.modelHash, params: { request }, outDir })
  const done = new Set(
    catalog.agingJobs
      .outputs(jobId)
      .filter((row) => existsSync(row.output_file))
      .map((row) => key(row.input_sha256, row.target_age, row.variation)),
  )
  const run: BatchRun = {
    catalog,
    jobId,
    backend,
    request,
    outDir,
    overwrite: request.force || resumed,
    done,
    model,
    recognizer: await FaceRecognizer.load(),
    signal: hooks.signal,
  }
  const sheet: SheetRow[] = []
  let reused = 0
  try {
    for (const [index, path] of photos.entries()) {
      if (hooks.signal.aborted) throw new BatchCancelled()
      try {
        const photo = await ageOnePhoto(run, path)
        sheet.push(photo.row)
        reused += photo.reused
      } catch (error) {
        if (!(error instanceof AgeError) && !(error instanceof OutputExistsError)) throw error
        failed.push({ path, reason: error.message })
      }
      hooks.progress(index + 1, photos.length)
    }
  } catch (error) {
    catalog.agingJobs.finish(jobId, error instanceof BatchCancelled ? 'cancelled' : 'failed')
    throw error
  } finally {
    model.dispose()
  }

  const refused = refusedInputs(failed)
  const lines = caseLines(model, jobId, backend, request, sheet.length + failed.length, refused.length)
  const { pages, pdf } = await writeContactSheets([...sheet, ...refusedRows(refused)], { lines, paper: request.paper }, outDir)
  const manifest = writeManifests(catalog, jobId, outDir, refused)
  catalog.agingJobs.finish(jobId, 'done')
  const outputs = catalog.agingJobs.countOutputs(jobId)
  const sheetPreview = pages.length
    ? dataUrl(await sharp(pages[0]).resize({ width: 1200, withoutEnlargement: true }).jpeg({ quality: 85 }).toBuffer(), 'image/jpeg')
    : null
  return {
    jobId,
    outDir,
    inputs: photos.length,
    outputs,
    reused,
    failed,
    contactSheets: pages,
    sheetPreview,
    pdf,
    ...(await manifest),
    modelHash: model.modelHash,
  }
}

/** The contact sheet's header: what made these images, when, and how to read them. */
function caseLines(model: AgingModel, jobId: string, backend: string, request: BatchRequest, inputs: number, refused: number): string[] {
  const { run, checkpoint } = model
  return [
    `${inputs} input file(s): ${inputs - refused} aged, ${refused} refused (listed after the aged ones, with the reason)`,
    `Model ${model.modelHash} · run ${run.name ? `"${run.name}" ` : ''}${run.id} · ${run.preset} · checkpoint ${checkpoint.id} (${checkpoint.phase} step ${checkpoint.step})`,
    `Batch job ${jobId} · made ${new Date().toISOString()} · backend ${backend}`,
    `Target ages ${request.ages.join(', ')} years · ${request.variations} variation(s) each · refinement ${request.optimize} × ${request.iterations} · composite ${request.mode}`,
    `Each caption judges the exported photo itself: an independent recognizer that no loss sees compares its face with the input's (similarity ${JUDGE_CALIBRATION.identityThreshold} or more is the same person), "looks" is an independent age estimate of the exported face, and "dirt" measures the colour blotches and casts the change adds to the face (0 clean; ${BLOTCHY} or more is a visibly blotchy export). ${modelLimits(model.imageSize)}`,
  ]
}

/** manifest.json and manifest.csv: one entry per output, from the catalog's record of the job, and one per refused input. */
async function writeManifests(
  catalog: Catalog,
  jobId: string,
  outDir: string,
  refused: RefusedInput[],
): Promise<{ manifestJson: string; manifestCsv: string }> {
  const rows = catalog.agingJobs.outputs(jobId)
  const entries = rows.map((row) => {
    const provenance = ProvenanceSchema.parse(JSON.parse(row.provenance))
    return {
      input: row.input_path,
      inputSha256: row.input_sha256,
      face: provenance.input.face?.index ?? null,
      headYaw: provenance.input.face?.yaw ?? null,
      targetAge: row.target_age,
      variation: row.variation,
      output: row.output_file,
      outputSha256: row.output_sha256,
      modelHash: provenance.model.hash,
      runId: provenance.model.runId,
      checkpointId: provenance.model.checkpoint.id,
      checkpointStep: provenance.model.checkpoint.step,
      parameters: provenance.parameters,
      identityDistance: row.identity_distance,
      samePerson: provenance.identity.samePerson,
      independentSimilarity: provenance.identity.independent?.similarity ?? null,
      independentSamePerson: provenance.identity.independent?.samePerson ?? null,
      exportSimilarity: provenance.identity.exported?.similarity ?? null,
      exportSamePerson: provenance.identity.exported?.samePerson ?? null,
      exportJudgedAge: provenance.identity.exported?.judgedAge ?? null,
      inputJudgedAge: provenance.identity.exported?.inputJudgedAge ?? null,
      exportArtifacts: provenance.identity.exported?.artifacts ?? null,
      time: provenance.createdAt,
    }
  })
  const manifestJson = join(outDir, 'manifest.json')
  const manifestCsv = join(outDir, 'manifest.csv')
  await writeFileAtomic(manifestJson, JSON.stringify({ tool: 'Age Studio', jobId, outputs: entries, refused }, null, 2))
  const csv = stringify(
    [
      ...entries.map((e) => ({ ...e, parameters: JSON.stringify(e.parameters) })),
      ...refused.map((r) => ({ input: r.input, inputSha256: r.inputSha256 ?? '', refused: r.reason })),
    ],
    {
      header: true,
      columns: [
        'input',
        'inputSha256',
        'face',
        'headYaw',
        'targetAge',
        'variation',
        'output',
        'outputSha256',
        'modelHash',
        'runId',
        'checkpointId',
        'checkpointStep',
        'parameters',
        'identityDistance',
        'samePerson',
        'independentSimilarity',
        'independentSamePerson',
        'exportSimilarity',
        'exportSamePerson',
        'exportJudgedAge',
        'inputJudgedAge',
        'exportArtifacts',
        'time',
        'refused',
      ],
    },
  )
  await writeFileAtomic(manifestCsv, csv)
  return { manifestJson, manifestCsv }
}
