import type { AgeBin } from './ageBins'
import type { Phase, PresetName } from './training'

/** Where an image's age came from; the UI always shows it. */
export const AGE_SOURCES = ['label', 'filename', 'estimate', 'manual'] as const
export type AgeSource = (typeof AGE_SOURCES)[number]

export const SPLITS = ['train', 'val', 'test'] as const
export type Split = (typeof SPLITS)[number]

/** File-name conventions of the common age datasets; csv = a label file; folder = no labels. */
export const NAME_FORMATS = ['utkface', 'cacd', 'fgnet', 'agedb', 'wiki'] as const
export type NameFormat = (typeof NAME_FORMATS)[number]
export const IMPORT_FORMATS = ['auto', ...NAME_FORMATS, 'csv', 'folder'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

/** Why an imported image deserves a look; flagged images are kept and usable. */
export const IMAGE_FLAGS = ['unparsed-name', 'several-faces', 'small-face', 'low-confidence', 'near-duplicate', 'outside-photo'] as const
export type ImageFlag = (typeof IMAGE_FLAGS)[number]

/** The Library's status filter: rejected = import failed (kept with its reason), excluded = left out of training. */
export const IMAGE_STATUSES = ['all', 'usable', 'flagged', 'rejected', 'excluded'] as const
export type ImageStatus = (typeof IMAGE_STATUSES)[number]

/** How the Library orders images; each ties on import order. */
export const IMAGE_SORTS = ['imported', 'newest', 'age', 'age-desc', 'name', 'confidence', 'flagged'] as const
export type ImageSort = (typeof IMAGE_SORTS)[number]

export interface ImageQuery {
  bin: number | null
  datasetId?: number
  split?: Split
  ageSource?: AgeSource | 'none'
  status: ImageStatus
  sort?: ImageSort
}

export interface Box {
  x: number
  y: number
  width: number
  height: number
}

export interface BackendInfo {
  name: string
  available: boolean
  canTrain: boolean
  detail: string
}

export interface AppInfo {
  version: string
  mode: 'electron' | 'web'
  home: string
  catalogPath: string
  schemaVersion: number
  /** The backend new runs train on, and the whole ladder with why each is (un)available. */
  backend: string
  backends: BackendInfo[]
}

export interface DatasetSummary {
  id: number
  name: string
  format: string
  root: string | null
  importedAt: string
  /** Every row, the files refused at import included (kept so the next import skips them). */
  imageCount: number
  /** Of those, the files refused at import (no face, unreadable…). */
  refusedCount: number
}

export interface LibraryStats {
  total: number
  /** Images per age bin with a real age (label, file name or manual), index = bin. Rejected ones are not counted. */
  perBin: number[]
  /** Images per age bin whose age is the age model's estimate. */
  estimatedPerBin: number[]
  unlabelled: number
  rejected: number
  flagged: number
  excluded: number
}

export interface ImageSummary {
  id: number
  datasetId: number
  age: number | null
  bin: AgeBin | null
  ageSource: AgeSource | null
  split: Split
  excluded: boolean
  flags: ImageFlag[]
  /** Why the import refused this file; such images have no crop and never train. */
  importError: string | null
  /** The source file's name, so a rejected tile says which file it was. */
  fileName: string
  /** The 64×64 training image as a data: URL, so both transports show it the same way ('' when rejected). */
  thumb: string
}

export interface ImageDetail extends ImageSummary {
  sha256: string
  sourcePath: string
  datasetName: string
  /** The photo's size; null when the import could not read it. */
  width: number | null
  height: number | null
  /** The aligned master crop as a data: URL. */
  picture: string
  identity: string | null
  gender: string | null
  faceScore: number | null
  nearDuplicateOf: number | null
  /** Share of the aligned crop that lies outside the photo (mirrored fill): the whole wide crop, and the face window runs train on. */
  outside: { full: number; face: number } | null
  /** The original photo, downscaled for display, with the detection drawn in its coordinates. */
  photo: { url: string; width: number; height: number; box: Box | null; landmarks: { x: number; y: number }[] } | null
  createdAt: string
}

export interface ImportReport {
  jobId: string
  datasetId: number
  format: string
  imported: number
  /** Files whose bytes the catalog already held before this import. */
  duplicates: number
  /** Files whose bytes came earlier in this same import (an exact copy in the folder). */
  repeated: number
  rejected: { file: string; reason: string }[]
  flagged: number
  estimated: number
  perBin: number[]
}

export interface ImagePage {
  total: number
  offset: number
  images: ImageSummary[]
}

export interface DemoResult {
  jobId: string
  datasetId: number
  created: number
  duplicates: number
  perBin: number[]
}

export type JobKind = 'demo' | 'import' | 'batch' | 'evaluate'

export interface JobProgress {
  jobId: string
  kind: JobKind
  done: number
  total: number
  /** Items per second so far. */
  rate: number
  /** Seconds left at the current rate, null until there is a rate. */
  etaSeconds: number | null
}

export interface JobFinished {
  jobId: string
  kind: JobKind
  status: 'done' | 'cancelled' | 'failed'
  error: string | null
}

export type RunStatus = 'pending' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed' | 'interrupted'

export interface RunSummary {
  id: string
  /** The user's name for the run (null: none given; the id stands in). */
  name: string | null
  notes: string
  preset: PresetName
  config: Record<string, unknown>
  seed: number
  backend: string
  status: RunStatus
  error: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  lastStep: number
  lastPhase: Phase | null
  /** Set for a run imported from a model bundle: "bundle:" and the bundle's model hash. */
  origin: string | null
  /** The last step recorded in each phase (a 300 + 200 run: { gan: 300, encoder: 200 }). */
  phaseSteps: { gan: number; encoder: number }
  /** Each loss at its phase's last recorded step, by metric name (d_real, d_fake, d_mismatch, g, e). */
  lastLosses: Record<string, number>
  /** Seconds spent training, paused time left out, up to runningSince (null: not known, e.g. an older import). */
  trainedSeconds: number | null
  /** While running: since when the current stretch of training time runs. */
  runningSince: string | null
  /** What it trained on ("2 CPU cores (…), cpu+blas"), when known. */
  hardware: string | null
  /** For an imported run: where its history came from (a bundle's export, a model card). */
  historyNote: string | null
}

export interface CheckpointSummary {
  id: number
  runId: string
  phase: Phase
  step: number
  epoch: number
  dir: string
  sha256: string
  createdAt: string
}

export interface RunDetail {
  run: RunSummary
  checkpoints: CheckpointSummary[]
  samples: { phase: Phase; step: number }[]
  training: boolean
}

export interface MetricRow {
  phase: Phase
  step: number
  name: string
  value: number
}
