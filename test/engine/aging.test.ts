// Step 3 (latent optimisation) and ageing a photo, on a tiny trained run.
import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ageImage } from '../../src/engine/aging/ageImage'
import { modelHash } from '../../src/engine/aging/model'
import { ageToPosition, conditionVector } from '../../src/engine/aging/condition'
import { LatentOptimizer } from '../../src/engine/aging/latentOptimizer'
import { unfusedGenerator } from '../../src/engine/aging/unfusedGenerator'
import { FaceRecognizer } from '../../src/engine/faces/recognizer'
import { hashFolder, readModel, readModelHashed } from '../../src/engine/model/checkpoint'
import { createRun, trainRun } from '../../src/engine/training/trainer'
import { demoStudio } from '../helpers/training'
import { AGE_BINS, positionToAge } from '../../src/shared/ageBins'
import { ProvenanceSchema } from '../../src/shared/provenance'
import { readProvenance } from '../../src/engine/images/provenanceTag'

let env: Awaited<ReturnType<typeof demoStudio>>
let runId: string
let face: { file: string; bin: number }
const out = mkdtempSync(join(tmpdir(), 'age-studio-aged-'))

beforeAll(async () => {
  env = await demoStudio(60)
  runId = (await createRun(env.ctx.catalog, { preset: 'tiny', steps: 6, encoderSteps: 6, batch: 8, seed: 2, checkpointEvery: 6 })).runId
  await trainRun(env.ctx, runId, { paused: false, cancelled: false })
  const row = env.ctx.catalog.db.prepare('SELECT crop_file AS file, age_bin AS bin FROM images WHERE age_bin = 1 LIMIT 1').get() as {
    file: string
    bin: number
  }
  face = { file: env.ctx.files.resolve(row.file), bin: row.bin }
}, 300_000)
afterAll(() => env.close())

/** The tiny run's newest checkpoint folder, and its G and E as the trainer wrote them. */
const checkpointDir = () => join(env.ctx.home, env.ctx.catalog.runs.latestCheckpoint(runId)!.dir)
async function trainedModels(): Promise<{ generator: tf.LayersModel; encoder: tf.LayersModel }> {
  return { generator: await readModel(join(checkpointDir(), 'generator')), encoder: await readModel(join(checkpointDir(), 'encoder')) }
}

async function loadFace(size = 64): Promise<tf.Tensor4D> {
  const { data } = await sharp(face.file).removeAlpha().resize(size, size).raw().toBuffer({ resolveWithObject: true })
  return tf.tidy(() => tf.tensor4d(new Uint8Array(data), [1, size, size, 3], 'float32').div(127.5).sub(1) as tf.Tensor4D)
}

describe('the age condition', () => {
  it('is one-hot on a bin and mixes neighbours in between', () => {
    expect(Array.from(conditionVector(3).dataSync())).toEqual([0, 0, 0, 1, 0, 0])
    const mixed = Array.from(conditionVector(2.25).dataSync())
    expect(mixed.map((v) => Number(v.toFixed(2)))).toEqual([0, 0, 0.75, 0.25, 0, 0])
    expect(() => conditionVector(5.5)).toThrow(/between 0 and 5/)
    expect(ageToPosition(34.5)).toBe(2)
    expect(ageToPosition(90)).toBe(5)
  })
})

