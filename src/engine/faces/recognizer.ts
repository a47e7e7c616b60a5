/**
 * FR: face-api's face recognizer (dlib-style ResNet-34, 128-d descriptors, 0.6 distance
 * threshold), run as a frozen network (frozenResNet.ts). Takes images in G's range [-1, 1] and
 * resizes them to its 150 px input inside the graph, so gradients flow back to z.
 */
import * as tf from '@tensorflow/tfjs'
import { onGradient } from '../tf/inferenceSplit'
import { faceNet } from './faceModels'
import { FrozenResNet, type RecognizerParams } from './frozenResNet'

/** face-api's own threshold: descriptors closer than this are the same person. */
export { SAME_PERSON_DISTANCE } from '../../shared/aging'

/** The recognizer's own input size. */
export const RECOGNIZER_SIDE = 150

/** One per process: the folded copy of face-api's weights is made once. */
let loading: Promise<FaceRecognizer> | undefined

export class FaceRecognizer {
  private constructor(private readonly net: FrozenResNet) {}

  static load(): Promise<FaceRecognizer> {
    loading ??= faceNet('faceRecognitionNet').then(
      // Folded on the gradient backend, where describe runs, so its tensors never move between backends.
      (net) => new FaceRecognizer(onGradient(() => FrozenResNet.fold(net.params as unknown as RecognizerParams))),
    )
    return loading
  }

  /**
   * [n, s, s, 3] in [-1, 1] → [n, 128]. Differentiable. `side` is the net's input size: 150 as
   * trained; a smaller one costs less (the net is fully convolutional up to its global pooling).
   */
  describe(images: tf.Tensor4D, side = RECOGNIZER_SIDE): tf.Tensor2D {
    // Refinement differentiates it, so it lives on the gradient backend (tf/inferenceSplit.ts).
    return onGradient(() => tf.tidy(() => this.net.forward(images.add(1).mul(127.5).resizeBilinear([side, side]) as tf.Tensor4D)))
  }

  /** Euclidean distance between descriptors, row by row. */
  static distance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => a.sub(b).square().sum(1).sqrt() as tf.Tensor1D)
  }
}
