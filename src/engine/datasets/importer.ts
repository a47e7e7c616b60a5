/**
 * Imports photos into the catalog: every file is read, hashed (an exact duplicate is skipped),
 * decoded, its largest face detected and aligned into a 256 px master crop with the 64 px
 * training image derived from it, labelled from its name or CSV row (or estimated on request),
 * flagged where it deserves a look, and given a split. One bad file is recorded with its reason
 * and never stops the rest. Each image is written in its own transaction, so a cancelled or
 * crashed import keeps what it finished and a re-run skips it.
 */
import { readRegularFileAsync } from '../inputFiles'
import { basename, dirname, resolve } from 'node:path'
import { ageToBin, emptyPerBin } from '../../shared/ageBins'
import type { ImageFlag, ImportReport } from '../../shared/domain'
import { sha256, type FileStore } from '../catalog/files'
import type { Catalog } from '../catalog/catalog'
import { splitKey, type NewImage } from '../catalog/images'
import { estimateFaceAge } from '../faces/ageEstimator'
import { alignPhotoFace, PhotoError, type PhotoFace } from '../faces/photoFace'
import { resizeToPng, rgbToPng } from '../images/encode'
import { HASH_PREFIX, NearDuplicateIndex, perceptualHash } from '../images/phash'
import { collectSources, type ImportSource } from './importSources'
import type { ImportFormat } from './labels'
import { DEFAULT_FRAMING, DEFAULT_MAX_FILL, windowFill, windowRegion } from '../../shared/framing'
import sharp from 'sharp'
import { settleNearDuplicates } from './nearDuplicateGroups'
import { DEFAULT_SPLITS, splitFor, type SplitPlan } from './splits'

export const MASTER_SIZE = 256
export const TRAIN_SIZE = 64
/** Bigger files are refused unread; the pixel limit catches smaller decompression bombs. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024
/** Below this eye distance (photo pixels) the 256 px master is mostly upsampled blur. */
const SMALL_FACE_EYES = 24
const LOW_CONFIDENCE = 0.6

export interface ImportOptions {
  paths: string[]
  format: ImportFormat
  /** Dataset name; defaults to the first path's folder name. */
  dataset?: string
  estimateAges: boolean
  splits?: SplitPlan
}

export interface ImportHooks {
  /** Throws to cancel; called between files. */
  checkpoint(): void
  progress(done: number, total: number): void
}

export type ImportOutcome = Omit<ImportReport, 'jobId'>

type Prepared = Omit<NewImage, 'datasetId' | 'split'>

function flagsFor(photo: PhotoFace, source: ImportSource): ImageFlag[] {
  const flags: ImageFlag[] = []
  if (source.parsed && !source.parsed.ok) flags.push('unparsed-name')
  if (photo.facesFound > 1) flags.push('several-faces')
  if (photo.eyeDistance < SMALL_FACE_EYES) flags.push('small-face')
  if (photo.face.score < LOW_CONFIDENCE) flags.push('low-confidence')
  // More of the face window than a face-framed run trains on lies outside the photo.
  if (windowFill(photo.transform, photo.photoWidth, photo.photoHeight, DEFAULT_FRAMING) > DEFAULT_MAX_FILL) flags.push('outside-photo')
  return flags
}

/** Everything about one readable file; throws PhotoError when it cannot become a face. */
async function prepare(
  files: FileStore,
  source: ImportSource,
  bytes: Buffer,
  estimate: boolean,
  labelSource: 'label' | 'filename',
): Promise<Prepared & { estimated: boolean }> {
  const photo = await alignPhotoFace(bytes, MASTER_SIZE)
  const [crops, phash] = await Promise.all([storeCrops(files, photo.crop), perceptualHash(bytes)])
  const label = source.parsed?.ok ? source.parsed.label : null
  let age = label?.age ?? null
  let estimated = false
  if (age === null && estimate) {
    age = await estimateFaceAge(photo.crop, MASTER_SIZE)
    estimated = true
  }
  return {
    sha256: '',
    sourcePath: source.path,
    ...crops,
    width: photo.photoWidth,
    height: photo.photoHeight,
    age,
    ageSource: age === null ? null : estimated ? 'estimate' : labelSource,
    ageBin: age === null ? null : ageToBin(age),
    identity: label?.identity ?? null,
    gender: label?.gender ?? null,
    faceBox: photo.face.box,
    landmarks: photo.face.landmarks.map((p) => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 })),
    transform: photo.transform,
    faceScore: photo.face.score,
    flags: flagsFor(photo, source),
    phash,
    estimated,
  }
}

export interface StoredCrops {
  cropFile: string
  trainFile: string
  thumbFile: string
}

/**
 * A master crop stored as the catalog keeps it: the 256 px PNG, the 64 px training image of the
 * whole master (`full` framing), and the Library's thumbnail: the face window new runs train on,
 * so a wide master's mirrored borders are not what the user browses.
 */
