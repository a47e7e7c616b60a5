/**
 * The deliverable judged: each held-out photo aged exactly as batch ages it (its largest face,
 * identity refinement, residual composite at full resolution, the given strength) to every EXPORT_TARGETS
 * age, and each exported image judged as the user would get it: identity and age by the
 * independent judges on the face warped out of the export, the artifact measure, and whether a
 * face is still found in it. A contact sheet of every export is written beside the numbers.
 */
import { basename, isAbsolute } from 'node:path'
import sharp from 'sharp'
import { DEFAULT_SPREAD } from '../../shared/aging'
import { AGE_BINS, ageToBin } from '../../shared/ageBins'
import { EXPORT_TARGETS } from '../../shared/exportEvaluation'
import { agedPhoto, MASTER_SIZE, openPhoto, prepareFace, readPhotoFile, type AgedPhoto, type PreparedFace } from '../aging/agePhoto'
import { ageToPosition } from '../aging/condition'
import { cellImage, writeContactSheets, type SheetRow } from '../aging/contactSheet'
import { judgedAgedPhoto, verdictCaption } from '../aging/exportVerdict'
import { faceRegionPng } from '../aging/faceRegion'
import type { AgingModel } from '../aging/model'
import type { Catalog } from '../catalog/catalog'
import { sha256 } from '../catalog/files'
import type { TrainingRow } from '../catalog/images'
import { AgeError, Cancelled } from '../errors'
import { decodePhoto, findFaces, PhotoError } from '../faces/photoFace'
import type { FaceRecognizer } from '../faces/recognizer'
import type { ExportJudgement, PhotoJudgement } from './exportMetrics'

/** The contact sheet's cells: the face region of the photo at this side, as batch draws them. */
const CELL_REGION = 320

export interface ExportContext {
  catalog: Catalog
  model: AgingModel
  recognizer: FaceRecognizer
}

export interface ExportOptions {
  iterations: number
  /** How much of the change goes in, as batch's strength (1 by default). */
  strength: number
  /** Where the contact sheet goes, and its header lines. */
  sheetDir: string
  sheetLines: string[]
  signal?: AbortSignal
  progress?: (done: number, total: number) => void
}

export interface ExportRun {
  photos: PhotoJudgement[]
  skipped: { file: string; reason: string }[]
  /** The first PNG page of the contact sheet (absolute), or null when nothing was aged. */
  sheet: string | null
}

