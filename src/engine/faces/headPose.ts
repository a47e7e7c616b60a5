/**
 * How far a face is turned (yaw), from its 68 landmarks: the nose tip's offset from the middle of
 * the jaw line, measured along the eye line (so a tilted head reads the same), over half the jaw's
 * width. A head is modelled with the nose tip as far in front of the jaw line as the jaw is half
 * wide, which makes that ratio tan(yaw). The landmarks of a near-profile face crowd together, so
 * the estimate runs low there (a true ~65° profile reads about 40° here); it is for telling
 * frontal faces from turned ones, not for measuring.
 */
import type { Point } from './align'

/**
 * Faces the models train on (UTKFace and CACD crops) are mostly frontal: past this yaw the
 * generator has seen few faces, and a turned face gets smudges or a second nose.
 */
export const TRAINED_YAW = 30

const [JAW_LEFT, JAW_RIGHT, NOSE_TIP, EYE_LEFT, EYE_RIGHT] = [0, 16, 30, 36, 45]

/** Signed yaw in degrees (positive: the nose points to the photo's right). */
export function estimateYaw(landmarks: Point[]): number {
  if (landmarks.length !== 68) throw new Error(`expected 68 landmarks, got ${landmarks.length}`)
  const [l, r] = [landmarks[EYE_LEFT], landmarks[EYE_RIGHT]]
  const roll = Math.atan2(r.y - l.y, r.x - l.x)
  const along = (p: Point) => p.x * Math.cos(roll) + p.y * Math.sin(roll)
  const [left, right, nose] = [along(landmarks[JAW_LEFT]), along(landmarks[JAW_RIGHT]), along(landmarks[NOSE_TIP])]
  const half = (right - left) / 2
  if (half <= 0) return 90 // the jaw line folded over: as turned as a face gets
  return (Math.atan((nose - (left + right) / 2) / half) * 180) / Math.PI
}

export interface HeadPose {
  /** Degrees, rounded. */
  yaw: number
  /** Beyond TRAINED_YAW: the model has seen few faces turned this far. */
  turned: boolean
}

export function headPose(landmarks: Point[]): HeadPose {
  const yaw = Math.round(estimateYaw(landmarks))
  return { yaw, turned: Math.abs(yaw) > TRAINED_YAW }
}

/** The sentence the editor and batch give for a turned face. */
export const turnedSentence = (pose: HeadPose) =>
  `The face is turned about ${Math.abs(pose.yaw)}° (the model learned from faces within ±${TRAINED_YAW}°): expect smudges or a doubled nose.`
