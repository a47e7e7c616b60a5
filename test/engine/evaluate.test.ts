// The evaluation on a tiny model trained here: `age-studio eval` through the built command, and
// runs.evaluate / runs.evaluations through the studio's handlers (a job in a worker thread).
// Numbers are poor on a model this small; every field must be there and in range.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { summarize } from '../../src/engine/evaluation/metrics'
import { Studio } from '../../src/engine/studio'
import { StudioError } from '../../src/shared/contract'
import type { EvaluationSummary, Verification } from '../../src/shared/evaluation'
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
    const { sources, ...numbers } = m
    expect(summarize(details.faces, m.threshold, 2)).toEqual(numbers)
    expect(sources).toEqual([{ dataset: 'demo (seed 1)', procedural: true, faces: 5 }])
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
    expect(result.stderr).toMatch(/judged 2\/2 faces/)
  }, 300_000)

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
    expect(refused(['--run', runId, '--dataset', '999'])).toMatch(/^bad_input: There is no dataset 999; known: 1 "demo \(seed 1\)"\.$/)
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
    expect(stored.map((e) => e.split)).toEqual(['val', 'test'])
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
    expect(await codeOf(handlers['runs.evaluate']({ runId, checkpointId: gan.id, split: 'val', faces: 2, iterations: 1 }))).toMatch(/^bad_input: .*GAN phase/)
    studio.catalog.db.prepare('UPDATE runs SET config = json_set(config, \'$.splits\', json(\'["train","val"]\')) WHERE id = ?').run(runId)
    try {
      expect(await codeOf(handlers['runs.evaluate']({ runId, split: 'val', faces: 2, iterations: 1 }))).toMatch(/^bad_input: .*trained on the val split/)
    } finally {
      studio.catalog.db.prepare("UPDATE runs SET config = json_set(config, '$.splits', json('[\"train\"]')) WHERE id = ?").run(runId)
    }
    studio.catalog.db.prepare("UPDATE images SET split = 'train' WHERE split = 'test'").run()
    expect(await codeOf(handlers['runs.evaluate']({ runId, split: 'test', faces: 2, iterations: 1 }))).toMatch(/^bad_input: .*no labelled faces/)
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
    const running = codeOf(handlers['runs.evaluate']({ runId, split: 'val', faces: 6, iterations: 200 }))
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
