/**
 * Face detection and alignment for photos: face-api's SSD MobileNet finds the faces and their 68
 * landmarks; a similarity transform puts the eye centres on fixed positions of a square crop.
 * The transform is kept so an aged face can be warped back into the photo.
 */
import * as tf from '@tensorflow/tfjs'
import { faceNet, loadFaceApi } from './faceModels'
import { onInferenceAsync } from '../tf/inferenceSplit'

/** Where the eye centres land in the aligned crop, as fractions of its side. */
export const EYE_TARGETS = { left: [0.37, 0.46], right: [0.63, 0.46] } as const

export interface Point {
  x: number
  y: number
}

/** Maps crop pixel (u, v) to photo pixel: x = a·u + b·v + c, y = d·u + e·v + f. */
export type CropTransform = [number, number, number, number, number, number]

const mean = (points: Point[]): Point => ({
  x: points.reduce((s, p) => s + p.x, 0) / points.length,
  y: points.reduce((s, p) => s + p.y, 0) / points.length,
})

/** The photo pixels a size×size crop covers, widened by margin, not clipped; x1, y1 exclusive. */
export function cropExtent(transform: CropTransform, size: number, margin = 0): { x0: number; y0: number; x1: number; y1: number } {
  const [a, b, c, d, e, f] = transform
  const corners = [
    [0, 0],
    [size, 0],
    [0, size],
    [size, size],
  ].map(([u, v]) => [a * u + b * v + c, d * u + e * v + f])
  const xs = corners.map((p) => p[0])
  const ys = corners.map((p) => p[1])
  return {
    x0: Math.floor(Math.min(...xs)) - margin,
    y0: Math.floor(Math.min(...ys)) - margin,
    x1: Math.ceil(Math.max(...xs)) + margin,
    y1: Math.ceil(Math.max(...ys)) + margin,
  }
}

/** The same, clipped to the photo. */
export function cropBounds(
  transform: CropTransform,
  size: number,
  width: number,
  height: number,
  margin = 0,
): { x0: number; y0: number; x1: number; y1: number } {
  const { x0, y0, x1, y1 } = cropExtent(transform, size, margin)
  return { x0: Math.max(0, x0), y0: Math.max(0, y0), x1: Math.min(width, x1), y1: Math.min(height, y1) }
}

/** The crop → photo similarity transform that sends EYE_TARGETS to the given eye centres. */
export function eyeTransform(leftEye: Point, rightEye: Point, size: number): CropTransform {
  const target = {
    left: { x: EYE_TARGETS.left[0] * size, y: EYE_TARGETS.left[1] * size },
    right: { x: EYE_TARGETS.right[0] * size, y: EYE_TARGETS.right[1] * size },
  }
  const angle = Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x)
  const scale = Math.hypot(rightEye.x - leftEye.x, rightEye.y - leftEye.y) / (target.right.x - target.left.x)
  const a = scale * Math.cos(angle)
  const d = scale * Math.sin(angle)
  const middle = mean([target.left, target.right])
  const eyes = mean([leftEye, rightEye])
  // photo = R·s·(crop − middle) + eyes
  return [a, -d, eyes.x - a * middle.x + d * middle.y, d, a, eyes.y - d * middle.x - a * middle.y]
}

export interface DetectedFace {
  box: { x: number; y: number; width: number; height: number }
  score: number
  landmarks: Point[]
}

/** Every face SSD MobileNet finds in an RGB image, with its 68 landmarks, largest first. */
export function detectFaces(rgb: Uint8Array, width: number, height: number, minConfidence = 0.4): Promise<DetectedFace[]> {
  return onInferenceAsync(() => detectOn(rgb, width, height, minConfidence))
}

async function detectOn(rgb: Uint8Array, width: number, height: number, minConfidence: number): Promise<DetectedFace[]> {
  const api = await loadFaceApi()
  await faceNet('ssdMobilenetv1')
  await faceNet('faceLandmark68Net')
  const image = tf.tensor3d(rgb, [height, width, 3], 'int32')
  try {
    const found = await api.detectAllFaces(image as never, new api.SsdMobilenetv1Options({ minConfidence })).withFaceLandmarks()
    return found
      .map((face) => {
        const box = face.detection.box
        return {
          box: { x: box.x, y: box.y, width: box.width, height: box.height },
          score: face.detection.score,
          landmarks: face.landmarks.positions.map((p) => ({ x: p.x, y: p.y })),
        }
      })
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)
  } finally {
    image.dispose()
  }
}

/** The eye centres of the 68-point scheme: 36–41 is the eye on the image's left, 42–47 the other. */
export function eyeCentres(landmarks: Point[]): [Point, Point] {
  return [mean(landmarks.slice(36, 42)), mean(landmarks.slice(42, 48))]
}

/** Samples the size×size crop whose pixels map to the image through transform (bilinear, edges repeated). */
export function warpCrop(rgb: Uint8Array, width: number, height: number, transform: CropTransform, size: number): Uint8Array {
  const [a, b, c, d, e, f] = transform
  const crop = tf.tidy(() =>
    tf.image
      .transform(tf.tensor4d(rgb, [1, height, width, 3], 'int32').toFloat(), tf.tensor2d([[a, b, c, d, e, f, 0, 0]]), 'bilinear', 'nearest', 0, [size, size])
      .clipByValue(0, 255)
      .round()
      .toInt(),
  )
  const bytes = Uint8Array.from(crop.dataSync())
  crop.dispose()
  return bytes
}
