// The evaluation's judges on real faces (face-api's demo photos, aligned by the import pipeline):
// offline, deterministic, never inside a gradient; the same face is verified even through a
// 64 px round trip (G's outputs are 64 px), noise and other people are not.
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { Judges } from '../../src/engine/evaluation/judges'
import { alignPhotoFace } from '../../src/engine/faces/photoFace'
import { useBackend } from '../../src/engine/tf/backends'
import { JUDGE_CALIBRATION } from '../../src/shared/evaluation'
import { faceCrops } from '../helpers/faces'

let judges: Judges
let faces: { photo: number; crop: Uint8Array }[]

const tensor = (rgb: Uint8Array, size: number) => tf.tidy(() => tf.tensor4d(rgb, [1, size, size, 3], 'float32').div(127.5).sub(1) as tf.Tensor4D)
const resized = async (rgb: Uint8Array, from: number, to: number) =>
  new Uint8Array(
    await sharp(rgb, { raw: { width: from, height: from, channels: 3 } })
      .resize(to, to)
      .raw()
      .toBuffer(),
  )

function similarity(a: tf.Tensor4D, b: tf.Tensor4D): number {
  const [ea, eb] = [judges.identity(a), judges.identity(b)]
  const s = Judges.similarity(ea, eb)
  const value = s.dataSync()[0]
  tf.dispose([ea, eb, s])
  return value
}

beforeAll(async () => {
  await useBackend()
  judges = await Judges.load()
  const crops = (await faceCrops()).filter((c) => c.face === 0)
  faces = []
  for (const c of crops) faces.push({ photo: c.photo, crop: (await alignPhotoFace(c.bytes, 256)).crop })
}, 300_000)

describe('the judges', () => {
  it('load from the shipped files and give the same answer twice', () => {
    expect(faces.length).toBeGreaterThanOrEqual(5)
    const x = tensor(faces[0].crop, 256)
    const [a, b] = [judges.identity(x), judges.identity(x)]
    expect(a.shape).toEqual([1, 256])
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()))
    expect(Math.hypot(...a.dataSync())).toBeCloseTo(1, 4)
    const [ageA, ageB] = [judges.age(x), judges.age(x)]
    expect(ageA.dataSync()[0]).toBe(ageB.dataSync()[0])
    expect(ageA.dataSync()[0]).toBeGreaterThan(10)
    expect(ageA.dataSync()[0]).toBeLessThan(80)
    tf.dispose([x, a, b, ageA, ageB])
  })

  it('verify a face against itself and against a 64 px copy of it', async () => {
    for (const face of faces) {
      const x = tensor(face.crop, 256)
      const small = tensor(await resized(face.crop, 256, 64), 64)
      const roundTrip = tensor(await resized(await resized(face.crop, 256, 64), 64, 256), 256)
      expect(similarity(x, x)).toBeCloseTo(1, 4)
      expect(similarity(x, small), `photo ${face.photo}`).toBeGreaterThanOrEqual(JUDGE_CALIBRATION.identityThreshold)
      expect(similarity(x, roundTrip), `photo ${face.photo}`).toBeGreaterThanOrEqual(JUDGE_CALIBRATION.identityThreshold)
      tf.dispose([x, small, roundTrip])
    }
  })

  it('do not verify noise, or faces from other photos, as the input person', () => {
    const noise = tf.tidy(() => tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 7) as tf.Tensor4D)
    let others = 0
    let pairs = 0
    for (const [i, face] of faces.entries()) {
      const x = tensor(face.crop, 256)
      expect(similarity(x, noise)).toBeLessThan(JUDGE_CALIBRATION.identityThreshold)
      for (const other of faces.slice(i + 1)) {
        const y = tensor(other.crop, 256)
        pairs++
        if (similarity(x, y) >= JUDGE_CALIBRATION.identityThreshold) others++
        y.dispose()
      }
      x.dispose()
    }
    noise.dispose()
    expect(pairs).toBeGreaterThanOrEqual(10)
    expect(others).toBe(0)
  })

  it('refuse to run inside a gradient, so no loss can ever see them', () => {
    const x = tensor(faces[0].crop, 256)
    expect(() => tf.grad((input: tf.Tensor) => judges.identity(input as tf.Tensor4D).sum())(x)).toThrow(/never appear in a loss/)
    expect(() => tf.grad((input: tf.Tensor) => judges.age(input as tf.Tensor4D).sum())(x)).toThrow(/never appear in a loss/)
    x.dispose()
  })

  it('leak no tensors', () => {
    const x = tensor(faces[1].crop, 256)
    const before = tf.memory().numTensors
    tf.dispose([judges.identity(x), judges.age(x)])
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })
})
