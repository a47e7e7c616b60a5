/**
 * face-api's recognizer network (a dlib ResNet) as refinement runs it: the same layers and
 * weights, with each convolution's bias and scale layer folded into its filter and one bias, and
 * a gradient to the input only. face-api runs every layer as conv, add, mul, add (and relu), five
 * kernels; tfjs's own fused conv would also compute the filter's gradient. The recognizer is
 * frozen, so a layer is one kernel forward and one (two with its relu) backward.
 */
import * as tf from '@tensorflow/tfjs'

/** face-api's parameter shapes (faceRecognitionNet/types.ts). */
interface ConvLayerParams {
  conv: { filters: tf.Tensor4D; bias: tf.Tensor1D }
  scale: { weights: tf.Tensor1D; biases: tf.Tensor1D }
}
interface ResidualParams {
  conv1: ConvLayerParams
  conv2: ConvLayerParams
}
export type RecognizerParams = { conv32_down: ConvLayerParams; fc: tf.Tensor2D } & Record<(typeof BLOCKS)[number], ResidualParams>

/** The residual blocks in order; the `_down` ones halve the side. */
const BLOCKS = [
  'conv32_1',
  'conv32_2',
  'conv32_3',
  'conv64_down',
  'conv64_1',
  'conv64_2',
  'conv64_3',
  'conv128_down',
  'conv128_1',
  'conv128_2',
  'conv256_down',
  'conv256_1',
  'conv256_2',
  'conv256_down_out',
] as const

/** face-api's input normalisation: pixels minus this mean, over 255. */
const MEAN_RGB = [122.782, 117.001, 104.298]

interface FoldedConv {
  filter: tf.Tensor4D
  bias: tf.Tensor1D
  strides: 1 | 2
  pad: 'same' | 'valid'
}

/** (conv(x, W) + b)·s + t = conv(x, W·s) + (b·s + t): the scale is per output channel. */
function fold({ conv, scale }: ConvLayerParams, strides: 1 | 2, pad: 'same' | 'valid'): FoldedConv {
  const [filter, bias] = tf.tidy(() => [conv.filters.mul<tf.Tensor4D>(scale.weights), conv.bias.mul<tf.Tensor1D>(scale.weights).add<tf.Tensor1D>(scale.biases)])
  return { filter, bias, strides, pad }
}

/** One frozen layer: FusedConv2D forward (bias and relu in the same pass); backward to x only. */
function frozenConv(x: tf.Tensor4D, c: FoldedConv, relu: boolean): tf.Tensor4D {
  const activation = relu ? 'relu' : 'linear'
  // customGrad's typing takes inputs and the save function as one variadic list.
  const layer = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc]
    // The kernel itself: tf.fused.conv2d would split into unfused ops while a gradient is recorded.
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1, activation }
    const value = tf.engine().runKernel('FusedConv2D', { x: input, filter: c.filter, bias: c.bias }, attrs as never) as tf.Tensor4D
    save([value])
    return {
      value,
      gradFunc: (dy, [y]) =>
        tf.conv2dTranspose(relu ? reluGradient(dy as tf.Tensor4D, y as tf.Tensor4D) : (dy as tf.Tensor4D), c.filter, x.shape, c.strides, c.pad),
    }
  })
  return layer(x) as tf.Tensor4D
}

/**
 * ReLU's gradient as registered (one pass on cpu-blas, tfjs's dy · step(x) elsewhere), given the
 * layer's output: y > 0 exactly where its input was.
 */
const reluGradient = (dy: tf.Tensor4D, y: tf.Tensor4D) => (tf.getGradient('Relu').gradFunc(dy, [y], {}) as { x: () => tf.Tensor4D }).x()

interface FoldedBlock {
  conv1: FoldedConv
  conv2: FoldedConv
  down: boolean
}

/** face-api's residual and residualDown, with their zero padding when a side is odd. */
function block(x: tf.Tensor4D, b: FoldedBlock): tf.Tensor4D {
  let out = frozenConv(frozenConv(x, b.conv1, true), b.conv2, false)
  if (!b.down) return tf.relu(tf.add<tf.Tensor4D>(out, x))
  let pooled = tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D
  if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
    out = tf.concat([out, tf.zeros([out.shape[0], 1, out.shape[2], out.shape[3]])], 1)
    out = tf.concat([out, tf.zeros([out.shape[0], out.shape[1], 1, out.shape[3]])], 2)
  }
  if (pooled.shape[3] !== out.shape[3]) pooled = tf.concat([pooled, tf.zeros<tf.Rank.R4>(pooled.shape)], 3)
  return tf.relu(tf.add<tf.Tensor4D>(pooled, out))
}

export class FrozenResNet {
  private constructor(
    private readonly stem: FoldedConv,
    private readonly blocks: FoldedBlock[],
    private readonly fc: tf.Tensor2D,
    private readonly mean: tf.Tensor1D,
  ) {}

  /** Folds face-api's loaded parameters once; they stay face-api's (the folded copies are ours). */
  static fold(params: RecognizerParams): FrozenResNet {
    const blocks = BLOCKS.map((name) => {
      const down = name.includes('_down')
      return { conv1: fold(params[name].conv1, down ? 2 : 1, down ? 'valid' : 'same'), conv2: fold(params[name].conv2, 1, 'same'), down }
    })
    return new FrozenResNet(fold(params.conv32_down, 2, 'valid'), blocks, params.fc, tf.tensor1d(MEAN_RGB))
  }

  /** [n, s, s, 3] pixels in [0, 255] → [n, 128] descriptors, as face-api's forwardInput gives them. */
  forward(pixels: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let out = frozenConv(pixels.sub(this.mean).div(255), this.stem, true)
      out = tf.maxPool(out, 3, 2, 'valid')
      for (const b of this.blocks) out = block(out, b)
      return tf.matMul(out.mean([1, 2]) as tf.Tensor2D, this.fc)
    })
  }
}