describe('latent optimisation with G frozen', () => {
  it('starts from a z0 the caller has already encoded, without encoding again, and leaves it to the caller', async () => {
    const { generator, encoder } = await trainedModels()
    const x = await loadFace()
    const y0 = conditionVector(face.bin)
    const optimizer = new LatentOptimizer(generator, encoder)
    const own = await optimizer.optimize(x, y0, { mode: 'pixel', iterations: 3 })
    const encode = vi.spyOn(encoder, 'apply')
    const given = await optimizer.optimize(x, y0, { mode: 'pixel', iterations: 3, z0: own.z0 })
    expect(encode).not.toHaveBeenCalled()
    expect(own.z0.isDisposed).toBe(false)
    expect(Array.from(given.z0.dataSync())).toEqual(Array.from(own.z0.dataSync()))
    expect(Array.from(given.z.dataSync())).toEqual(Array.from(own.z.dataSync()))
    tf.dispose([x, y0, own.z0, own.z, given.z0, given.z])
    generator.dispose()
    encoder.dispose()
  })

  it('refines through an unfused G: the same image and the same gradient for z as G itself', async () => {
    const generator = await readModel(join(checkpointDir(), 'generator'))
    const G = unfusedGenerator(generator)
    const z = tf.variable(tf.randomNormal([2, generator.inputs[0].shape[1]!], 0, 1, 'float32', 7) as tf.Tensor2D)
    const y = tf.oneHot([1, 4], 6).toFloat() as tf.Tensor2D
    const x = await loadFace()
    const fused = () => generator.apply([z, y], { training: false }) as tf.Tensor4D
    const loss = (image: () => tf.Tensor4D) => () => tf.losses.meanSquaredError(x.tile([2, 1, 1, 1]), image()) as tf.Scalar
    const [a, b] = [fused(), G(z, y)]
    expect(tf.max(tf.abs(a.sub(b))).dataSync()[0]).toBeLessThan(1e-6)
    const [ga, gb] = [
      tf.variableGrads(loss(fused), [z]),
      tf.variableGrads(
        loss(() => G(z, y)),
        [z],
      ),
    ]
    const [da, db] = [ga.grads[z.name].dataSync(), gb.grads[z.name].dataSync()]
    const scale = Math.max(...Array.from(da).map(Math.abs))
    expect(scale).toBeGreaterThan(0)
    expect(Math.max(...Array.from(da).map((v, i) => Math.abs(v - db[i])))).toBeLessThan(1e-5 * scale)
    // What it is for: no weight gradient is computed (G's fused layers compute theirs whether asked or not).
    const kernels = async (image: () => tf.Tensor4D) =>
      (
        await tf.profile(() => {
          const r = tf.variableGrads(loss(image), [z])
          tf.dispose([r.value, ...Object.values(r.grads)])
        })
      ).kernels.map((k) => k.name)
    expect(await kernels(fused)).toContain('Conv2DBackpropFilter')
    expect(await kernels(() => G(z, y))).not.toContain('Conv2DBackpropFilter')
    tf.dispose([a, b, z, y, x, ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads)])
    generator.dispose()
  })

  it('stops when the loss has stopped falling for `patience` steps, and runs every step without it', async () => {
    const { generator, encoder } = await trainedModels()
    const [x, y0] = [await loadFace(), conditionVector(face.bin)]
    const optimizer = new LatentOptimizer(generator, encoder)
    // A zero learning rate never improves on the first step's loss: 1 step, then `patience` without gain.
    const flat = await optimizer.optimize(x, y0, { mode: 'pixel', iterations: 40, learningRate: 0, patience: 4 })
    expect(flat.losses).toHaveLength(5)
    const moving = await optimizer.optimize(x, y0, { mode: 'pixel', iterations: 12, patience: 4 })
    expect(moving.losses.at(-1)!).toBeLessThan(moving.losses[0])
    const all = await optimizer.optimize(x, y0, { mode: 'pixel', iterations: 12, learningRate: 0 })
    expect(all.losses).toHaveLength(12)
    tf.dispose([x, y0, flat.z0, flat.z, moving.z0, moving.z, all.z0, all.z])
    generator.dispose()
    encoder.dispose()
  })

  it('decays the learning rate linearly to learningRateEnd by the last step', async () => {
    const { generator, encoder } = await trainedModels()
    const [x, y0] = [await loadFace(), conditionVector(face.bin)]
    const optimizer = new LatentOptimizer(generator, encoder)
    // Adam moves each coordinate by about the rate: 0.1, 0.05, then 0 at the last step.
    const seen: number[][] = []
    const run = await optimizer.optimize(x, y0, {
      mode: 'pixel',
      iterations: 3,
      learningRate: 0.1,
      learningRateEnd: 0,
      onLatent: (z) => seen.push(Array.from(z.dataSync())),
    })
    const moved = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])))
    const z0 = Array.from(run.z0.dataSync())
    expect(moved(seen[0], z0)).toBeCloseTo(0.1, 2)
    expect(moved(seen[1], seen[0])).toBeCloseTo(0.05, 2)
    expect(seen[2]).toEqual(seen[1])
    tf.dispose([x, y0, run.z0, run.z])
    generator.dispose()
    encoder.dispose()
  })

  it('identity mode brings G(z, y0) closer to the input by the recognizer than z0 = E(x)', async () => {
    const { generator, encoder } = await trainedModels()
    const recognizer = await FaceRecognizer.load()
    const x = await loadFace()
    const y0 = conditionVector(face.bin)
    const weightsBefore = generator.getWeights().map((w) => w.dataSync().slice())
    const { z0, z, losses } = await new LatentOptimizer(generator, encoder, recognizer).optimize(x, y0, { mode: 'identity', iterations: 8 })
    const distance = (latent: tf.Tensor2D) =>
      tf.tidy(
        () =>
          FaceRecognizer.distance(recognizer.describe(x), recognizer.describe(generator.apply([latent, y0], { training: false }) as tf.Tensor4D)).dataSync()[0],
      )
    const before = distance(z0)
    const after = distance(z)
    console.log(`recognizer distance to the input: z0 ${before.toFixed(4)}, z* ${after.toFixed(4)}`)
    expect(after).toBeLessThan(before)
    expect(losses.at(-1)!).toBeLessThan(losses[0])
    // G stays frozen.
    generator.getWeights().forEach((w, i) => expect(Buffer.from(w.dataSync().buffer).equals(Buffer.from(weightsBefore[i].buffer))).toBe(true))
    tf.dispose([x, y0, z0, z])
  })
})

