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

/** Bin centres in years, for turning an age in years into a position. */
const CENTRES = [9, 24, 34.5, 44.5, 54.5, 70]

export function ageToPosition(years: number): number {
  if (years <= CENTRES[0]) return 0
  if (years >= CENTRES[5]) return 5
  const i = CENTRES.findIndex((centre) => years < centre) - 1
  return i + (years - CENTRES[i]) / (CENTRES[i + 1] - CENTRES[i])
}

/** The age in years a position stands for (bin centres, linear in between): what the slider shows. */
export function positionToAge(position: number): number {
  const low = Math.max(0, Math.min(4, Math.floor(position)))
  return CENTRES[low] + (position - low) * (CENTRES[low + 1] - CENTRES[low])
}
