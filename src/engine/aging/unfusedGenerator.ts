/**
 * G(z, y) for refinement: the same layers, with Dense and Conv2D applied as plain ops.
 * Under a gradient tape tfjs runs a linear Dense or Conv2D as a fused op whose gradient computes
 * every input's gradient at once, weights included: for the paper G that is a 2048 × 16384 weight
 * gradient (134 MB) each refinement step, though only dz is wanted (issue 16's profile: 238 of
 * 421 ms). As plain ops their weight gradients are pruned from the tape. Outputs are identical.
 */
import * as tf from '@tensorflow/tfjs'

interface LayerConfig {
  activation?: string
  strides?: [number, number]
  padding?: 'same' | 'valid'
  dilationRate?: [number, number]
  dataFormat?: string
}

/** Whether G is the chain buildGenerator makes: inputs z and y, one Concatenate of them, then one layer after another. */
function isChain(generator: tf.LayersModel): boolean {
  if (generator.inputs.length !== 2) return false
  return generator.layers.every((layer, i) => {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? []
    if (layer.getClassName() === 'InputLayer') return inbound.length === 0
    if (layer.getClassName() === 'Concatenate') return inbound.length === 2 && inbound.every((l) => l.getClassName() === 'InputLayer')
    return inbound.length === 1 && inbound[0] === generator.layers[i - 1]
  })
}

/** The activations G's layers use, as plain ops. */
const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = { linear: (x) => x, tanh: (x) => tf.tanh(x) }

function plainOp(layer: tf.layers.Layer, h: tf.Tensor): tf.Tensor | null {
  const config = layer.getConfig() as LayerConfig
  const activation = ACTIVATIONS[config.activation ?? '']
  if (!activation) return null
  const [kernel, bias] = layer.getWeights()
  const withBias = (out: tf.Tensor) => activation(bias ? out.add(bias) : out)
  if (layer.getClassName() === 'Dense' && h.rank === 2) return withBias(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D))
  const plainConv = config.dataFormat === 'channelsLast' && (config.dilationRate ?? [1, 1]).every((d) => d === 1)
  if (layer.getClassName() === 'Conv2D' && plainConv) {
    return withBias(tf.conv2d(h as tf.Tensor4D, kernel as tf.Tensor4D, config.strides ?? [1, 1], config.padding ?? 'valid'))
  }
  return null
}

/** (z, y) → G(z, y) in inference mode, cheap to differentiate with respect to z; G itself when it is not a chain. */
export function unfusedGenerator(generator: tf.LayersModel): (z: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor4D {
  if (!isChain(generator)) return (z, y) => generator.apply([z, y], { training: false }) as tf.Tensor4D
  return (z, y) => {
    let h: tf.Tensor = z
    for (const layer of generator.layers) {
      const kind = layer.getClassName()
      if (kind === 'InputLayer') continue
      h = kind === 'Concatenate' ? tf.concat([z, y], -1) : (plainOp(layer, h) ?? (layer.apply(h, { training: false }) as tf.Tensor))
    }
    return h as tf.Tensor4D
  }
}