describe('loading a model to age with', () => {
  it('gives the same networks as the checkpoint loader, with the folder hash, weights viewed not copied', async () => {
    const dir = checkpointDir()
    for (const network of ['generator', 'encoder']) {
      const plain = await readModel(join(dir, network))
      const { model, hash } = await readModelHashed(join(dir, network))
      expect(hash).toBe(hashFolder(join(dir, network)))
      const inputs = plain.inputs.map((input, i) => tf.randomNormal([2, ...input.shape.slice(1).map((d) => d!)], 0, 1, 'float32', 7 + i))
      const [a, b] = [plain.predict(inputs) as tf.Tensor, model.predict(inputs) as tf.Tensor]
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()))
      expect(model.getWeights().map((w) => w.shape)).toEqual(plain.getWeights().map((w) => w.shape))
      tf.dispose([...inputs, a, b])
      plain.dispose()
      model.dispose()
    }
  })

  it('says when the weights file is shorter than its manifest', async () => {
    const dir = join(checkpointDir(), 'encoder')
    const copy = mkdtempSync(join(tmpdir(), 'age-studio-short-'))
    writeFileSync(join(copy, 'model.json'), readFileSync(join(dir, 'model.json')))
    writeFileSync(join(copy, 'weights.bin'), readFileSync(join(dir, 'weights.bin')).subarray(0, 1000))
    await expect(readModelHashed(copy)).rejects.toThrow(/shorter than its manifest/)
  })
})

