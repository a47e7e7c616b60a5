// The evaluation on a tiny model trained here: `age-studio eval` through the built command, and
// runs.evaluate / runs.evaluations through the studio's handlers (a job in a worker thread).
// Numbers are poor on a model this small; every field must be there and in range.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import sharp from 'sharp'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { summarize } from '../../src/engine/evaluation/metrics'
import { summarizeExports, type PhotoJudgement } from '../../src/engine/evaluation/exportMetrics'
import { EXPORT_TARGETS } from '../../src/shared/exportEvaluation'
import { DEMO_PHOTOS } from '../helpers/photos'
import { Studio } from '../../src/engine/studio'
import { StudioError } from '../../src/shared/contract'
import { JUDGE_CALIBRATION, type EvaluationSummary, type Verification } from '../../src/shared/evaluation'
import { CLI, tempHome } from '../helpers/serve'

const home = tempHome('age-studio-eval-')
let runId: string

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--home', home, ...args, '--json'], { encoding: 'utf8' })
  const lines = result.stdout.trim().split('\n')
  return { code: result.status, body: lines[0] ? JSON.parse(lines.at(-1)!) : null, stderr: result.stderr }
}

const inRange = (v: Verification, pairs: number) => {
  expect(v.pairs).toBe(pairs)
  expect(v.verified).toBeGreaterThanOrEqual(0)
  expect(v.verified).toBeLessThanOrEqual(1)
  expect(v.similarity).toBeGreaterThanOrEqual(-1)
  expect(v.similarity).toBeLessThanOrEqual(1)
}

