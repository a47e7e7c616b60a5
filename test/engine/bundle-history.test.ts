// A model bundle carries its run's history (format 3): exported from one studio and imported into
// another, the run reads as it did where it was trained: both phases' steps, the loss curves, the
// sample grids byte for byte, the judged evaluations (marked imported), trained-for time, hardware.
// An edited history is refused with the data folder unchanged; a format 2 bundle, which has no
// history, still shows its final losses and a grid drawn from its G, and says why that is all.
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import * as tar from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { configHash } from '../../src/engine/aging/bundle'
import { Studio } from '../../src/engine/studio'
import { importRunKit } from '../../src/engine/torch/runKit'
import { dataFolderSnapshot, makeKit } from '../helpers/kits'
import { tempHome } from '../helpers/serve'
import { demoStudio } from '../helpers/training'

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')
const root = mkdtempSync(join(tmpdir(), 'age-studio-history-'))
const good = join(root, 'good.agemodel')
const clean = join(root, 'clean')
let env: Awaited<ReturnType<typeof demoStudio>>
let runId: string
let other: Studio
let api: ReturnType<typeof createHandlers>

beforeAll(async () => {
  env = await demoStudio(12)
  runId = (await importRunKit(env.ctx.home, env.studio.catalog, env.studio.files, await makeKit(join(root, 'kit')))).runId
  // A judged evaluation, as `age-studio eval` leaves one: the shipped model's val numbers stand in.
  const shipped = JSON.parse(readFileSync(join(__dirname, '../../resources/models/default-history.json'), 'utf8'))
  const checkpoint = env.studio.catalog.runs.latestCheckpoint(runId)!
  env.studio.catalog.evaluations.add(runId, checkpoint.id, 'val', shipped.evaluations[0].metrics, join(checkpoint.dir, 'evaluation.json'))
  // A kit says nothing of its wall time; this run's is told, so that the bundle has one to carry.
  const kitRun = env.studio.catalog.runs.get(runId)!
  env.studio.catalog.runs.setImportedTraining(runId, { ...kitRun, trainedSeconds: 754, note: kitRun.historyNote! })
  await createHandlers(env.studio)['models.export']({ runId, out: good, force: false })
  mkdirSync(clean)
  await tar.x({ file: good, cwd: clean })
  other = Studio.open(tempHome('age-studio-history-other-'), { mode: 'cli' })
  api = createHandlers(other)
}, 120_000)
afterAll(async () => {
  await other?.close()
  await env?.close()
  rmSync(root, { recursive: true, force: true })
})

type Manifest = { formatVersion: number; modelHash: string; configHash?: string; historySha256?: string; run: { preset: string; config: object } }
let made = 0
/** The clean bundle with `change` applied; `rehash` re-makes the history's hash, and with 'both' the configuration's, as an attacker would. */
async function bundle(change: (dir: string, history: Record<string, unknown[]>, m: Manifest) => void, rehash: false | 'history' | 'both'): Promise<string> {
  const dir = join(root, `b${++made}`)
  cpSync(clean, dir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as Manifest
  const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'))
  change(dir, history, manifest)
  const text = JSON.stringify(history)
  writeFileSync(join(dir, 'history.json'), text)
  if (rehash) {
    manifest.historySha256 = sha256(text)
    if (rehash === 'both') manifest.configHash = configHash(manifest.modelHash, manifest.run, manifest.historySha256)
  }
  writeFileSync(join(dir, 'bundle.json'), JSON.stringify(manifest))
  const file = `${dir}.agemodel`
  await tar.c({ gzip: true, file, cwd: dir }, ['bundle.json', 'history.json', 'samples', 'generator', 'encoder'])
  return file
}

describe('an exported run imported into another studio', () => {
  it('keeps its phases, curves, grids, evaluation, trained-for time and hardware, and is read-only', async () => {
    const source = env.studio.catalog.runs.get(runId)!
    const { runId: imported, alreadyImported } = await api['models.import']({ path: good })
    expect(alreadyImported).toBe(false)
    const run = other.catalog.runs.get(imported)!
    expect(run).toMatchObject({ phaseSteps: { gan: 4, encoder: 2 }, lastPhase: 'encoder', lastStep: 2, status: 'done' })
    expect(run.trainedSeconds).toBe(754)
    expect(run.hardware).toBe(source.hardware)
    expect(run.hardware).toMatch(/PyTorch 1\.13\.0 \(cpu\)/)
    expect(run.historyNote).toMatch(/^Exported from run .*by Age Studio/)
    expect(run.historyNote).toContain(runId)

    const curve = (studio: Studio, id: string) => studio.catalog.runs.metrics(id).map(({ phase, step, name, value }) => `${phase}/${step}/${name}=${value}`)
    expect(curve(other, imported)).toEqual(curve(env.studio, runId))
    expect(curve(other, imported).length).toBeGreaterThan(10)

    const grids = (studio: Studio, id: string) =>
      studio.catalog.runs.samples(id).map((s) => `${s.phase}/${s.step}/${sha256(readFileSync(studio.files.resolve(s.file)))}`)
    expect(grids(other, imported)).toEqual(grids(env.studio, runId))
    expect(grids(other, imported)).toHaveLength(1)

    const [judged] = other.catalog.evaluations.forRun(imported)
    const [original] = env.studio.catalog.evaluations.forRun(runId)
    expect(judged).toMatchObject({ split: 'val', imported: true, metrics: original.metrics, createdAt: original.createdAt })
    expect(original.imported).toBe(false)
    expect(JSON.parse(readFileSync(join(other.home, judged.detailsFile), 'utf8')).note).toMatch(/Judged on the machine that exported this model/)

    const resume = createHandlers(other)['runs.resume']({ runId: imported })
    await expect(resume).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/came from a model bundle, which holds G and E only/) })
  }, 120_000)
})