describe('ageing a photo', () => {
  it('writes one PNG per bin with the same provenance the editor writes, also in the catalog', async () => {
    const outcome = await ageImage(env.ctx.home, env.ctx.catalog, {
      runId,
      input: face.file,
      targets: [0, 1, 2, 3, 4, 5],
      optimize: 'pixel',
      iterations: 3,
      outDir: out,
    })
    expect(outcome.outputs).toHaveLength(6)
    expect(outcome.source.from).toBe('catalog label')
    const record = JSON.parse(readFileSync(outcome.provenanceFile, 'utf8'))
    expect(record.outputs).toHaveLength(6)
    for (const [i, output] of outcome.outputs.entries()) {
      const bytes = readFileSync(output.file)
      const meta = await sharp(bytes).metadata()
      expect([meta.width, meta.height, meta.format]).toEqual([64, 64, 'png'])
      expect(output.identityDistance).toBeGreaterThanOrEqual(0)
      // One schema for every writer: the PNG carries the record provenance.json lists for it.
      const embedded = ProvenanceSchema.strict().parse(await readProvenance(bytes))
      expect(record.outputs[i]).toEqual({ file: output.file, sha256: output.sha256, provenance: embedded })
      expect(embedded).toMatchObject({
        kind: 'age',
        jobId: outcome.jobId,
        input: { face: { index: 0, of: 1 } },
        parameters: { bin: AGE_BINS[output.bin], composite: null, sourceFrom: 'catalog label' },
      })
      expect(embedded.parameters.optimize).toEqual({ mode: 'pixel', iterationsRequested: 3, iterationsDone: 3 })
      expect(embedded.model).toMatchObject({ runId, checkpoint: { phase: 'encoder', step: 6 }, hash: expect.stringMatching(/^[0-9a-f]{64}$/) })
      expect(embedded.identity).toMatchObject({ distance: output.identityDistance, threshold: 0.6, samePerson: output.identityDistance < 0.6 })
      expect(embedded.identity.independent?.similarity).toBe(output.independentSimilarity)
      expect(embedded.input.sha256).toBe(createHash('sha256').update(readFileSync(face.file)).digest('hex'))
      expect(embedded.backend).toBeTruthy()
    }
    // Recorded like the editor's and batch's jobs: with the model's hash, and target ages in years.
    const job = env.ctx.catalog.db.prepare('SELECT kind, status, model_hash AS hash FROM aging_jobs WHERE id = ?').get(outcome.jobId)
    expect(job).toEqual({ kind: 'single', status: 'done', hash: record.outputs[0].provenance.model.hash })
    // The hash comes from the bytes the weights were loaded from; it is the checkpoint folder's own.
    expect(job).toMatchObject({ hash: modelHash(checkpointDir()) })
    const rows = env.ctx.catalog.agingJobs.outputs(outcome.jobId)
    expect(rows.map((r) => r.target_age)).toEqual([0, 1, 2, 3, 4, 5].map(positionToAge))
    expect(rows.map((r) => JSON.parse(r.provenance))).toEqual(record.outputs.map((o: { provenance: unknown }) => o.provenance))

    // A square image at the model's size is the model's input as it is: no detection, face null.
    const given = join(out, 'input-aligned.png')
    const again = await ageImage(env.ctx.home, env.ctx.catalog, {
      runId,
      input: given,
      targets: [4],
      optimize: 'none',
      iterations: 0,
      outDir: join(out, 'given'),
      sourceBin: 3,
    })
    const crop = ProvenanceSchema.parse(JSON.parse(readFileSync(again.provenanceFile, 'utf8')).outputs[0].provenance)
    expect(crop).toMatchObject({
      input: { face: null, width: 64, height: 64 },
      parameters: { sourceFrom: 'given', sourceAge: positionToAge(3), composite: null },
    })
    expect(readFileSync(join(out, 'given', 'input-aligned.png')).equals(readFileSync(given))).toBe(true)
  })

  it('detects and aligns the face in a real photo (face-api demo picture)', async () => {
    const photo = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'face-api', 'demo', 'sample1.jpg')
    const dir = mkdtempSync(join(tmpdir(), 'age-studio-photo-'))
    const outcome = await ageImage(env.ctx.home, env.ctx.catalog, {
      runId,
      input: photo,
      targets: [0, 5],
      optimize: 'none',
      iterations: 0,
      outDir: dir,
      sourceBin: 2,
    })
    const provenance = ProvenanceSchema.parse(JSON.parse(readFileSync(outcome.provenanceFile, 'utf8')).outputs[0].provenance)
    const { width, height } = await sharp(photo).metadata()
    const face = provenance.input.face!
    expect(face.index).toBe(0)
    expect(face.of).toBeGreaterThanOrEqual(1)
    expect(face.score).toBeGreaterThan(0.5)
    expect(provenance.parameters).toMatchObject({ sourceFrom: 'given', sourceAge: positionToAge(2) })
    const box = face.box
    expect(box.x).toBeGreaterThanOrEqual(-1)
    expect(box.x + box.width).toBeLessThanOrEqual(width + 1)
    expect(box.y + box.height).toBeLessThanOrEqual(height + 1)
    // The crop's centre maps to a point inside the detected face box.
    // The crop's centre maps to a point inside the detected face box (the transform is the 256 px master's).
    const [a, b, c, d, e, f] = face.transform
    const centre = { x: a * 128 + b * 128 + c, y: d * 128 + e * 128 + f }
    expect(centre.x).toBeGreaterThan(box.x)
    expect(centre.x).toBeLessThan(box.x + box.width)
    expect(centre.y).toBeGreaterThan(box.y)
    expect(centre.y).toBeLessThan(box.y + box.height)
    expect((await sharp(join(dir, 'input-aligned.png')).metadata()).width).toBe(64)
  })

  it('says so when a photo has no face', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'age-studio-noface-'))
    const blank = join(dir, 'wall.png')
    await sharp({ create: { width: 320, height: 200, channels: 3, background: '#8a9bb0' } })
      .png()
      .toFile(blank)
    await expect(
      ageImage(env.ctx.home, env.ctx.catalog, { runId, input: blank, targets: [5], optimize: 'none', iterations: 0, outDir: join(dir, 'out'), sourceBin: 1 }),
    ).rejects.toThrow(/No face found/)
  })

  it('refuses bad inputs clearly and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'age-studio-bad-'))
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.png'), /missing.png does not exist/],
      [(writeFileSync(join(dir, 'empty.png'), ''), join(dir, 'empty.png')), /not an image/],
      [(writeFileSync(join(dir, 'text.png'), 'hello, not a picture'), join(dir, 'text.png')), /not an image/],
      [(writeFileSync(join(dir, 'cut.png'), readFileSync(face.file).subarray(0, 200)), join(dir, 'cut.png')), /not an image/],
    ]
    for (const [input, message] of cases) {
      await expect(
        ageImage(env.ctx.home, env.ctx.catalog, { runId, input, targets: [5], optimize: 'none', iterations: 0, outDir: join(dir, 'out') }),
      ).rejects.toThrow(message)
    }
    await expect(
      ageImage(env.ctx.home, env.ctx.catalog, { runId: 'run-nope', input: face.file, targets: [5], optimize: 'none', iterations: 0, outDir: dir }),
    ).rejects.toThrow(/no run run-nope/)
    await expect(
      ageImage(env.ctx.home, env.ctx.catalog, { runId, checkpointId: 99_999, input: face.file, targets: [5], optimize: 'none', iterations: 0, outDir: dir }),
    ).rejects.toThrow(/does not belong/)
    expect(existsSync(join(dir, 'out'))).toBe(false)
  })
})
