/**
 * The evaluation of the deliverable: held-out photos aged the way batch ages them (full
 * resolution, residual composite, strength 1) and the judges' verdict on each exported image,
 * per target age. G's 64 px window is judged by the rest of the evaluation; this is what a user keeps.
 */
import { z } from 'zod'
import type { Verification } from './evaluation'

/** The target ages every photo is aged to: the six, one per bin. */
export const EXPORT_TARGETS = [10, 25, 35, 45, 55, 70] as const

export interface ExportTargetEvaluation {
  age: number
  bin: number
  exports: number
  /** Input face vs exported face, by the identity judge at its calibrated threshold. */
  verified: Verification
  /** The age judge on the exported face: mean, standard deviation, and the share in the target's bin. */
  judgedAge: number
  judgedAgeSpread: number
  inBin: number
  /** Mean of the export's judged age minus the input's own judged age. */
  shift: number
  /** Mean artifact score of the change (0 clean; BLOTCHY or more is visibly blotchy). */
  artifacts: number
  /** Exports in which the face detector no longer finds a face. */
  faceLost: number
}

export interface ExportEvaluation {
  /** Held-out photos aged; `skipped` had no face the detector finds, so nothing to age. */
  photos: number
  skipped: number
  iterations: number
  strength: number
  exports: number
  verified: Verification
  /** Each export against another photo's input face: what a different person scores. */
  impostor: Verification
  shift: number
  artifacts: number
  /** Share of exports at or above BLOTCHY. */
  blotchy: number
  faceLost: number
  perTarget: ExportTargetEvaluation[]
  /** The contact sheet of every evaluated export (first PNG page), relative to the data directory; null when nothing was aged. */
  sheet: string | null
}

const share = z.number().min(0).max(1)
const count = z.number().int().min(0).max(10_000_000)
const years = z.number().min(-200).max(200)
const VerificationSchema = z.object({ verified: share, similarity: z.number().min(-1).max(1), pairs: count }).strict()

/** As another machine sent it (a bundle's history): checked before it is shown. */
export const ExportEvaluationSchema = z
  .object({
    photos: count,
    skipped: count,
    iterations: z.number().int().min(0).max(100_000),
    strength: z.number().min(0).max(2),
    exports: count,
    verified: VerificationSchema,
    impostor: VerificationSchema,
    shift: years,
    artifacts: z.number().min(0).max(1000),
    blotchy: share,
    faceLost: count,
    perTarget: z
      .array(
        z
          .object({
            age: z.number().min(0).max(120),
            bin: z.number().int().min(0).max(5),
            exports: count,
            verified: VerificationSchema,
            judgedAge: years,
            judgedAgeSpread: z.number().min(0).max(200),
            inBin: share,
            shift: years,
            artifacts: z.number().min(0).max(1000),
            faceLost: count,
          })
          .strict(),
      )
      .max(12),
    sheet: z.string().max(1000).nullable(),
  })
  .strict() satisfies z.ZodType<ExportEvaluation>