describe('an edited history is refused and changes nothing', () => {
  const bigger = (_dir: string, h: Record<string, unknown[]>) => ((h.metrics[0] as { value: number }).value = 99)
  it.each([
    ['a curve value changed, hashes kept', () => bundle(bigger, false), /its history\.json is not the one it was exported with/],
    ['a curve value changed, only the history hash re-made', () => bundle(bigger, 'history'), /its bundle\.json was changed after export/],
    [
      'a grid swapped for another picture, hashes re-made',
      () =>
        bundle(
          (dir) => writeFileSync(join(dir, 'samples', 'gan-4.png'), readFileSync(join(root, 'kit', 'out', 'samples', 'gan-00000004.png')).subarray(0, 40)),
          'both',
        ),
      /samples\/gan-4\.png is not the sample grid its history lists/,
    ],
    [
      'an unlisted grid, hashes re-made',
      () => bundle((dir) => cpSync(join(dir, 'samples', 'gan-4.png'), join(dir, 'samples', 'encoder-2.png')), 'both'),
      /it holds samples\/encoder-2\.png, which its history does not list/,
    ],
    [
      'an infinite loss, hashes re-made',
      () => bundle((_d, h) => ((h.metrics[0] as { value: unknown }).value = '∞'), 'both'),
      /invalid history \(metrics\.0\.value/,
    ],
    [
      'a history without its grid, hashes re-made',
      () => bundle((dir) => rmSync(join(dir, 'samples', 'gan-4.png')), 'both'),
      /its history lists samples\/gan-4\.png, which it does not hold/,
    ],
  ] as const)(
    '%s',
    async (_name, make, reason) => {
      const file = await make()
      const before = dataFolderSnapshot(other.home)
      const error = await api['models.import']({ path: file }).then(
        () => null,
        (e: Error) => e,
      )
      expect(error).toMatchObject({ code: 'bad_input' })
      expect(error!.message).toMatch(reason)
      expect(dataFolderSnapshot(other.home)).toEqual(before)
    },
    60_000,
  )
})

describe('a format 2 bundle, from before bundles carried a history', () => {
  it('shows its final losses at the cGAN phase end and a grid drawn from its G, and says so', async () => {
    const fresh = Studio.open(tempHome('age-studio-history-v2-'), { mode: 'cli' })
    try {
      const dir = join(root, 'v2')
      cpSync(clean, dir, { recursive: true })
      const m = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'))
      m.formatVersion = 2
      delete m.historySha256
      m.configHash = configHash(m.modelHash, m.run)
      writeFileSync(join(dir, 'bundle.json'), JSON.stringify(m))
      const file = `${dir}.agemodel`
      await tar.c({ gzip: true, file, cwd: dir }, ['bundle.json', 'generator', 'encoder'])
      const { runId: imported } = await createHandlers(fresh)['models.import']({ path: file })
      const run = fresh.catalog.runs.get(imported)!
      expect(run.historyNote).toMatch(/format 2 bundle, which carries only its final losses/)
      expect(run).toMatchObject({ phaseSteps: { gan: 4, encoder: 2 }, trainedSeconds: null })
      const rows = fresh.catalog.runs.metrics(imported)
      expect(rows.length).toBeGreaterThan(0)
      expect(rows.every((r) => r.phase === 'gan' && r.step === 4)).toBe(true)
      expect(Object.fromEntries(rows.map((r) => [r.name, r.value]))).toMatchObject(m.finalLosses)
      const [grid] = fresh.catalog.runs.samples(imported)
      expect(grid).toMatchObject({ phase: 'gan', step: 4 })
      const { width, height } = await sharp(fresh.files.resolve(grid.file)).metadata()
      expect(width).toBeGreaterThan(64)
      expect(height).toBeGreaterThan(64)
    } finally {
      await fresh.close()
    }
  }, 120_000)
})
