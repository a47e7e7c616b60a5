/**
 * The independent judges on the picture a user keeps: the exported photo's face, warped out of it
 * with the input's own alignment, against the input's face warped the same way (so the only
 * difference the judges see is the age change), with the artifact measure of that change. G's 64 px window is not what is exported: its own
 * score says how close the model came, this one says whether the deliverable is still this person.
 */
import * as tf from '@tensorflow/tfjs'
import type { ExportVerdict } from '../../shared/aging'
import { JUDGE_CALIBRATION } from '../../shared/evaluation'
import { Judges } from '../evaluation/judges'
import { artifactScore } from '../evaluation/artifacts'
import { cropFromPixels, decodePhoto } from '../faces/photoFace'
import type { AgedPhoto, PreparedFace } from './agePhoto'
import type { CropTransform } from '../faces/align'

/** The judges' side for the verdict: their own inputs are 112 (identity) and 224 px (age). */
const VERDICT_SIDE = 256

type Pixels = { rgb: Uint8Array; width: number; height: number }

/** One face as the judges see it: its crop, identity embedding and judged age. */
interface JudgedFace {
  crop: Uint8Array
  embedding: Float32Array
  age: number
}

async function judgedFace(pixels: Pixels, transform: CropTransform): Promise<JudgedFace> {
  const judges = await Judges.shared()
  const crop = await cropFromPixels(pixels, transform, VERDICT_SIDE)
  const face = tf.tidy(() => tf.tensor4d(Int32Array.from(crop), [1, VERDICT_SIDE, VERDICT_SIDE, 3], 'int32').toFloat().div(127.5).sub(1) as tf.Tensor4D)
  try {
    const [embedding, age] = tf.tidy(() => [judges.identity(face).dataSync() as Float32Array, judges.age(face).dataSync()[0]])
    return { crop, embedding, age }
  } finally {
    face.dispose()
  }
}

function verdict(input: JudgedFace, exported: JudgedFace): ExportVerdict {
  // Unit-length embeddings: their dot product is the cosine similarity (Judges.similarity).
  const similarity = input.embedding.reduce((sum, v, i) => sum + v * exported.embedding[i], 0)
  return {
    judge: JUDGE_CALIBRATION.judges,
    similarity,
    threshold: JUDGE_CALIBRATION.identityThreshold,
    samePerson: Judges.verified(similarity),
    judgedAge: Math.round(exported.age * 10) / 10,
    inputJudgedAge: Math.round(input.age * 10) / 10,
    artifacts: Math.round(artifactScore(input.crop, exported.crop, VERDICT_SIDE).score * 100) / 100,
  }
}

/** Judges one export of a photo: `input` and `exported` are the whole photo before and after, as decoded pixels. */
export async function judgeExport(input: Pixels, exported: Pixels, transform: CropTransform): Promise<ExportVerdict> {
  const [before, after] = await Promise.all([judgedFace(input, transform), judgedFace(exported, transform)])
  return verdict(before, after)
}

/** The input face of each prepared face, judged once: every export of it (six ages in a batch, each settled render) compares with it. */
const inputs = new WeakMap<PreparedFace, Promise<JudgedFace>>()

/** The verdict on one aged photo of a prepared face, with both identity embeddings (the evaluation pairs them with other people's). */
export async function judgedAgedPhoto(
  prepared: PreparedFace,
  aged: AgedPhoto,
): Promise<{ verdict: ExportVerdict; input: Float32Array; exported: Float32Array }> {
  let input = inputs.get(prepared)
  if (!input) {
    input = (async () => judgedFace((prepared.photo.pixels ??= await decodePhoto(prepared.photo.bytes)), prepared.aligned.transform))()
    input.catch(() => inputs.delete(prepared))
    inputs.set(prepared, input)
  }
  const [before, after] = [await input, await judgedFace(aged, prepared.aligned.transform)]
  return { verdict: verdict(before, after), input: before.embedding, exported: after.embedding }
}

/** The verdict on one aged photo of a prepared face. */
export async function judgeAgedPhoto(prepared: PreparedFace, aged: AgedPhoto): Promise<ExportVerdict> {
  return (await judgedAgedPhoto(prepared, aged)).verdict
}

/** A contact-sheet cell's verdict line: the independent judges on the exported photo (what the case file keeps), not G's window. */
export function verdictCaption(exported: ExportVerdict): string {
  return `${exported.samePerson ? 'same person' : 'NOT same person'} ${exported.similarity.toFixed(2)} · looks ${Math.round(exported.judgedAge)} · dirt ${exported.artifacts.toFixed(1)}`
}
