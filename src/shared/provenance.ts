/**
 * What an aged image says about itself, embedded in its EXIF and stored with each output: the
 * input, the model, the parameters, the identity scores, the backend and the time. One schema for
 * the writer (engine/aging/agePhoto.ts) and every reader (batch manifests, tests, tools).
 */
import { z } from 'zod'
import { COMPOSITE_MODES } from './aging'

/** Where a face's current age came from: given by the user, the catalog's label of the same photo, or estimated. */
export const SOURCE_FROM = ['given', 'catalog label', 'catalog estimate', 'estimated'] as const
export type SourceFrom = (typeof SOURCE_FROM)[number]

const Box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })

export const ProvenanceSchema = z.object({
  /** "Age Studio 0.1.0". */
  tool: z.string(),
  /** editor: exported from the editor; batch: a batch output; age: `age-studio age`'s model-size output. */
  kind: z.enum(['editor', 'batch', 'age']),
  jobId: z.string(),
  createdAt: z.string(),
  input: z.object({
    name: z.string(),
    path: z.string().nullable(),
    sha256: z.string(),
    width: z.number(),
    height: z.number(),
    /** The face detected and aligned; null for an aligned crop taken as given (`age` only). */
    face: z
      .object({
        index: z.number(),
        of: z.number(),
        box: Box,
        score: z.number(),
        transform: z.array(z.number()).length(6),
        /** How far the face is turned, in degrees, from its landmarks (absent before it was recorded). */
        yaw: z.number().optional(),
      })
      .nullable(),
  }),
  model: z.object({
    hash: z.string(),
    runId: z.string(),
    origin: z.string().nullable(),
    preset: z.string(),
    seed: z.number(),
    imageSize: z.number(),
    checkpoint: z.object({ id: z.number(), phase: z.string(), step: z.number() }),
  }),
  parameters: z.object({
    targetAge: z.number(),
    position: z.number(),
    bin: z.string(),
    variation: z.number(),
    spread: z.number(),
    /** How much of the model's change went in (0–2, 1 as drawn); absent in records made before it existed. */
    strength: z.number().optional(),
    /** How the change went back into the photo; null for G's own output at model size (`age`). */
    composite: z.enum(COMPOSITE_MODES).nullable(),
    sourceAge: z.number(),
    sourceFrom: z.enum(SOURCE_FROM),
    optimize: z.object({ mode: z.string(), iterationsRequested: z.number(), iterationsDone: z.number() }),
  }),
  /**
   * distance: face-api's recognizer, which refinement optimises, on G's model-size picture;
   * independent: the evaluation's judge, which no loss sees, on that same picture; exported: the
   * independent judges on this image's own pixels, the verdict on what was delivered (absent in
   * records made before each existed, and for `age`, whose output is G's picture itself).
   */
  identity: z.object({
    distance: z.number(),
    threshold: z.number(),
    samePerson: z.boolean(),
    independent: z.object({ judge: z.string(), similarity: z.number(), threshold: z.number(), samePerson: z.boolean() }).optional(),
    exported: z
      .object({
        judge: z.string(),
        similarity: z.number(),
        threshold: z.number(),
        samePerson: z.boolean(),
        judgedAge: z.number(),
        inputJudgedAge: z.number(),
        artifacts: z.number().optional(),
      })
      .optional(),
  }),
  backend: z.string(),
  limits: z.string(),
})

export type Provenance = z.infer<typeof ProvenanceSchema>
