/**
 * The age condition y. A bin is a one-hot vector; a continuous position between bins mixes the
 * two neighbours, which is how the age slider moves smoothly between bins.
 */
import * as tf from '@tensorflow/tfjs'
import { BIN_COUNT } from '../../shared/ageBins'

/** position in [0, 5]: 2 is the 30–39 bin, 2.5 halfway to 40–49. */
export function conditionVector(position: number, bins = BIN_COUNT): tf.Tensor2D {
  if (!Number.isFinite(position) || position < 0 || position > bins - 1) {
    throw new RangeError(`An age position must be between 0 and ${bins - 1}, got ${position}.`)
  }
  const values = new Float32Array(bins)
  const low = Math.floor(position)
  const high = Math.min(bins - 1, low + 1)
  values[low] = 1 - (position - low)
  values[high] += position - low
  return tf.tensor2d(values, [1, bins])
}

export { ageToPosition, positionToAge } from '../../shared/ageBins'
