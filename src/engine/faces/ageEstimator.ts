/** Age estimation with face-api's age model, for photos that come without a label. */
import * as tf from '@tensorflow/tfjs'
import { onInferenceAsync } from '../tf/inferenceSplit'
import { faceNet, loadFaceApi } from './faceModels'

/** Estimated age in years of an aligned face crop, RGB bytes. */
export function estimateAge(rgb: Uint8Array, size: number): Promise<number> {
  return onInferenceAsync(async () => {
    const net = await faceNet('ageGenderNet')
    const api = await loadFaceApi()
    const image = tf.tensor3d(rgb, [size, size, 3], 'int32')
    try {
      const result = await net.predictAgeAndGender(new api.NetInput([image] as never))
      const first = Array.isArray(result) ? result[0] : result
      return first.age
    } finally {
      image.dispose()
    }
  })
}

/**
 * The studio's one age estimate of a face: whole years, never negative, from the face's aligned
 * master crop. Import, the editor, batch and `age` all call this, so the same pixels get one age.
 */
export async function estimateFaceAge(masterCrop: Uint8Array, size: number): Promise<number> {
  return Math.max(0, Math.round(await estimateAge(masterCrop, size)))
}
