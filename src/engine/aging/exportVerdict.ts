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

function asTensor(crops: Uint8Array[]): tf.Tensor4D {
  const joined = new Int32Array(crops.length * VERDICT_SIDE * VERDICT_SIDE * 3)
  crops.forEach((crop, i) => joined.set(crop, i * crop.length))
  return tf.tidy(() => tf.tensor4d(joined, [crops.length, VERDICT_SIDE, VERDICT_SIDE, 3], 'int32').toFloat().div(127.5).sub(1) as tf.Tensor4D)
}

/** Judges one export of a photo: `input` and `exported` are the whole photo before and after, as decoded pixels. */
export async function judgeExport(input: Pixels, exported: Pixels, transform: CropTransform): Promise<ExportVerdict> {
  const judges = await Judges.shared()
  const crops = await Promise.all([cropFromPixels(input, transform, VERDICT_SIDE), cropFromPixels(exported, transform, VERDICT_SIDE)])
  const faces = asTensor(crops)
  try {
    const [similarity, ages] = tf.tidy(() => {
      const embeddings = judges.identity(faces)
      const [a, b] = tf.split(embeddings, 2) as [tf.Tensor2D, tf.Tensor2D]
      return [Judges.similarity(a, b).dataSync()[0], judges.age(faces).dataSync()]
    })
    return {
      judge: JUDGE_CALIBRATION.judges,
      similarity,
      threshold: JUDGE_CALIBRATION.identityThreshold,
      samePerson: Judges.verified(similarity),
      judgedAge: Math.round(ages[1] * 10) / 10,
      inputJudgedAge: Math.round(ages[0] * 10) / 10,
      artifacts: Math.round(artifactScore(crops[0], crops[1], VERDICT_SIDE).score * 100) / 100,
    }
  } finally {
    faces.dispose()
  }
}

/** The verdict on one aged photo of a prepared face (its input pixels decoded by then). */
export async function judgeAgedPhoto(prepared: PreparedFace, aged: AgedPhoto): Promise<ExportVerdict> {
  const input = (prepared.photo.pixels ??= await decodePhoto(prepared.photo.bytes))
  return judgeExport(input, aged, prepared.aligned.transform)
}
