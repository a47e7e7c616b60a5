import type { AgeBin } from './ageBins'

/** Where an image's age came from; the UI always shows it. */
export const AGE_SOURCES = ['label', 'filename', 'estimate', 'manual'] as const
export type AgeSource = (typeof AGE_SOURCES)[number]

export const SPLITS = ['train', 'val', 'test'] as const
export type Split = (typeof SPLITS)[number]

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
  imageCount: number
}

export interface LibraryStats {
  total: number
  /** Images per age bin, index = bin. Unlabelled images are in `total` only. */
  perBin: number[]
  unlabelled: number
}

export interface ImageSummary {
  id: number
  datasetId: number
  age: number | null
  bin: AgeBin | null
  ageSource: AgeSource | null
  split: Split
  excluded: boolean
  /** The 64×64 training image as a data: URL, so both transports show it the same way. */
  thumb: string
}

export interface ImageDetail extends ImageSummary {
  sha256: string
  sourcePath: string
  datasetName: string
  width: number
  height: number
  /** The aligned master crop as a data: URL. */
  picture: string
  importError: string | null
  createdAt: string
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

export type JobKind = 'demo'

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
  preset: string
  config: Record<string, unknown>
  seed: number
  backend: string
  status: RunStatus
  error: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  lastStep: number
  lastPhase: string | null
}

export interface CheckpointSummary {
  id: number
  runId: string
  phase: string
  step: number
  epoch: number
  dir: string
  sha256: string
  createdAt: string
}

export interface RunDetail {
  run: RunSummary
  checkpoints: CheckpointSummary[]
  samples: { phase: string; step: number }[]
  training: boolean
}

export interface MetricRow {
  phase: string
  step: number
  name: string
  value: number
}