beforeAll(() => {
  expect(cli(['demo', '--count', '60']).code).toBe(0)
  const trained = cli(['train', '--preset', 'tiny', '--steps', '4', '--encoder-steps', '4', '--batch', '8', '--checkpoint-every', '4'])
  expect(trained.code, trained.stderr).toBe(0)
  runId = trained.body.runId
}, 300_000)
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe('age-studio eval', () => {
  it('judges the newest checkpoint on held-out faces and stores the result', () => {
    const result = cli(['eval', '--run', runId, '--n', '5', '--iterations', '2'])
    expect(result.code, result.stderr).toBe(0)
    const e = result.body as EvaluationSummary
    expect(e).toMatchObject({ runId, split: 'val', phase: 'encoder' })
    const m = e.metrics
    expect(m.faces).toBe(5)
    expect(m.iterations).toBe(2)
    for (const v of Object.values(m.reconstruction)) inRange(v, 5)
    inRange(m.aged, 5 * 5)
    inRange(m.impostor!, 5) // each face against the next one's picture, seen as the outputs are
    for (const share of [m.agedInBin, m.realInBin]) expect(share).toBeGreaterThanOrEqual(0)
    expect(m.perBin).toHaveLength(6)
    expect(m.perBin.reduce((n, b) => n + b.faces, 0)).toBe(5)
    for (const b of m.perBin) {
      expect(b.agedMeanAge).toBeGreaterThan(0)
      expect(b.agedMeanAge).toBeLessThan(100)
    }
    const details = JSON.parse(readFileSync(join(home, e.detailsFile), 'utf8'))
    expect(details.faces).toHaveLength(5)
    // The stored numbers are what the per-face details add up to, and they say which faces they rest on.
    const { sources, exports, ...numbers } = m
    expect(summarize(details.faces, m.threshold, 2)).toEqual(numbers)
    expect(sources).toEqual([{ dataset: 'demo (seed 1)', procedural: true, faces: 5 }])
    // Demo faces are drawn, not photographed: no photo to age, each skipped with its reason.
    expect(exports).toMatchObject({ photos: 0, skipped: 5, exports: 0, sheet: null })
    expect(details.exports.skipped).toHaveLength(5)
    expect(details.exports.skipped[0].reason).toMatch(/procedural demo face/)
  }, 300_000)

  it('prints the paper-style table without --json', () => {
    const result = spawnSync(process.execPath, [CLI, '--home', home, 'eval', '--run', runId, '--n', '2', '--iterations', '1', '--split', 'test'], {
      encoding: 'utf8',
    })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/z0 = E\(x\)\s+\d+\.\d% verified/)
    expect(result.stdout).toMatch(/z after identity/)
    expect(result.stdout).toMatch(/Impostor baseline\s+\d+\.\d% verified, mean similarity -?\d\.\d{3} \(2 pairs\)/)
    expect(result.stdout).toMatch(/60\+/)
    expect(result.stdout).toContain('2 faces of the test split: 2 procedural (demo) from "demo (seed 1)".')
    expect(result.stdout).toContain('Warning: Only 0 real faces (fewer than 30)')
    expect(result.stdout).toContain('pairs each face with another person of the split')
    expect(result.stderr).toMatch(/judged 4\/4 faces and photos/)
    expect(result.stdout).toMatch(/Exported photos .*: 0 photos × 6 ages = 0 exports; 2 held-out photos skipped/)
  }, 300_000)

  it('ages real held-out photos to six ages and judges each exported image, with a contact sheet', async () => {
    // Three real photos as a CACD-named dataset, all in the test split.
    const folder = join(home, 'real-photos')
    mkdirSync(folder, { recursive: true })
    DEMO_PHOTOS.slice(0, 3).forEach((photo, i) => copyFileSync(photo, join(folder, `${30 + 15 * i}_${['Ann', 'Bo', 'Cy'][i]}_Lee_0001.jpg`)))
    const imported = cli(['import', folder, '--format', 'cacd', '--dataset', 'real'])
    expect(imported.code, imported.stderr).toBe(0)
    const studio = Studio.open(home, { mode: 'cli' })
    const real = studio.catalog.datasets.list().find((d) => d.name === 'real')!
    studio.catalog.db.prepare("UPDATE images SET split = 'test' WHERE dataset_id = ?").run(real.id)
    await studio.close()

    const result = cli(['eval', '--run', runId, '--split', 'test', '--dataset', String(real.id), '--n', '3', '--exports', '3', '--iterations', '0'])
    expect(result.code, result.stderr).toBe(0)
    const x = (result.body as EvaluationSummary).metrics.exports!
    expect(x).toMatchObject({ photos: 3, skipped: 0, exports: 18, strength: 1, iterations: 0 })
    inRange(x.verified, 18)
    inRange(x.impostor, 18) // every export against another photo's face
    expect(x.perTarget.map((t) => [t.age, t.bin, t.exports])).toEqual(EXPORT_TARGETS.map((age, bin) => [age, bin, 3]))
    for (const t of x.perTarget) {
      inRange(t.verified, 3)
      expect(t.judgedAge).toBeGreaterThan(0)
      expect(t.judgedAge).toBeLessThan(100)
      expect(t.artifacts).toBeGreaterThanOrEqual(0)
    }
    // The stored numbers are what the per-photo judgements add up to.
    const details = JSON.parse(readFileSync(join(home, (result.body as EvaluationSummary).detailsFile), 'utf8'))
    expect(details.exports.photos.map((p: PhotoJudgement) => p.sourceAge)).toEqual([30, 45, 60]) // the catalog's labels, found by the photo's hash
    expect(
      summarizeExports(details.exports.photos, 0, {
        threshold: JUDGE_CALIBRATION.identityThreshold,
        iterations: 0,
        strength: 1,
        targets: EXPORT_TARGETS,
        sheet: x.sheet,
      }),
    ).toEqual(x)
    // The contact sheet beside the table: the input and six exports per photo, PNG pages and a PDF.
    expect(x.sheet).toMatch(/^runs\/.*\/evaluations\/checkpoint-\d+-test-\d+\/contact-sheet-01\.png$/)
    const sheet = await sharp(join(home, x.sheet!)).metadata()
    expect([sheet.width, sheet.height]).toEqual([1240, 1754])
    expect(existsSync(join(home, x.sheet!, '..', 'contact-sheet.pdf'))).toBe(true)

    const table = spawnSync(
      process.execPath,
      [CLI, '--home', home, 'eval', '--run', runId, '--split', 'test', '--dataset', String(real.id), '--n', '2', '--exports', '2', '--iterations', '0'],
      { encoding: 'utf8' },
    )
    expect(table.status, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/Exported photos \(full resolution, residual composite, strength 1, 0 refinement steps\): 2 photos × 6 ages = 12 exports\n/)
    expect(table.stdout).toMatch(/mismatched pairs \(another photo's face\)\s+\d+\.\d% verified/)
    expect(table.stdout).toMatch(/\n70\s+\d+\.\d%\s+\d+\.\d \(\d+\.\d\)/)
    expect(table.stdout).toMatch(/Contact sheet of the exports: runs\//)
  }, 600_000)

  it('refuses bad requests with a clear error', () => {
    // With --json the error is the one JSON object on stdout.
    const refused = (args: string[]) => {
      const result = cli(['eval', ...args])
      expect(result.code).not.toBe(0)
      return `${result.body?.error?.code}: ${result.body?.error?.message}`
    }
    expect(refused(['--run', runId, '--split', 'train'])).toMatch(/never judged on the faces it trained on/)
    expect(refused([])).toMatch(/needs --run/)
    expect(refused(['--run', 'run-nope'])).toMatch(/^not_found: .*no run run-nope/i)
    expect(refused(['--run', runId, '--n', '0'])).toMatch(/^usage: --n must be from 1 to 2000, got 0\.$/)
    expect(refused(['--run', runId, '--n', 'lots'])).toMatch(/whole number/)
    expect(refused(['--run', runId, '--dataset', '999'])).toMatch(/^bad_input: There is no dataset 999; known: 1 "demo \(seed 1\)", 2 "real"\.$/)
    expect(refused(['--run', runId, '--exports', '501'])).toMatch(/^usage: --exports must be from 0 to 500, got 501\.$/)
  }, 120_000)
})

describe('runs.evaluate', () => {
  let studio: Studio
  let handlers: ReturnType<typeof createHandlers>
  beforeAll(() => {
    studio = Studio.open(home, { mode: 'cli' })
    handlers = createHandlers(studio)
  })
  afterAll(() => studio.close())

  const codeOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: StudioError) => `${error.code}: ${error.message}`,
    )

  it('lists what eval stored, oldest checkpoint first', async () => {
    const stored = await handlers['runs.evaluations']({ runId })
    expect(stored.map((e) => e.split)).toEqual(['val', 'test', 'test', 'test'])
    expect(stored.every((e) => e.runId === runId)).toBe(true)
  })

  it('one face has no other to be its impostor: the row says so', () => {
    // Rather than "0.0% verified (0 pairs)".
    const one = spawnSync(process.execPath, [CLI, '--home', home, 'eval', '--run', runId, '--n', '1', '--iterations', '1', '--split', 'test'], {
      encoding: 'utf8',
    })
    expect(one.status, one.stderr).toBe(0)
    expect(one.stdout).toMatch(/Impostor baseline\s+no pairs \(the split has too few faces\)/)
  }, 300_000)

  it('refuses a GAN checkpoint, a split the run trained on, and a split with no faces', async () => {
    const gan = studio.catalog.runs.checkpoints(runId).find((c) => c.phase === 'gan')!
    expect(
      await codeOf(handlers['runs.evaluate']({ runId, checkpointId: gan.id, split: 'val', faces: 2, iterations: 1, exports: 0, exportStrength: 1 })),
    ).toMatch(/^bad_input: .*GAN phase/)
    studio.catalog.db.prepare('UPDATE runs SET config = json_set(config, \'$.splits\', json(\'["train","val"]\')) WHERE id = ?').run(runId)
    try {
      expect(await codeOf(handlers['runs.evaluate']({ runId, split: 'val', faces: 2, iterations: 1, exports: 0, exportStrength: 1 }))).toMatch(
        /^bad_input: .*trained on the val split/,
      )
    } finally {
      studio.catalog.db.prepare("UPDATE runs SET config = json_set(config, '$.splits', json('[\"train\"]')) WHERE id = ?").run(runId)
    }
    studio.catalog.db.prepare("UPDATE images SET split = 'train' WHERE split = 'test'").run()
    expect(await codeOf(handlers['runs.evaluate']({ runId, split: 'test', faces: 2, iterations: 1, exports: 0, exportStrength: 1 }))).toMatch(
      /^bad_input: .*no labelled faces/,
    )
  })

  it('is a job: progress per chunk of faces, and a cancel stores nothing', async () => {
    const progress: number[] = []
    let jobId = ''
    const stop = studio.events.subscribe((event, payload) => {
      if (event !== 'job.progress' || (payload as { kind: string }).kind !== 'evaluate') return
      jobId = (payload as { jobId: string }).jobId
      progress.push((payload as { done: number }).done)
    })
    const before = (await handlers['runs.evaluations']({ runId })).length
    const running = codeOf(handlers['runs.evaluate']({ runId, split: 'val', faces: 6, iterations: 200, exports: 0, exportStrength: 1 }))
    while (!jobId) await new Promise((resolve) => setTimeout(resolve, 50))
    await handlers['jobs.cancel']({ jobId })
    expect(await running).toMatch(/^cancelled/)
    stop()
    expect(progress[0]).toBe(0)
    expect((await handlers['runs.evaluations']({ runId })).length).toBe(before)
    expect(existsSync(join(home, 'runs', runId, 'evaluations'))).toBe(true)
  }, 300_000)

  it('go with their run: deleting it removes the rows and the details files', async () => {
    const count = () => (studio.catalog.db.prepare('SELECT COUNT(*) AS n FROM evaluations WHERE run_id = ?').get(runId) as { n: number }).n
    expect(count()).toBeGreaterThan(0)
    await handlers['runs.delete']({ runId })
    expect(count()).toBe(0)
    expect(existsSync(join(home, 'runs', runId, 'evaluations'))).toBe(false)
    expect(await codeOf(handlers['runs.evaluations']({ runId }))).toMatch(/^not_found/)
  })
})
