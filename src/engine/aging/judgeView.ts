/**
 * What the evaluation's judges look at. They are calibrated on the wide aligned crop (the whole
 * master); a face-framed model sees and draws only a window of it, so its pictures are put back
 * into their own crops first (the window fading in over its edge, as the editor composites it).
 */
import * as tf from '@tensorflow/tfjs'
import type { FramingName } from '../../shared/framing'
import { inCrop, rgbPlanes } from './composite'

/** Model-size pictures in G's range [-1, 1] → the judges' view, also in [-1, 1]. */
export type JudgeView = (pictures: tf.Tensor4D) => tf.Tensor4D

/** masters: each picture's own aligned crop (RGB bytes, side×side, one side for all); a single master serves every picture. */
export function judgeView(framing: FramingName, modelSize: number, masters: Uint8Array[], side: number): JudgeView {
  if (framing === 'full') return (pictures) => pictures.clone()
  const bases = masters.map((rgb) => rgbPlanes(rgb, side, side))
  return (pictures) => {
    const values = pictures.add(1).mul(127.5).dataSync() as Float32Array
    const per = modelSize * modelSize * 3
    const placed = Array.from(
      { length: pictures.shape[0] },
      (_, i) => inCrop(values.subarray(i * per, (i + 1) * per), modelSize, bases[Math.min(i, bases.length - 1)], framing).data,
    )
    const joined = new Float32Array(placed.length * side * side * 3)
    placed.forEach((data, i) => joined.set(data, i * data.length))
    return tf.tidy(() => tf.tensor4d(joined, [placed.length, side, side, 3]).div(127.5).sub(1) as tf.Tensor4D)
  }
}
