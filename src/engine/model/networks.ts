/**
 * The Age-cGAN networks as small model-building functions (in the style of tfjs-examples'
 * mnist-acgan). Shapes follow docs/architecture.md; a preset only changes widths and depth.
 */
import * as tf from '@tensorflow/tfjs'
import type { Preset } from './presets'

const lrelu = () => tf.layers.leakyReLU({ alpha: 0.2 })
const bn = (p: Preset) => tf.layers.batchNormalization({ momentum: p.bnMomentum })

/** G(z, y): concat → Dense → Dense → 8×8 → [UpSample → Conv k5 → BN → LReLU]… → UpSample → Conv 3 → tanh. */
export function buildGenerator(p: Preset): tf.LayersModel {
  const z = tf.input({ shape: [p.zDim], name: 'z' })
  const y = tf.input({ shape: [p.bins], name: 'y' })
  const g = p.generator
  let x = tf.layers.concatenate().apply([z, y]) as tf.SymbolicTensor
  x = tf.layers.dense({ units: g.dense }).apply(x) as tf.SymbolicTensor
  x = lrelu().apply(x) as tf.SymbolicTensor
  x = tf.layers.dropout({ rate: g.dropout }).apply(x) as tf.SymbolicTensor
  x = tf.layers.dense({ units: g.base * 8 * 8 }).apply(x) as tf.SymbolicTensor
  x = bn(p).apply(x) as tf.SymbolicTensor
  x = lrelu().apply(x) as tf.SymbolicTensor
  x = tf.layers.dropout({ rate: g.dropout }).apply(x) as tf.SymbolicTensor
  x = tf.layers.reshape({ targetShape: [8, 8, g.base] }).apply(x) as tf.SymbolicTensor
  for (const filters of g.ups) {
    x = tf.layers.upSampling2d({ size: [2, 2] }).apply(x) as tf.SymbolicTensor
    x = tf.layers.conv2d({ filters, kernelSize: 5, padding: 'same' }).apply(x) as tf.SymbolicTensor
    x = bn(p).apply(x) as tf.SymbolicTensor
    x = lrelu().apply(x) as tf.SymbolicTensor
  }
  x = tf.layers.upSampling2d({ size: [2, 2] }).apply(x) as tf.SymbolicTensor
  x = tf.layers.conv2d({ filters: 3, kernelSize: 5, padding: 'same', activation: 'tanh' }).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: [z, y], outputs: x, name: 'generator' })
}

/** D(x, y): Conv k3 s2 → LReLU → concat y tiled → [Conv k3 s2 → BN → LReLU]… → Flatten → Dense 1 (logits). */
export function buildDiscriminator(p: Preset): tf.LayersModel {
  const image = tf.input({ shape: [p.imageSize, p.imageSize, 3], name: 'image' })
  const y = tf.input({ shape: [p.bins], name: 'y' })
  const half = p.imageSize / 2
  let x = tf.layers.conv2d({ filters: p.discriminator.first, kernelSize: 3, strides: 2, padding: 'same' }).apply(image) as tf.SymbolicTensor
  x = lrelu().apply(x) as tf.SymbolicTensor
  // The label, repeated over every position of the first feature map.
  let tiled = tf.layers.repeatVector({ n: half * half }).apply(y) as tf.SymbolicTensor
  tiled = tf.layers.reshape({ targetShape: [half, half, p.bins] }).apply(tiled) as tf.SymbolicTensor
  x = tf.layers.concatenate().apply([x, tiled]) as tf.SymbolicTensor
  for (const filters of p.discriminator.convs) {
    x = tf.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor
    x = bn(p).apply(x) as tf.SymbolicTensor
    x = lrelu().apply(x) as tf.SymbolicTensor
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor
  x = tf.layers.dense({ units: 1 }).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: [image, y], outputs: x, name: 'discriminator' })
}

/** E(x): Conv k5 s2 (no BN) → [Conv k5 s2 → BN → LReLU]… → Flatten → Dense → BN → LReLU → Dense z. */
export function buildEncoder(p: Preset): tf.LayersModel {
  const image = tf.input({ shape: [p.imageSize, p.imageSize, 3], name: 'image' })
  let x: tf.SymbolicTensor = image
  p.encoder.convs.forEach((filters, i) => {
    x = tf.layers.conv2d({ filters, kernelSize: 5, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor
    if (i > 0) x = bn(p).apply(x) as tf.SymbolicTensor
    x = lrelu().apply(x) as tf.SymbolicTensor
  })
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor
  x = tf.layers.dense({ units: p.encoder.dense }).apply(x) as tf.SymbolicTensor
  x = bn(p).apply(x) as tf.SymbolicTensor
  x = lrelu().apply(x) as tf.SymbolicTensor
  x = tf.layers.dense({ units: p.zDim }).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: image, outputs: x, name: 'encoder' })
}
