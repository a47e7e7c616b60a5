/**
 * How dirty an age change is, measured on the change itself (export − input, inside the face).
 * Ageing a face is mostly luminance (wrinkles, sag, shading, greying hair); what users point at as
 * dirt is colour that was not there: blotches (muddy brown, purple or green-grey patches a few
 * pixels to a few tens across, from a noisy low-resolution G upsampled into the photo) and casts
 * (the whole face shifted to lavender or green). So the measure is the change's chroma, in two
 * parts, in BT.601 chroma units (0–255 scale) on the 256 px aligned crop:
 * - blotch: RMS of the chroma change in the band between blur scales 2 and 8 px;
 * - cast: the size of the face's mean chroma shift.
 * score = blotch + cast; 0 for a change that leaves colour alone. Validated in
 * test/unit/artifacts.test.ts on faces made there (a blotchy or tinted change scores far above a
 * clean one, a noisy G's residual above a smooth G's).
 */
import { faceMask } from '../aging/composite'
import { gaussianPyramid, planes, resize, type Planes } from '../images/pyramid'

export interface ArtifactScore {
  blotch: number
  cast: number
  score: number
}

/** The chroma (Cb, Cr) of out − in, two channels. */
function chromaChange(input: Uint8Array, output: Uint8Array, side: number): Planes {
  const change = planes(side, side, 2)
  for (let i = 0, j = 0; i < side * side; i++, j += 3) {
    const [dr, dg, db] = [output[j] - input[j], output[j + 1] - input[j + 1], output[j + 2] - input[j + 2]]
    change.data[i * 2] = -0.168736 * dr - 0.331264 * dg + 0.5 * db
    change.data[i * 2 + 1] = 0.5 * dr - 0.418688 * dg - 0.081312 * db
  }
  return change
}

/** Artifacts of an aged crop against its input crop (both side×side RGB, the studio's alignment). */
export function artifactScore(input: Uint8Array, output: Uint8Array, side: number): ArtifactScore {
  const change = chromaChange(input, output, side)
  const mask = faceMask(side, { grow: 1, feather: 0.25 }).data
  // Levels 1 and 3 of the Gaussian pyramid: blurred by about 2 and 8 px at 256 (scaled with the side).
  const pyramid = gaussianPyramid(change, 4)
  const fine = resize(pyramid[1], side, side).data
  const coarse = resize(pyramid[3], side, side).data
  let [weight, band, meanCb, meanCr] = [0, 0, 0, 0]
  for (let i = 0; i < side * side; i++) {
    const w = mask[i]
    if (w === 0) continue
    weight += w
    for (let k = 0; k < 2; k++) band += w * (fine[i * 2 + k] - coarse[i * 2 + k]) ** 2
    meanCb += w * change.data[i * 2]
    meanCr += w * change.data[i * 2 + 1]
  }
  const blotch = Math.sqrt(band / weight)
  const cast = Math.hypot(meanCb / weight, meanCr / weight)
  return { blotch, cast, score: blotch + cast }
}
