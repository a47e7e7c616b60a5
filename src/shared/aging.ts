/** The editor's, batch's and model bundles' shapes, shared by the engine and the UI. */
import { z } from 'zod'
import type { Box } from './domain'
import type { Phase, PresetName } from './training'
import type { SourceFrom } from './provenance'
import { MAX_AGE } from './ageBins'

export const COMPOSITE_MODES = ['residual', 'replace'] as const
export type CompositeMode = (typeof COMPOSITE_MODES)[number]
export const EXPORT_FORMATS = ['png', 'jpeg'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]
export const OPTIMIZE_MODES = ['none', 'pixel', 'identity'] as const
export type OptimizeMode = (typeof OPTIMIZE_MODES)[number]

/** How far variations move from z, in units of the latent prior's standard deviation. */
export const DEFAULT_SPREAD = 0.35

/**
 * Identity refinement as the editor, batch, age and eval run it unless told otherwise: at most
 * `iterations` Adam steps on z at `learningRate`, ending early once `patience` steps in a row
 * have not improved the loss. Issue 16 measured 30 steps at 0.1 (twice as fast) on 100 held-out
 * faces: it verified fewer (6% vs 10% at the input's own age), and the recognizer run at 112 px
 * (a step a fifth cheaper) verified none of 50, so these stay until a faster schedule verifies as
 * many (npm run bench -- --refine-quality).
 */
export const REFINEMENT = { iterations: 60, learningRate: 0.05, patience: undefined as number | undefined }

/** While refinement runs, the editor's picture follows z at most this often: each preview takes time from its steps. */
export const REFINE_PREVIEW_MS = 1000

/** face-api's recognizer distance under which two faces read as the same person. */
export const SAME_PERSON_DISTANCE = 0.6

/** Contact sheet paper sizes. */
export const PAPERS = ['a4', 'letter'] as const
export type Paper = (typeof PAPERS)[number]

/** What a batch is asked to do; stored with its job so a resume repeats it exactly. */
export const BatchRequestSchema = z
  .object({
    paths: z.array(z.string().min(1).max(4096)).min(1).max(1000),
    /** Target ages in years: the same range as every other age in the studio. */
    ages: z.array(z.number().min(0).max(MAX_AGE)).min(1).max(12),
    variations: z.number().int().min(1).max(8).default(1),
    spread: z.number().min(0).max(2).default(DEFAULT_SPREAD),
    mode: z.enum(COMPOSITE_MODES).default('residual'),
    /** How much of the model's change goes in: 0 none, 1 as drawn, 2 twice it. */
    strength: z.number().min(0).max(2).default(1),
    optimize: z.enum(OPTIMIZE_MODES).default('identity'),
    iterations: z.number().int().min(0).max(2000).default(REFINEMENT.iterations),
    format: z.enum(EXPORT_FORMATS).default('png'),
    runId: z.string().regex(/^run-[\w-]{1,60}$/, 'a run id looks like run-20260101120000-abc123'),
    checkpointId: z.number().int().positive().optional(),
    /** Where the outputs go; empty: a new folder under the data directory (batches/…), for web mode. */
    outDir: z.string().max(4096).default(''),
    /** The contact sheets' paper. */
    paper: z.enum(PAPERS).default('a4'),
    /** Replace files already in outDir; without it a folder holding another batch's outputs is refused. */
    force: z.boolean().default(false),
    /** Age faces turned past what the model learned from too; without it they are left unchanged and listed as refused. */
    ageTurned: z.boolean().default(false),
  })
  .strict()
export type BatchRequest = z.output<typeof BatchRequestSchema>

/** What the model can honestly do; shown beside the slider and written into provenance. */
export function modelLimits(imageSize: number): string {
  return `Trained on six age bins (0–18, 19–29, 30–39, 40–49, 50–59, 60+) at ${imageSize}×${imageSize}: ages between bin centres mix two conditions, and the face change is upsampled into the photo.`
}

export interface AgingModelChoice {
  runId: string
  /** The run's name, when its user gave one. */
  runName: string | null
  checkpointId: number
  phase: Phase
  step: number
  preset: PresetName
  /** "bundle:HASH" for imported models, "default:HASH" for the shipped one, "kit:…" for imported run kits, else null. */
  origin: string | null
  /** The run's status: a model still training is offered, but not chosen by default. */
  runStatus: string
  createdAt: string
}

export interface ModelInfo extends AgingModelChoice {
  imageSize: number
  modelHash: string
}

export interface EditorOpened {
  sessionId: string
  name: string
  width: number
  height: number
  faces: { box: Box; score: number }[]
  /** The photo scaled to at most 1024 px, for picking a face. */
  photo: string
  /** Preview pixels per photo pixel. */
  previewScale: number
}

export interface SourceAge {
  age: number
  position: number
  from: SourceFrom
}

