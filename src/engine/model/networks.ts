/**
 * The Age-cGAN networks as small model-building functions (in the style of tfjs-examples'
 * mnist-acgan). Shapes follow docs/architecture.md; a preset only changes widths and depth.
 * Layers are created in the order they are applied, so a seed gives the same initial weights.
 */
import * as tf from '@tensorflow/tfjs'
import type { Preset } from './presets'

const lrelu = () => tf.layers.leakyReLU({ alpha: 0.2 })
const bn = (p: Preset) => tf.layers.batchNormalization({ momentum: p.bnMomentum })

/** Applies layers one after another: the one place a layer's output is typed as symbolic. */
function chain(x: tf.SymbolicTensor | tf.SymbolicTensor[], ...layers: tf.layers.Layer[]): tf.SymbolicTensor {
  let out = x
  for (const layer of layers) out = layer.apply(out) as tf.SymbolicTensor
  return out as tf.SymbolicTensor
}

/** G(z, y): concat → Dense → Dense → 8×8 → [UpSample → Conv k5 → BN → LReLU]… → UpSample → Conv 3 → tanh. */
export function buildGenerator(p: Preset): tf.LayersModel {
  const z = tf.input({ shape: [p.zDim], name: 'z' })
  const y = tf.input({ shape: [p.bins], name: 'y' })
  const g = p.generator
  let x = chain([z, y], tf.layers.concatenate(), tf.layers.dense({ units: g.dense }), lrelu(), tf.layers.dropout({ rate: g.dropout }))
  x = chain(
    x,
    tf.layers.dense({ units: g.base * 8 * 8 }),
    bn(p),
    lrelu(),
    tf.layers.dropout({ rate: g.dropout }),
    tf.layers.reshape({ targetShape: [8, 8, g.base] }),
  )
  for (const filters of g.ups) {
    x = chain(x, tf.layers.upSampling2d({ size: [2, 2] }), tf.layers.conv2d({ filters, kernelSize: 5, padding: 'same' }), bn(p), lrelu())
  }
  x = chain(x, tf.layers.upSampling2d({ size: [2, 2] }), tf.layers.conv2d({ filters: 3, kernelSize: 5, padding: 'same', activation: 'tanh' }))
  return tf.model({ inputs: [z, y], outputs: x, name: 'generator' })
}

/** D(x, y): Conv k3 s2 → LReLU → concat y tiled → [Conv k3 s2 → BN → LReLU]… → Flatten → Dense 1 (logits). */
export function buildDiscriminator(p: Preset): tf.LayersModel {
  const image = tf.input({ shape: [p.imageSize, p.imageSize, 3], name: 'image' })
  const y = tf.input({ shape: [p.bins], name: 'y' })
  const half = p.imageSize / 2
  let x = chain(image, tf.layers.conv2d({ filters: p.discriminator.first, kernelSize: 3, strides: 2, padding: 'same' }), lrelu())
  // The label, repeated over every position of the first feature map.
  const tiled = chain(y, tf.layers.repeatVector({ n: half * half }), tf.layers.reshape({ targetShape: [half, half, p.bins] }))
  x = chain([x, tiled], tf.layers.concatenate())
  for (const filters of p.discriminator.convs) {
    x = chain(x, tf.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: 'same' }), bn(p), lrelu())
  }
  x = chain(x, tf.layers.flatten(), tf.layers.dense({ units: 1 }))
  return tf.model({ inputs: [image, y], outputs: x, name: 'discriminator' })
}

export type NetworkName = 'generator' | 'discriminator' | 'encoder'

/** Each network's builder by name, in the order checkpoints and templates list them. */
export const NETWORK_BUILDERS: [NetworkName, (p: Preset) => tf.LayersModel][] = [
  ['generator', (p) => buildGenerator(p)],
  ['discriminator', (p) => buildDiscriminator(p)],
  ['encoder', (p) => buildEncoder(p)],
]

/** E(x): Conv k5 s2 (no BN) → [Conv k5 s2 → BN → LReLU]… → Flatten → Dense → BN → LReLU → Dense z. */
export function buildEncoder(p: Preset): tf.LayersModel {
  const image = tf.input({ shape: [p.imageSize, p.imageSize, 3], name: 'image' })
  let x: tf.SymbolicTensor = image
  p.encoder.convs.forEach((filters, i) => {
    const conv = tf.layers.conv2d({ filters, kernelSize: 5, strides: 2, padding: 'same' })
    x = i > 0 ? chain(x, conv, bn(p), lrelu()) : chain(x, conv, lrelu())
  })
  x = chain(x, tf.layers.flatten(), tf.layers.dense({ units: p.encoder.dense }), bn(p), lrelu(), tf.layers.dense({ units: p.zDim }))
  return tf.model({ inputs: image, outputs: x, name: 'encoder' })
}