export async function storeCrops(files: FileStore, crop: Uint8Array): Promise<StoredCrops> {
  const master = { data: crop, width: MASTER_SIZE, height: MASTER_SIZE }
  const raw = { raw: { width: MASTER_SIZE, height: MASTER_SIZE, channels: 3 as const } }
  const thumb = sharp(crop, raw).extract(windowRegion(DEFAULT_FRAMING, MASTER_SIZE)).resize(TRAIN_SIZE, TRAIN_SIZE, { kernel: 'lanczos3' }).png()
  const [cropFile, trainFile, thumbFile] = await Promise.all([
    rgbToPng(master).then((png) => files.put(png, 'png')),
    resizeToPng(master, TRAIN_SIZE).then((png) => files.put(png, 'png')),
    thumb.toBuffer().then((png) => files.put(png, 'png')),
  ])
  return { cropFile, trainFile, thumbFile }
}

export async function importPhotos(catalog: Catalog, files: FileStore, options: ImportOptions, hooks: ImportHooks): Promise<ImportOutcome> {
  const { format, sources } = collectSources(options.paths, options.format)
  const root = resolve(options.paths[0])
  const name = options.dataset?.trim() || basename(root.toLowerCase().endsWith('.csv') ? dirname(root) : root)
  const plan = options.splits ?? DEFAULT_SPLITS
  const datasetId = catalog.datasets.ensure(name, format, root, { format, splits: plan })
  await rehashLegacy(catalog)
  const nearDuplicates = new NearDuplicateIndex()
  for (const { id, phash } of catalog.images.hashes()) nearDuplicates.add(id, phash)
  const outcome: ImportOutcome = { datasetId, format, imported: 0, duplicates: 0, repeated: 0, rejected: [], flagged: 0, estimated: 0, perBin: emptyPerBin() }
  const reject = (file: string, reason: string) => outcome.rejected.push({ file, reason })
  const [links, fresh] = [[] as [number, number][], new Set<number>()]
  /** The bytes this import added: a second copy of them is a repeat, not something "already there". */
  const added = new Set<string>()

  try {
    await importEach()
  } finally {
    // A cancelled import keeps what it imported: its groups are settled too.
    settleNearDuplicates(catalog, links, fresh, (key) => splitFor(key, plan))
  }
  hooks.progress(sources.length, sources.length)
  return outcome

  async function importEach(): Promise<void> {
    for (let index = 0; index < sources.length; index++) {
      hooks.checkpoint()
      hooks.progress(index, sources.length)
      const source = sources[index]
      if (source.skip) {
        reject(source.path, source.skip)
        continue
      }
      const bytes = await readSource(source.path).catch((error: Error) => error)
      if (bytes instanceof Error) {
        reject(source.path, bytes.message)
        continue
      }
      const sha = sha256(bytes)
      const known = catalog.images.importErrorOf(sha)
      if (known !== undefined) {
        if (known === null) outcome[added.has(sha) ? 'repeated' : 'duplicates']++
        else reject(source.path, known) // refused before: still named in this report
        continue
      }
      const base = { datasetId, sha256: sha, split: splitFor(splitKey(source.parsed?.ok ? source.parsed.label.identity : null, sha), plan) }
      let prepared: Awaited<ReturnType<typeof prepare>>
      try {
        prepared = await prepare(files, source, bytes, options.estimateAges, format === 'csv' ? 'label' : 'filename')
      } catch (error) {
        if (!(error instanceof PhotoError)) throw error
        // Kept with its reason: visible under "rejected", and skipped by the next import.
        catalog.images.insertMany([
          {
            ...base,
            sourcePath: source.path,
            cropFile: null,
            trainFile: null,
            width: null,
            height: null,
            age: null,
            ageSource: null,
            ageBin: null,
            importError: error.message,
          },
        ])
        reject(source.path, error.message)
        continue
      }
      const { estimated, ...image } = prepared
      const near = nearDuplicates.nearest(image.phash!)
      if (near) image.flags = [...image.flags!, 'near-duplicate']
      const [id] = catalog.images.insertMany([{ ...image, ...base, nearDuplicateOf: near?.id ?? null }]).ids
      if (id === null) {
        outcome[added.has(sha) ? 'repeated' : 'duplicates']++ // added meanwhile, by this import or another
        continue
      }
      added.add(sha)
      nearDuplicates.add(id, image.phash!)
      fresh.add(id)
      if (near) links.push([id, near.id])
      outcome.imported++
      if (estimated) outcome.estimated++
      if (image.flags!.length) outcome.flagged++
      if (image.ageBin !== null) outcome.perBin[image.ageBin]++
    }
  }
}

/** The file's bytes; a folder, device, FIFO, socket or oversized file is refused with its reason. */
const readSource = (path: string): Promise<Buffer> => readRegularFileAsync(path, MAX_FILE_BYTES)

/**
 * Photos imported before the DCT hash carry a difference hash that cannot be compared with new
 * ones: hash them again from their files, once. A file gone since leaves no hash (it cannot be
 * matched, as before it could not be opened).
 */
async function rehashLegacy(catalog: Catalog): Promise<void> {
  for (const { id, sourcePath } of catalog.images.legacyHashes(HASH_PREFIX)) {
    const hash = await readSource(sourcePath).then(perceptualHash, () => null)
    catalog.images.setHash(id, hash)
  }
}
