// The model shipped in resources/models: its files agree with its card, it is imported once (by
// hash) as a read-only run, `age` and `batch` use it when no model is named, and its real weights
// age a face from a real photo older by the evaluation's age judge (a smoke test, not of quality).
import * as tf from '@tensorflow/tfjs'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import type { AgingModelChoice } from '../../src/shared/aging'
import { importModelBundle } from '../../src/engine/aging/bundle'
import { ensureDefaultModel, MODELS_DIR, shippedModel } from '../../src/engine/aging/defaultModel'
import { dispatch } from '../../src/engine/api/dispatch'
import { createHandlers } from '../../src/engine/api/handlers'
import { Judges } from '../../src/engine/evaluation/judges'
import { Studio } from '../../src/engine/studio'
import { useBackend } from '../../src/engine/tf/backends'
import { DEMO_PHOTOS } from '../helpers/photos'
import { CLI, tempHome } from '../helpers/serve'

const shipped = shippedModel()!
const homes: string[] = []
const newHome = () => {
  homes.push(tempHome('age-studio-default-'))
  return homes.at(-1)!
}
afterAll(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })))

function cli(home: string, args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--home', home, ...args, '--json'], { encoding: 'utf8', timeout: 600_000 })
  return { code: result.status, body: JSON.parse(result.stdout.trim().split('\n').at(-1) || '{}'), stderr: result.stderr }
}

