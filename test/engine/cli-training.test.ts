// The CLI's train → age round trip, and kill -9 then --resume, through the built command.
import { ProvenanceSchema, type Provenance } from '../../src/shared/provenance'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { Studio } from '../../src/engine/studio'
import { CLI, tempHome } from '../helpers/serve'

let home: string
beforeAll(() => {
  home = tempHome('age-studio-cli-train-')
  expect(cli(['demo', '--count', '60']).code).toBe(0)
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

/** A demo face from the content store (square), not one of the runs' sample grids. */
async function demoFace(): Promise<string> {
  for (const file of readdirSync(join(home, 'files'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.png'))) {
    const { width, height } = await sharp(join(home, 'files', file)).metadata()
    if (width === height) return join(home, 'files', file)
  }
  throw new Error('no demo face in the store')
}

/** Runs the CLI; a command still running after `timeoutMs` is killed and the test fails on it (a hang). */
function cli(args: string[], timeoutMs?: number) {
  const result = spawnSync(process.execPath, [CLI, '--home', home, ...args, '--json'], { encoding: 'utf8', timeout: timeoutMs })
  expect(result.signal, `${args.join(' ')} hung`).toBeNull()
  const lines = result.stdout.trim().split('\n')
  expect(lines, result.stdout + result.stderr).toHaveLength(1)
  return { code: result.status, body: JSON.parse(lines[0]), stderr: result.stderr }
}

describe('age-studio train and age', () => {
  it('trains a tiny run and ages a face with it: 6 PNGs and the provenance', async () => {
    const trained = cli([
      'train',
      '--preset',
      'tiny',
      '--steps',
      '4',
      '--encoder-steps',
      '4',
      '--batch',
      '8',
      '--checkpoint-every',
      '2',
      '--sample-every',
      '2',
      '--no-diff-augment',
    ])
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.body).toMatchObject({ status: 'done', phase: 'encoder', step: 4 })
    for (const value of Object.values(trained.body.losses)) expect(Number.isFinite(value)).toBe(true)
    expect(trained.body.checkpoints).toHaveLength(4)
    for (const dir of trained.body.checkpoints) expect(existsSync(join(dir, 'generator', 'model.json'))).toBe(true)

    const runs = cli(['runs'])
    expect(runs.body.runs.find((r: { id: string }) => r.id === trained.body.runId)?.config.diffAugment).toBe(false)

    const out = mkdtempSync(join(tmpdir(), 'age-studio-cli-aged-'))
    const aged = cli(['age', await demoFace(), '--run', trained.body.runId, '--all', '--optimize', 'identity', '--iterations', '2', '--out', out])
    expect(aged.code, aged.stderr).toBe(0)
    expect(aged.body.outputs).toHaveLength(6)
    expect(readdirSync(out).sort()).toEqual([
      'age-bin0.png',
      'age-bin1.png',
      'age-bin2.png',
      'age-bin3.png',
      'age-bin4.png',
      'age-bin5.png',
      'input-aligned.png',
      'provenance.json',
    ])
    const record = JSON.parse(readFileSync(join(out, 'provenance.json'), 'utf8'))
    const provenances = record.outputs.map((o: { provenance: unknown }) => ProvenanceSchema.parse(o.provenance))
    expect(provenances.map((p: Provenance) => p.parameters.optimize)).toEqual(Array(6).fill({ mode: 'identity', iterationsRequested: 2, iterationsDone: 2 }))
    expect(provenances.every((p: Provenance) => Number.isFinite(p.identity.distance))).toBe(true)

    // The same folder again: refused before any work, nothing replaced; --force replaces.
    const before = readFileSync(join(out, 'provenance.json'))
    const again = cli(['age', await demoFace(), '--run', trained.body.runId, '--all', '--iterations', '0', '--out', out])
    expect(again.code).toBe(1)
    expect(again.body.error).toMatchObject({ code: 'exists', message: expect.stringMatching(/already exists.*--force/) })
    expect(readFileSync(join(out, 'provenance.json')).equals(before)).toBe(true)
    expect(cli(['age', await demoFace(), '--run', trained.body.runId, '--all', '--iterations', '0', '--out', out, '--force']).code).toBe(0)
    expect(readFileSync(join(out, 'provenance.json')).equals(before)).toBe(false)

    // A photo that cannot be read is a failure (exit 1), not a usage mistake; a FIFO does not hang it.
    const fifo = join(out, 'pipe.jpg')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const cases: [string, RegExp][] = [
      [join(out, 'missing.jpg'), /missing.jpg does not exist/],
      [fifo, /named pipe, not a regular file/],
      [out, /is a folder, not a regular file/],
      ['/dev/zero', /is a device, not a regular file/],
    ]
    for (const [photo, message] of cases) {
      const refused = cli(['age', photo, '--run', trained.body.runId, '--all', '--out', join(out, 'never')], 60_000)
      expect(refused.code, photo).toBe(1)
      expect(refused.body.error.message).toMatch(message)
    }
  })

  it('age stops refining on Ctrl-C and still writes its outputs', async () => {
    const runId = (cli(['runs']).body.runs as { id: string; status: string }[]).find((r) => r.status === 'done')!.id
    const out = mkdtempSync(join(tmpdir(), 'age-studio-cli-stop-'))
    const child = spawn(
      process.execPath,
      [CLI, '--home', home, 'age', await demoFace(), '--run', runId, '--to', '5', '--optimize', 'pixel', '--iterations', '10000', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    await expect.poll(() => /optimisation \d+\/10000:/.test(stderr), { timeout: 60_000, interval: 100 }).toBe(true)
    child.kill('SIGINT')
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0)
    const { iterationsDone } = ProvenanceSchema.parse(JSON.parse(readFileSync(join(out, 'provenance.json'), 'utf8')).outputs[0].provenance).parameters.optimize
    expect(iterationsDone).toBeGreaterThan(0)
    expect(iterationsDone).toBeLessThan(10_000)
    expect(existsSync(join(out, 'age-bin5.png'))).toBe(true)
  }, 120_000)

  it('--epochs counts exactly the images the run trains on', () => {
    // Leave three training images out: an epoch is one pass over what remains.
    const studio = Studio.open(home, { mode: 'cli' })
    const train = studio.catalog.images.trainingRows({ splits: ['train'], includeExcluded: false })
    studio.catalog.images.update(studio.catalog.images.ids({ split: 'train' }, 3), { excluded: true })
    const kept = studio.catalog.images.trainingRows({ splits: ['train'], includeExcluded: false }).length
    void studio.close()
    expect(kept).toBe(train.length - 3)
    const trained = cli([
      'train',
      '--preset',
      'tiny',
      '--phase',
      'gan',
      '--epochs',
      '2',
      '--batch',
      '8',
      '--checkpoint-every',
      '1000',
      '--sample-every',
      '1000',
    ])
    expect(trained.code, trained.stderr).toBe(0)
    const run = cli(['runs']).body.runs.find((r: { id: string }) => r.id === trained.body.runId)
    expect(run.config.steps).toBe(Math.ceil((2 * kept) / 8))
    expect(run.config.diffAugment, 'tiny trains with DiffAugment by default').toBe(true)
    expect(run.phaseSteps.gan).toBe(run.config.steps)
  }, 120_000)

  it('rejects bad train and age arguments clearly', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--preset', 'huge'], /preset/],
      [['train', '--steps', '0'], /steps/],
      [['train', '--steps', '5', '--epochs', '1'], /--steps or --epochs/],
      [['train', '--resume', 'run-nope'], /no run/],
      [['train', '--dataset', 'nope'], /no dataset "nope"/],
      [['train', '--lr', 'fast'], /--lr must be a number/],
      [['train', '--diff-augment', '--no-diff-augment'], /--diff-augment or --no-diff-augment, not both/],
      [['age', 'x.png', '--run', 'run-x', '--all'], /--out DIR is required/],
      [['age', 'x.png', '--out', '/tmp/x', '--all', '--to', '3'], /--to or --all, not both/],
      [['age', 'x.png', '--run', 'run-x', '--out', '/tmp/x', '--to', '9'], /bin 0–5/],
      [['age', 'x.png', '--run', 'run-x', '--out', '/tmp/x', '--all', '--optimize', 'magic'], /--optimize must be one of/],
    ]
    for (const [args, message] of cases) {
      const result = cli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.body.error.message).toMatch(message)
    }
  })

  it('resumes a run killed with SIGKILL from its last checkpoint', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--home', home, 'train', '--preset', 'tiny', '--phase', 'gan', '--steps', '400', '--batch', '4', '--checkpoint-every', '3'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const runs = () => cli(['runs']).body.runs as { id: string; status: string; lastStep: number }[]
    let runId = ''
    await expect
      .poll(
        () => {
          const run = runs().find((r) => r.status === 'running' && r.lastStep >= 5)
          runId = run?.id ?? ''
          return runId
        },
        { timeout: 120_000, interval: 500 },
      )
      .not.toBe('')
    // One process trains a run at a time: a second CLI resume and the studio's resume are refused.
    const second = cli(['train', '--resume', runId])
    expect([second.code, second.body.error.code]).toEqual([1, 'busy'])
    expect(second.body.error.message).toMatch(new RegExp(`Run ${runId} is being trained by process ${child.pid}`))
    const studio = Studio.open(home, { mode: 'web' })
    try {
      await expect(createHandlers(studio)['runs.resume']({ runId })).rejects.toMatchObject({
        code: 'busy',
        message: expect.stringMatching(/is being trained by process/),
      })
    } finally {
      await studio.close()
    }
    expect(runs().find((r) => r.id === runId)!.status).toBe('running')

    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    const dead = runs().find((r) => r.id === runId)!
    expect(dead.status).toBe('interrupted')
    // What a kill in the middle of writing a checkpoint leaves behind.
    const partial = join(home, 'runs', runId, 'checkpoints', 'gan-00000999.partial-0badf00d')
    mkdirSync(join(partial, 'generator'), { recursive: true })
    const checkpoints = readdirSync(join(home, 'runs', runId, 'checkpoints'))
    // No half-written checkpoint is ever taken for a real one.
    const complete = checkpoints.filter((name) => !name.includes('.partial-'))
    expect(complete.length).toBeGreaterThan(0)
    const lastStep = Math.max(...complete.map((name) => Number(name.split('-')[1])))
    for (const name of complete) expect(existsSync(join(home, 'runs', runId, 'checkpoints', name, 'state.json'))).toBe(true)

    // Resume, then stop it with Ctrl-C once it has taken its first step.
    const resumed = spawn(process.execPath, [CLI, '--home', home, 'train', '--resume', runId], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    resumed.stdout.on('data', (chunk) => (stdout += chunk))
    resumed.stderr.on('data', (chunk) => (stderr += chunk))
    await expect.poll(() => /gan step \d+\/400/.test(stderr), { timeout: 120_000, interval: 200 }).toBe(true)
    resumed.kill('SIGINT')
    expect(await new Promise((resolve) => resumed.once('exit', resolve))).toBe(0)
    // The first step after the resume is the one after the last checkpoint.
    expect(Number(/gan step (\d+)\/400/.exec(stderr)![1])).toBe(lastStep + 1)
    expect(stdout).toMatch(new RegExp(`^${runId} cancelled at gan step \\d+`))
    expect(runs().find((r) => r.id === runId)!.status).toBe('cancelled')
    // The resume cleared the half-written checkpoint folders.
    expect(readdirSync(join(home, 'runs', runId, 'checkpoints')).filter((name) => name.includes('.partial-'))).toEqual([])
  }, 300_000)
})
