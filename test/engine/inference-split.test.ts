// Two backends in one thread (tf/inferenceSplit.ts): detection and the judges on wasm, G and the
// recognizer on cpu+blas, even when a photo is detected while a refinement is running.
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LatentOptimizer } from '../../src/engine/aging/latentOptimizer'
import { conditionVector } from '../../src/engine/aging/condition'
import { Judges } from '../../src/engine/evaluation/judges'
import { detectFaces } from '../../src/engine/faces/align'
import { faceNet } from '../../src/engine/faces/faceModels'
import { FaceRecognizer } from '../../src/engine/faces/recognizer'
import { buildEncoder, buildGenerator } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'
import { useBackend } from '../../src/engine/tf/backends'
import { joinInference, onInferenceAsync, splitInference } from '../../src/engine/tf/inferenceSplit'
import { demoPhoto } from '../../src/bench/faceSamples'

/** The backend a tensor's data lives on, by its registry name. */
function backendOf(tensor: { dataId: object }): string {
  const holder = (tf.engine().state as unknown as { tensorInfo: WeakMap<object, { backend: tf.KernelBackend }> }).tensorInfo.get(tensor.dataId)!.backend
  return tf
    .engine()
    .backendNames()
    .find((name) => tf.engine().findBackend(name) === holder)!
}

let split: { gradient: string; inference: string }
beforeAll(async () => {
  split = await splitInference()
})
afterAll(async () => {
  joinInference()
  await useBackend()
})

describe('inference beside gradients', () => {
  it('keeps every network on its own backend while a detection holds wasm across a refinement', async () => {
    expect(split).toEqual({ gradient: 'cpu+blas', inference: 'wasm' })
    const p = preset('tiny')
    const [generator, encoder, recognizer] = [buildGenerator(p), buildEncoder(p), await FaceRecognizer.load()]
    const x = tf.randomUniform([1, p.imageSize, p.imageSize, 3], -1, 1, 'float32', 5) as tf.Tensor4D
    const y0 = conditionVector(2)
    const optimizer = new LatentOptimizer(generator, encoder, recognizer)
    const alone = await optimizer.optimize(x, y0, { mode: 'identity', iterations: 5 })

    const { data, info } = await sharp(demoPhoto(1)).removeAlpha().resize(640).raw().toBuffer({ resolveWithObject: true })
    const during = new Set<string>()
    // The detection's own awaits are too short to be sure a step falls inside them; a held pause is not.
    const holding = onInferenceAsync(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return tf.getBackend()
    })
    const together = await optimizer.optimize(x, y0, {
      mode: 'identity',
      iterations: 5,
      z0: alone.z0,
      onProgress: () => during.add(tf.getBackend()),
    })
    expect(await holding).toBe('wasm')
    const faces = await detectFaces(new Uint8Array(data), info.width, info.height)
    // Steps did run while wasm was the current backend, and each ran whole on cpu+blas: the same z.
    expect(during.has('wasm')).toBe(true)
    expect(Array.from(together.z.dataSync())).toEqual(Array.from(alone.z.dataSync()))
    expect(faces.length).toBeGreaterThan(0)

    const judges = await Judges.load()
    const embedding = judges.identity(x)
    expect(backendOf(embedding)).toBe('wasm')
    expect(backendOf(generator.getWeights()[0])).toBe('cpu-blas')
    expect(backendOf((await faceNet('faceRecognitionNet')).getParamList()[0].tensor)).toBe('cpu-blas')
    expect(backendOf((await faceNet('ssdMobilenetv1')).getParamList()[0].tensor)).toBe('wasm')
    expect(tf.getBackend()).toBe('cpu-blas')
    // The judges were calibrated on cpu+blas: wasm must say the same.
    const face = tf.tidy(() =>
      tf
        .tensor4d(new Uint8Array(data), [1, info.height, info.width, 3], 'float32')
        .slice([0, 0, 0, 0], [1, 300, 300, 3])
        .resizeBilinear([64, 64])
        .div(127.5)
        .sub(1),
    ) as tf.Tensor4D
    const onWasm = [Array.from(judges.identity(face).dataSync()), judges.age(face).dataSync()[0]] as const
    joinInference()
    const onBlas = [Array.from(judges.identity(face).dataSync()), judges.age(face).dataSync()[0]] as const
    split = await splitInference()
    onWasm[0].forEach((v, i) => expect(v).toBeCloseTo(onBlas[0][i], 4))
    expect(onWasm[1]).toBeCloseTo(onBlas[1], 2)
    tf.dispose([x, y0, alone.z0, alone.z, together.z0, together.z, embedding, face])
    judges.dispose()
    generator.dispose()
    encoder.dispose()
  }, 120_000)
})