describe('the shipped default model', () => {
  it('is the bundle its card describes: same file hash, same model hash, under 50 MB', () => {
    const bytes = readFileSync(join(MODELS_DIR, shipped.file))
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shipped.sha256)
    expect(statSync(join(MODELS_DIR, shipped.file)).size).toBeLessThan(50 * 1024 ** 2)
    const card = readFileSync(join(MODELS_DIR, 'README.md'), 'utf8')
    expect(card).toContain(shipped.sha256)
    expect(card).toContain(shipped.modelHash)
    expect(card).toContain(shipped.name)
  })

  it('is imported once, by hash, as a read-only run that refuses rename, delete and resume', async () => {
    const home = newHome()
    const studio = Studio.open(home, { mode: 'cli' })
    try {
      const first = await studio.installDefaultModel((message) => expect.fail(message))
      expect(first).toMatchObject({ imported: true, name: shipped.name })
      const again = await ensureDefaultModel(home, studio.catalog)
      expect(again).toMatchObject({ imported: false, runId: first!.runId, checkpointId: first!.checkpointId })
      expect(studio.catalog.runs.list()).toHaveLength(1)
      const run = studio.catalog.runs.get(first!.runId)!
      expect(run).toMatchObject({ name: shipped.name, status: 'done', origin: `default:${shipped.modelHash}` })
      // Its history as the card gives it: both phases' steps, the card's curve points, a grid drawn from G, the judged evaluation.
      expect(run).toMatchObject({ phaseSteps: { gan: 4500, encoder: 3000 }, trainedSeconds: 3660, hardware: expect.stringContaining('2 CPU cores') })
      expect(run.historyNote).toContain('model card')
      expect(
        studio.catalog.runs
          .metrics(run.id)
          .filter((m) => m.name === 'd_real')
          .map((m) => m.step),
      ).toEqual([200, 1000, 4500])
      const [grid] = studio.catalog.runs.samples(run.id)
      expect(grid).toMatchObject({ phase: 'gan', step: 4500 })
      expect((await sharp(studio.files.resolve(grid.file)).metadata()).format).toBe('png')
      const [judged] = studio.catalog.evaluations.forRun(run.id)
      expect(judged).toMatchObject({ split: 'val', imported: true, metrics: { faces: 50 } })

      const handlers = createHandlers(studio)
      const models = await dispatch(handlers, 'editor.models', {})
      expect(models.ok && (models.result as AgingModelChoice[]).map((m) => m.runName)).toEqual([shipped.name])
      for (const [name, input] of [
        ['runs.describe', { runId: run.id, name: 'mine now' }],
        ['runs.delete', { runId: run.id }],
        ['runs.resume', { runId: run.id }],
      ] as const) {
        const reply = await dispatch(handlers, name, input)
        expect(reply.ok ? 'accepted' : reply.error.message).toMatch(/shipped with the studio; it cannot be/)
      }
      expect(studio.catalog.runs.get(run.id)!.name).toBe(shipped.name)

      // A manual import of the same bundle is a run of its own; deleting it leaves the shipped one whole.
      const manual = await dispatch(handlers, 'models.import', { path: join(MODELS_DIR, shipped.file) })
      const manualRun = manual.ok ? (manual.result as { runId: string }).runId : 'refused'
      expect(manualRun).toMatch(/^run-model-/)
      expect((await dispatch(handlers, 'runs.delete', { runId: manualRun })).ok).toBe(true)
      expect(statSync(join(home, studio.catalog.runs.latestCheckpoint(run.id)!.dir, 'generator', 'weights.bin')).size).toBeGreaterThan(0)
    } finally {
      await studio.close()
    }
  }, 120_000)

  it('gives a shipped run an older studio imported without its history the history its card gives, once', async () => {
    const home = newHome()
    const studio = Studio.open(home, { mode: 'cli' })
    try {
      const runId = `run-default-${shipped.modelHash.slice(0, 16)}`
      const origin = `default:${shipped.modelHash}`
      await importModelBundle(home, studio.catalog, join(MODELS_DIR, shipped.file), { origin, runId, name: shipped.name, modelHash: shipped.modelHash })
      expect(studio.catalog.runs.get(runId)!.historyNote).toMatch(/carries only its final losses/)
      await ensureDefaultModel(home, studio.catalog)
      await ensureDefaultModel(home, studio.catalog)
      const run = studio.catalog.runs.get(runId)!
      expect(run).toMatchObject({ trainedSeconds: 3660, historyNote: expect.stringContaining('model card') })
      expect(
        studio.catalog.runs
          .metrics(runId)
          .filter((m) => m.name === 'd_real')
          .map((m) => m.step),
      ).toEqual([200, 1000, 4500])
      expect(studio.catalog.runs.samples(runId)).toHaveLength(1)
      expect(studio.catalog.evaluations.forRun(runId)).toHaveLength(1)
    } finally {
      await studio.close()
    }
  }, 120_000)

  it('is nothing where an install ships no model, and refused, with nothing imported, where its file does not match its card', async () => {
    const home = newHome()
    const studio = Studio.open(home, { mode: 'cli' })
    try {
      expect(await ensureDefaultModel(home, studio.catalog, join(home, 'no-models-here'))).toBeNull()
      const tampered = join(home, 'tampered')
      mkdirSync(tampered)
      copyFileSync(join(MODELS_DIR, shipped.file), join(tampered, shipped.file))
      writeFileSync(join(tampered, 'default.json'), JSON.stringify({ ...shipped, modelHash: 'f'.repeat(64) }))
      await expect(ensureDefaultModel(home, studio.catalog, tampered)).rejects.toThrow(`its history ${join(tampered, shipped.history!)} is missing`)
      copyFileSync(join(MODELS_DIR, shipped.history!), join(tampered, shipped.history!))
      await expect(ensureDefaultModel(home, studio.catalog, tampered)).rejects.toThrow(
        `damaged: its networks hash to ${shipped.modelHash.slice(0, 12)}…, expected ffffffffffff…`,
      )
      expect(studio.catalog.runs.list()).toHaveLength(0)
    } finally {
      await studio.close()
    }
  }, 120_000)

  it('ages a real face monotonically older by the age judge, through `age` with no --run', async () => {
    const home = newHome()
    const out = join(home, 'aged')
    const aged = cli(home, ['age', DEMO_PHOTOS[1], '--all', '--optimize', 'none', '--out', out])
    expect(aged.code, aged.stderr).toBe(0)
    expect(aged.body.outputs).toHaveLength(6)
    const record = JSON.parse(readFileSync(aged.body.provenanceFile, 'utf8')).outputs[0].provenance
    expect(record.model).toMatchObject({ hash: shipped.modelHash, origin: `default:${shipped.modelHash}` })

    await useBackend('cpu+blas').catch(() => useBackend('cpu'))
    const judges = await Judges.load()
    const pictures = await Promise.all(aged.body.outputs.map(async (o: { file: string }) => new Uint8Array(await sharp(o.file).removeAlpha().raw().toBuffer())))
    const side = Math.sqrt(pictures[0].length / 3)
    const ages = tf.tidy(() => {
      const batch = tf
        .tensor4d(Float32Array.from(pictures.flatMap((p) => Array.from(p))), [6, side, side, 3])
        .div(127.5)
        .sub(1) as tf.Tensor4D
      return Array.from(judges.age(batch).dataSync())
    })
    judges.dispose()
    console.log(`[default model] judged ages of the demo face aged to the six bins: ${ages.map((a) => a.toFixed(1)).join(' ')}`)
    // Monotonic: each bin judged older than the one before (3.4 25.5 29.1 30.5 45.5 54.2 when shipped).
    for (let bin = 1; bin < 6; bin++) expect(ages[bin]).toBeGreaterThan(ages[bin - 1])
    expect(ages[5]).toBeGreaterThan(ages[0] + 20)
  }, 600_000)

  it('is what `batch` uses when no model is named', () => {
    const home = newHome()
    const batch = cli(home, ['batch', DEMO_PHOTOS[1], '--to', '70', '--optimize', 'none', '--out', join(home, 'batch')])
    expect(batch.code, batch.stderr).toBe(0)
    expect(batch.body).toMatchObject({ inputs: 1, outputs: 1, failed: [], modelHash: shipped.modelHash })
  }, 600_000)
})
