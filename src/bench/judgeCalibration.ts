/**
 * `npm run bench -- --calibrate-judges HOME`: calibrates the evaluation's judges on the faces a
 * catalog holds (e.g. the UTKFace development set imported into HOME). Prints:
 * - the recognizer's impostor similarities over every pair of distinct faces (pairs marked as
 *   near-duplicates, or as one identity where the catalog has identities, left out) and the
 *   threshold at false-accept rates 1e-2, 1e-3, 1e-4;
 * - genuine pairs: real ones where the catalog names identities, else copies of each face
 *   (mirrored, the 64 px training image enlarged, JPEG 50 and 10% brighter);
 * - the age judge's mean absolute error and in-bin rate on labelled faces, per bin.
 * Numbers only; the shipped constants (shared/evaluation.ts) come from one such run.
 */
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { AGE_BINS, ageToBin } from '../shared/ageBins'
import { JUDGE_CALIBRATION } from '../shared/evaluation'
import { Catalog } from '../engine/catalog/catalog'
import type { CalibrationFace } from '../engine/catalog/images'
import { FileStore } from '../engine/catalog/files'
import { Judges } from '../engine/evaluation/judges'
import { useBackend } from '../engine/tf/backends'

const COPIES: [string, (crop: Buffer, train: Buffer) => Promise<Buffer>][] = [
  ['mirrored', (crop) => sharp(crop).flop().toBuffer()],
  ['64 px training image enlarged', (_, train) => sharp(train).resize(256, 256).toBuffer()],
  ['JPEG 50, 10% brighter', (crop) => sharp(crop).modulate({ brightness: 1.1 }).jpeg({ quality: 50 }).toBuffer()],
]

async function tensorOf(bytes: Buffer): Promise<tf.Tensor4D> {
  const data = new Uint8Array(await sharp(bytes).removeAlpha().resize(256, 256).raw().toBuffer())
  return tf.tidy(() => tf.tensor4d(data, [1, 256, 256, 3], 'float32').div(127.5).sub(1) as tf.Tensor4D)
}

const quantile = (sorted: Float32Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

export async function calibrateJudges(home: string, limit = 3000): Promise<string[]> {
  await useBackend()
  const catalog = Catalog.open(home)
  const files = new FileStore(home)
  const faces = catalog.images.calibrationFaces(limit)
  catalog.close()
  const judges = await Judges.load()
  const lines = [`${faces.length} faces of ${home}; threshold shipped: ${JUDGE_CALIBRATION.identityThreshold}`]
  const started = performance.now()
  const embeddings: Float32Array[] = []
  const genuine: number[][] = COPIES.map(() => [])
  const ageErrors: { bin: number; error: number; inBin: boolean }[] = []
  for (const face of faces) {
    const [crop, train] = [await sharp(files.resolve(face.crop)).toBuffer(), await sharp(files.resolve(face.train)).toBuffer()]
    const x = await tensorOf(crop)
    const embedding = judges.identity(x)
    embeddings.push(embedding.dataSync() as Float32Array)
    for (const [k, [, copy]] of COPIES.entries()) {
      const y = await tensorOf(await copy(crop, train))
      const other = judges.identity(y)
      genuine[k].push(Judges.similarity(embedding, other).dataSync()[0])
      tf.dispose([y, other])
    }
    if (face.age !== null) {
      const estimate = judges.age(x)
      const age = estimate.dataSync()[0]
      const bin = ageToBin(face.age)!
      ageErrors.push({ bin, error: Math.abs(age - face.age), inBin: ageToBin(Math.round(age)) === bin })
      estimate.dispose()
    }
    tf.dispose([x, embedding])
  }
  const seconds = (performance.now() - started) / 1000
  lines.push(
    `judged ${faces.length} faces (identity + ${COPIES.length} copies + age) in ${seconds.toFixed(0)} s = ${(faces.length / seconds).toFixed(1)} faces/s`,
  )

  const sameFace = (a: CalibrationFace, b: CalibrationFace) => a.duplicateOf === b.id || b.duplicateOf === a.id
  const impostor: number[] = []
  const realGenuine: number[] = []
  for (let i = 0; i < faces.length; i++) {
    for (let j = i + 1; j < faces.length; j++) {
      if (sameFace(faces[i], faces[j])) continue
      let s = 0
      for (let k = 0; k < embeddings[i].length; k++) s += embeddings[i][k] * embeddings[j][k]
      if (faces[i].identity !== null && faces[i].identity === faces[j].identity) realGenuine.push(s)
      else impostor.push(s)
    }
  }
  const sorted = Float32Array.from(impostor).sort()
  lines.push(`impostor pairs: ${sorted.length}; median similarity ${quantile(sorted, 0.5).toFixed(3)}`)
  for (const far of [1e-2, 1e-3, 1e-4]) lines.push(`  threshold at false-accept rate ${far}: ${quantile(sorted, 1 - far).toFixed(3)}`)
  const shippedFar = sorted.filter((s) => s >= JUDGE_CALIBRATION.identityThreshold).length / sorted.length
  lines.push(`  false-accept rate at the shipped threshold ${JUDGE_CALIBRATION.identityThreshold}: ${shippedFar.toExponential(2)}`)
  const rate = (values: number[]) => values.filter((s) => s >= JUDGE_CALIBRATION.identityThreshold).length / Math.max(1, values.length)
  if (realGenuine.length) lines.push(`genuine pairs (same identity in the catalog): ${realGenuine.length}, verified ${(rate(realGenuine) * 100).toFixed(1)}%`)
  else lines.push('genuine pairs: the catalog names no identities, so copies of each face stand in (a lower bound on difficulty):')
  for (const [k, [name]] of COPIES.entries()) {
    const values = Float32Array.from(genuine[k]).sort()
    lines.push(
      `  ${name}: verified ${(rate(genuine[k]) * 100).toFixed(1)}%, median similarity ${quantile(values, 0.5).toFixed(3)}, 1st percentile ${quantile(values, 0.01).toFixed(3)}`,
    )
  }
  const mae = (rows: typeof ageErrors) => rows.reduce((s, r) => s + r.error, 0) / Math.max(1, rows.length)
  const inBin = (rows: typeof ageErrors) => rows.filter((r) => r.inBin).length / Math.max(1, rows.length)
  lines.push(
    `age judge on ${ageErrors.length} labelled faces: MAE ${mae(ageErrors).toFixed(2)} years, in the right bin ${(inBin(ageErrors) * 100).toFixed(1)}%`,
  )
  for (const [bin, label] of AGE_BINS.entries()) {
    const rows = ageErrors.filter((r) => r.bin === bin)
    lines.push(`  ${label}: ${rows.length} faces, MAE ${mae(rows).toFixed(2)}, in bin ${(inBin(rows) * 100).toFixed(1)}%`)
  }
  judges.dispose()
  return lines
}