/** Whether the detector still finds a face in the exported photo (it found one in the input). */
async function stillHasFace(aged: AgedPhoto): Promise<boolean> {
  const png = await sharp(aged.rgb, { raw: { width: aged.width, height: aged.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer()
  try {
    return (await findFaces(png)).faces.length > 0
  } catch (error) {
    if (error instanceof PhotoError) return false
    throw error
  }
}

/**
 * The photo the face was imported from, its largest face prepared as batch prepares it (the
 * catalog's label is its age, found by the photo's hash). A photo that is gone or changed since
 * import, a demo face, or an AgeError (no face, not an image) skips it, with the reason.
 */
async function prepared(ctx: ExportContext, face: TrainingRow): Promise<PreparedFace | string> {
  const source = ctx.catalog.images.photoOf(face.file)
  if (!source || !isAbsolute(source.sourcePath)) return 'a procedural demo face: there is no photo to age'
  try {
    const bytes = readPhotoFile(source.sourcePath)
    if (sha256(bytes) !== source.sha256) return `${source.sourcePath} has changed since it was imported`
    const photo = await openPhoto(bytes, basename(source.sourcePath), source.sourcePath)
    return await prepareFace(ctx.catalog, photo, 0, ctx.model, ctx.recognizer)
  } catch (error) {
    if (error instanceof AgeError) return error.message
    throw error
  }
}

/** One photo to every target age: its judgements with both embeddings, and its contact-sheet row. */
async function agePhotoToTargets(face: PreparedFace, { iterations, strength, signal }: ExportOptions) {
  await face.edit.refine('identity', iterations, undefined, signal)
  if (signal?.aborted) throw new Cancelled('Evaluation cancelled; nothing was stored.')
  const drawn = face.edit.renderMany(
    EXPORT_TARGETS.map((age) => ({ position: ageToPosition(age), variation: 0 })),
    DEFAULT_SPREAD,
  )
  const exports: (Omit<ExportJudgement, 'impostor'> & { embedding: Float32Array })[] = []
  const transform = face.aligned.transform
  const pixels = (face.photo.pixels ??= await decodePhoto(face.photo.bytes))
  const cells = [{ png: await cellImage(await faceRegionPng(pixels, transform, MASTER_SIZE, CELL_REGION)), caption: '' }]
  let input: Float32Array | undefined
  let inputJudgedAge = 0
  for (const [i, age] of EXPORT_TARGETS.entries()) {
    const parameters = { position: ageToPosition(age), variation: 0, spread: DEFAULT_SPREAD, mode: 'residual' as const, strength }
    const aged = await agedPhoto(face, parameters, { rendered: drawn[i] })
    const judged = await judgedAgedPhoto(face, aged)
    input = judged.input
    inputJudgedAge = judged.verdict.inputJudgedAge
    const e = {
      age,
      similarity: judged.verdict.similarity,
      judgedAge: judged.verdict.judgedAge,
      artifacts: judged.verdict.artifacts,
      faceFound: await stillHasFace(aged),
    }
    exports.push({ ...e, embedding: judged.exported })
    const caption = `${age} y · ${verdictCaption(judged.verdict)}${e.faceFound ? '' : ' · NO FACE'}`
    cells.push({ png: await cellImage(await faceRegionPng(aged, transform, MASTER_SIZE, CELL_REGION)), caption })
  }
  cells[0].caption = `input · ${face.source.age} (${face.source.from}) · looks ${Math.round(inputJudgedAge)}`
  return { exports, input: input!, inputJudgedAge, cells }
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i], 0)

export async function evaluateExports(ctx: ExportContext, faces: TrainingRow[], options: ExportOptions): Promise<ExportRun> {
  const skipped: ExportRun['skipped'] = []
  const aged: (Awaited<ReturnType<typeof agePhotoToTargets>> & { file: string; name: string; sha256: string; sourceAge: number })[] = []
  for (const [done, row] of faces.entries()) {
    if (options.signal?.aborted) throw new Cancelled('Evaluation cancelled; nothing was stored.')
    const face = await prepared(ctx, row)
    if (typeof face === 'string') {
      skipped.push({ file: row.file, reason: face })
    } else {
      try {
        aged.push({
          ...(await agePhotoToTargets(face, options)),
          file: row.file,
          name: face.photo.name,
          sha256: face.photo.sha256,
          sourceAge: face.source.age,
        })
      } finally {
        face.edit.dispose()
      }
    }
    options.progress?.(done + 1, faces.length)
  }
  // The mismatched-pair control: every export against the next photo's input face.
  const photos: PhotoJudgement[] = aged.map((photo, i) => {
    const other = aged.length > 1 ? aged[(i + 1) % aged.length].input : null
    return {
      file: photo.file,
      sourceAge: photo.sourceAge,
      inputJudgedAge: photo.inputJudgedAge,
      exports: photo.exports.map(({ embedding, ...e }) => ({ ...e, impostor: other && dot(embedding, other) })),
    }
  })
  const rows: SheetRow[] = aged.map((photo) => ({ title: photo.name, sha256: photo.sha256, cells: photo.cells }))
  const targets = `Target ages ${EXPORT_TARGETS.join(', ')} (bins ${EXPORT_TARGETS.map((a) => AGE_BINS[ageToBin(a)!]).join(', ')}), strength ${options.strength}, ${options.iterations} refinement steps.`
  const sheets = await writeContactSheets(rows, { lines: [...options.sheetLines, targets], paper: 'a4' }, options.sheetDir)
  return { photos, skipped, sheet: sheets.pages[0] ?? null }
}