export interface EditorPrepared {
  sessionId: string
  faceIndex: number
  source: SourceAge
  /** The aligned 256 px crop. */
  crop: string
  model: ModelInfo
  /** How far the face is turned (degrees, from its landmarks); `turned` past what the model learned from, with the sentence to show. */
  pose: { yaw: number; turned: boolean; warning: string | null }
}

/** A region of the photo, in its own pixels. */
export interface PhotoRegion {
  x: number
  y: number
  width: number
  height: number
}

/** The photo around the face, before and after, as asked for by a PhotoView (whole, or zoomed). */
export interface PhotoViewImage {
  /** The photo's full size. */
  width: number
  height: number
  /** What the images show, and at what scale (1 = the photo's own pixels). */
  region: PhotoRegion
  scale: number
  before: string
  after: string
}

/** What the editor draws while the slider moves or refinement runs: the pictures, no identity scores. */
export interface EditorPreview {
  position: number
  age: number
  /** G(z, y) itself at the model's size. */
  face: string
  /** The face region of the photo before and after, same box and scale. */
  before: string
  after: string
  /** The requested region of the whole photo, before and after: the aged face in place. */
  photo: PhotoViewImage
  refinedIterations: number
}

/** Both identity scores of one picture. */
/**
 * The artifact measure at which exports look blotchy by eye: of face-api's six demo photos aged by
 * the shipped model to 10, 25, 45 and 70 (24 exports, looked at one by one), the 19 scoring 2.5 or
 * more all had blotches, smears or a grey-green cast a person would point at (the mildest, 3.2,
 * a darkening around the eyes); the 5 at 1.7 or under looked clean.
 */
export const BLOTCHY = 2.5

/**
 * The independent judges on the exported photo itself (its face warped out with the input's own
 * alignment, against the input's): the verdict a user is told, not G's model-size window.
 */
export interface ExportVerdict {
  judge: string
  /** Cosine similarity of the identity judge's embeddings of the input's face and the export's. */
  similarity: number
  threshold: number
  samePerson: boolean
  /** The age judge's estimate of the exported face, and of the input's, in years. */
  judgedAge: number
  inputJudgedAge: number
  /** How much colour dirt the change adds to the face (engine/evaluation/artifacts.ts): 0 clean, BLOTCHY (2.5) or more visibly blotchy. */
  artifacts: number
}

export interface EditorScores {
  /** face-api's recognizer distance: what refinement lowers, so it flatters the result. */
  identityDistance: number
  samePerson: boolean
  /** The independent judge's cosine similarity on G's own model-size picture (shared/evaluation.ts): no loss has seen it. */
  independentSimilarity: number
  independentSamePerson: boolean
  /** The same judges on the photo as it would export at this look. */
  exported: ExportVerdict
}

/** A settled view: the pictures and both identity scores of this very picture. */
export interface EditorRender extends EditorPreview, EditorScores {}

export interface EditorStripItem {
  bin: number
  label: string
  age: number
  /** G(z, y) at the model's size. */
  face: string
  /** The face region of the photo with that age composited in, as it would export. */
  after: string
  identityDistance: number
  independentSimilarity: number
}

export interface EditorVariation {
  variation: number
  face: string
  after: string
  identityDistance: number
  independentSimilarity: number
}

export interface EditorExport {
  file: string
  sha256: string
  width: number
  height: number
  format: ExportFormat
  /** The export's job; web mode downloads the file from /download/exports/JOB_ID. */
  jobId: string
  /** The independent judges on this exported file's pixels. */
  verdict: ExportVerdict
}

export interface EditorProgress {
  sessionId: string
  iteration: number
  total: number
  loss: number | null
  state: 'running' | 'done' | 'stopped' | 'failed'
  error: string | null
}

export interface ModelExport {
  file: string
  modelHash: string
  bytes: number
  sha256: string
}

export interface ModelImport {
  runId: string
  checkpointId: number
  modelHash: string
  alreadyImported: boolean
}

/** A file in a batch's output folder. */
export interface OutputFile {
  /** Relative to the output folder, with forward slashes. */
  path: string
  bytes: number
}

export interface BatchReport {
  jobId: string
  outDir: string
  inputs: number
  outputs: number
  /** Outputs a resumed batch found already made. */
  reused: number
  failed: { path: string; reason: string }[]
  contactSheets: string[]
  /** The first contact sheet page, scaled down, for the UI. */
  sheetPreview: string | null
  pdf: string | null
  manifestJson: string
  manifestCsv: string
  modelHash: string
}

/** A run made from the model shipped with the studio has this origin, then its model hash. */
export const SHIPPED_ORIGIN = 'default:'
/** The shipped model's run: read-only, since every start would import it again. */
export const isShipped = (origin: string | null | undefined) => origin?.startsWith(SHIPPED_ORIGIN) === true
/**
 * A run that cannot be trained further or rewound: a bundle holds G and E only (no discriminator,
 * no optimizer state), and the shipped model is one.
 */
export const isReadOnlyRun = (origin: string | null | undefined) => isShipped(origin) || origin?.startsWith('bundle:') === true
