// face-api's recognizer as refinement and the editor use it (faces/recognizer.ts): the same
// descriptor as face-api's own path at 150 px, a smaller input really run smaller, and gradients
// back to the images for one face and for a batch.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { faceNet } from '../../src/engine/faces/faceModels'
import { FaceRecognizer } from '../../src/engine/faces/recognizer'
import { useBackend } from '../../src/engine/tf/backends'

let recognizer: FaceRecognizer
beforeAll(async () => {
  await useBackend()
  recognizer = await FaceRecognizer.load()
})

/** A smooth face-sized test image in [-1, 1], different per seed. */
const image = (side: number, seed: number) =>
  tf.tidy(() => {
    const ramp = tf.linspace(-1, 1, side)
    const rows = ramp.reshape([side, 1, 1]).mul(Math.sin(seed))
    const cols = ramp.reshape([1, side, 1]).mul(Math.cos(seed))
    return rows
      .add(cols)
      .add(tf.tensor1d([0.1, -0.2, 0.3]).mul(seed))
      .tanh()
      .expandDims(0) as tf.Tensor4D
  })

describe('the recognizer', () => {
  it("gives face-api's own descriptor at 150 px", async () => {
    const x = image(150, 1)
    const ours = recognizer.describe(x)
    const pixels = tf.tidy(() => x.squeeze([0]).add(1).mul(127.5) as tf.Tensor3D)
    const theirs = (await (await faceNet('faceRecognitionNet')).computeFaceDescriptor(pixels as never)) as Float32Array
    const difference = Math.max(...Array.from(ours.dataSync(), (v, i) => Math.abs(v - theirs[i])))
    expect(ours.shape).toEqual([1, 128])
    expect(difference).toBeLessThan(1e-4)
    tf.dispose([x, ours, pixels])
  })

  it("has face-api's own gradient: the folded, frozen layers change no number", async () => {
    const net = await faceNet('faceRecognitionNet')
    // Noise, not the smooth test image: its plateaus tie inside MaxPool's windows, and ties broken
    // by the last bit send the gradient to another pixel of the window.
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 5) as tf.Tensor4D
    const target = recognizer.describe(image(64, 6))
    const pixels = (t: tf.Tensor) => t.add(1).mul(127.5).resizeBilinear([150, 150]) as tf.Tensor4D
    const loss = (describe: (t: tf.Tensor) => tf.Tensor2D) => tf.grad((t: tf.Tensor) => FaceRecognizer.distance(target, describe(t)).sum())(x)
    const ours = loss((t) => recognizer.describe(t as tf.Tensor4D))
    const theirs = loss((t) => net.forwardInput({ toBatchTensor: () => pixels(t) } as never) as unknown as tf.Tensor2D)
    const scale = tf.max(tf.abs(theirs)).dataSync()[0]
    expect(scale).toBeGreaterThan(0)
    expect(tf.max(tf.abs(ours.sub(theirs))).dataSync()[0] / scale).toBeLessThan(1e-4)
    // face-api runs conv, add, mul, add (and relu) per layer; the frozen net one FusedConv2D.
    const kernels = async (describe: () => tf.Tensor) => (await tf.profile(describe)).kernels.map((k) => k.name)
    const folded = await kernels(() => recognizer.describe(x))
    const original = await kernels(() => net.forwardInput({ toBatchTensor: () => pixels(x) } as never) as unknown as tf.Tensor)
    const count = (names: string[], name: string) => names.filter((n) => n === name).length
    expect([count(folded, 'FusedConv2D'), count(folded, 'Conv2D'), count(folded, 'Multiply')]).toEqual([29, 0, 1]) // the 1: pixels from [-1, 1]
    expect([count(original, 'Conv2D'), count(original, 'Multiply')]).toEqual([29, 30])
    tf.dispose([x, target, ours, theirs])
  })

  it('runs the net at the asked side, not resized back to 150', async () => {
    const x = image(64, 2)
    const convInputs = async (side: number) =>
      (await tf.profile(() => recognizer.describe(x, side))).kernels.filter((k) => k.name.endsWith('Conv2D')).map((k) => k.inputShapes[0])
    expect((await convInputs(112))[0]).toEqual([1, 112, 112, 3])
    expect((await convInputs(150))[0]).toEqual([1, 150, 150, 3])
    const [small, full] = [recognizer.describe(x, 112), recognizer.describe(x)]
    expect(small.shape).toEqual([1, 128])
    expect(FaceRecognizer.distance(small, full).dataSync()[0]).toBeGreaterThan(0)
    tf.dispose([x, small, full])
  })

  it('passes gradients back to the images, one face or a batch', () => {
    for (const n of [1, 2]) {
      const images = tf.concat(Array.from({ length: n }, (_, i) => image(64, 3 + i))) as tf.Tensor4D
      const target = recognizer.describe(image(64, 9))
      const before = tf.memory().numTensors
      const gradient = tf.grad((x: tf.Tensor) => FaceRecognizer.distance(target, recognizer.describe(x as tf.Tensor4D)).sum())(images)
      const values = gradient.dataSync()
      expect(gradient.shape).toEqual([n, 64, 64, 3])
      expect(values.every(Number.isFinite) && values.some((v) => v !== 0)).toBe(true)
      gradient.dispose()
      expect(tf.memory().numTensors).toBe(before) // nothing leaked
      tf.dispose([images, target])
    }
  })
})
