// Training on the torch backends, as users reach it: `train --backend torch-cpu` through the CLI
// and runs.start through the studio's API (live events, pause, continue, cancel), kill -9 then
// resume from the last checkpoint, a run kit trained by one process and by a 2-process torchrun
// (gloo) with the same global batch, and the kit imported back and used to age a face. Skips,
// saying why, where Python has no torch.
import * as tf from '@tensorflow/tfjs'
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatch } from '../../src/engine/api/dispatch'
import { createHandlers } from '../../src/engine/api/handlers'
import { readModel } from '../../src/engine/model/checkpoint'
import { preset } from '../../src/engine/model/presets'
import { useBackend } from '../../src/engine/tf/backends'
import { torchStatus, TRAINER_DIR } from '../../src/engine/torch/python'
import { DEMO_PHOTOS } from '../helpers/photos'
import { CLI } from '../helpers/serve'
import { demoStudio } from '../helpers/training'

const torch = await torchStatus()
if (!torch.ok) console.log(`[skip] torch backends: no Python with torch (${torch.reason}). Install python3-torch.`)
const python = torch.ok ? torch.probe.python : 'python3'

let env: Awaited<ReturnType<typeof demoStudio>>
const events: { event: string; payload: Record<string, unknown> }[] = []
beforeAll(async () => {
  if (!torch.ok) return
  env = await demoStudio(60)
  env.studio.events.subscribe((event, payload) => events.push({ event, payload: payload as Record<string, unknown> }))
}, 120_000)
afterAll(() => env?.close())

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--home', env.ctx.home, ...args, '--json'], { encoding: 'utf8', timeout: 300_000 })
  const lines = result.stdout.trim().split('\n')
  return { code: result.status, body: JSON.parse(lines.at(-1) || '{}'), stderr: result.stderr }
}
const call = async <T>(name: string, input: unknown): Promise<T> => {
  const reply = await dispatch(createHandlers(env.studio), name, input)
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`)
  return reply.result as T
}
const steps = (runId: string) => events.filter((e) => e.event === 'run.progress' && e.payload.runId === runId).map((e) => e.payload.step as number)
const statuses = (runId: string) => events.filter((e) => e.event === 'run.status' && e.payload.runId === runId).map((e) => e.payload.status)
const runs = () => cli(['runs']).body.runs as { id: string; status: string; lastStep: number; backend: string }[]

/** G(z, y) of a checkpoint in tfjs and, through the trainer's own loader, in torch. */
async function bothGenerators(checkpoint: string, dir: string): Promise<[Float32Array, Float32Array]> {
  await useBackend('cpu+blas').catch(() => useBackend('cpu'))
  const p = preset('tiny')
  const z = tf.randomNormal([4, p.zDim], 0, 1, 'float32', 3)
  const y = tf.oneHot(tf.tensor1d([0, 2, 4, 5], 'int32'), p.bins).toFloat()
  const files = { z: join(dir, 'z.bin'), y: join(dir, 'y.bin'), x: join(dir, 'x.bin') }
  writeFileSync(files.z, Float32Array.from(z.dataSync()))
  writeFileSync(files.y, Float32Array.from(y.dataSync()))
  writeFileSync(files.x, new Float32Array(4 * p.imageSize * p.imageSize * 3))
  const generator = await readModel(join(checkpoint, 'generator'))
  const inTfjs = Float32Array.from((generator.predict([z, y]) as tf.Tensor).dataSync())
  generator.dispose()
  writeFileSync(
    join(dir, 'forward.json'),
    JSON.stringify({
      preset: p,
      batch: 4,
      inputs: files,
      out: dir,
      networks: { generator: { template: join(checkpoint, 'generator'), weights: join(checkpoint, 'generator') } },
    }),
  )
  const result = spawnSync(python, ['-m', 'agecgan', 'forward', join(dir, 'forward.json')], { cwd: TRAINER_DIR, encoding: 'utf8' })
  expect(result.status, result.stderr).toBe(0)
  const bytes = readFileSync(join(dir, 'generator.bin'))
  return [inTfjs, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)]
}

describe.skipIf(!torch.ok)('training on PyTorch', () => {
  it("trains a tiny run on torch-cpu through the CLI; its checkpoints age a face and give torch's G in tfjs", async () => {
    const trained = cli([
      'train',
      '--preset',
      'tiny',
      '--backend',
      'torch-cpu',
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
      '--diff-augment',
    ])
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.body).toMatchObject({ status: 'done', phase: 'encoder', step: 4, backend: 'torch-cpu' })
    expect(trained.body.checkpoints).toHaveLength(4)
    const run = runs().find((r) => r.id === trained.body.runId)!
    expect(run).toMatchObject({ status: 'done', backend: 'torch-cpu', lastStep: 4 })
    expect(env.studio.catalog.runs.get(run.id)!.config.diffAugment).toBe(true)
    const detail = await call<{ samples: unknown[]; checkpoints: { dir: string }[] }>('runs.get', { runId: run.id })
    expect(detail.samples).toHaveLength(2)
    const metrics = await call<{ name: string }[]>('runs.metrics', { runId: run.id })
    expect(new Set(metrics.map((m) => m.name))).toEqual(new Set(['d_real', 'd_fake', 'd_mismatch', 'g', 'e', 'images_per_second']))

    // The editor's loader reads the torch checkpoint: the same G output as torch computes (≤ 1e-4).
    const last = trained.body.checkpoints.at(-1) as string
    const scratch = join(env.ctx.home, 'forward')
    mkdirSync(scratch, { recursive: true })
    const [inTfjs, inTorch] = await bothGenerators(last, scratch)
    let worst = 0
    for (let i = 0; i < inTfjs.length; i++) worst = Math.max(worst, Math.abs(inTfjs[i] - inTorch[i]))
    expect(worst).toBeLessThanOrEqual(1e-4)
    const face = readdirSync(join(env.ctx.home, 'files'), { recursive: true })
      .map(String)
      .find((f) => f.endsWith('.png'))!
    const aged = cli(['age', join(env.ctx.home, 'files', face), '--run', run.id, '--all', '--iterations', '2', '--out', join(env.ctx.home, 'aged')])
    expect(aged.code, aged.stderr).toBe(0)
    expect(aged.body.outputs).toHaveLength(6)
  }, 300_000)

  it('runs in the studio with live events, pauses, continues and cancels', async () => {
    const { runId } = await call<{ runId: string }>('runs.start', {
      preset: 'tiny',
      phase: 'gan',
      steps: 5000,
      batch: 4,
      backend: 'torch-cpu',
      checkpointEvery: 3,
      sampleEvery: 3,
    })
    await expect.poll(() => steps(runId).length, { timeout: 120_000 }).toBeGreaterThan(3)
    expect(events.some((e) => e.event === 'run.sample' && e.payload.runId === runId)).toBe(true)
    expect(events.some((e) => e.event === 'run.checkpoint' && e.payload.runId === runId)).toBe(true)
    await call('runs.pause', { runId })
    await expect.poll(() => statuses(runId), { timeout: 30_000 }).toContain('paused')
    const frozen = steps(runId).length
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(steps(runId).length).toBe(frozen)
    await call('runs.continue', { runId })
    await expect.poll(() => steps(runId).length, { timeout: 30_000 }).toBeGreaterThan(frozen)
    await call('runs.cancel', { runId })
    await expect.poll(() => statuses(runId).at(-1), { timeout: 30_000 }).toBe('cancelled')
    await expect.poll(async () => (await call<{ training: boolean }>('runs.get', { runId })).training, { timeout: 30_000 }).toBe(false)
    expect((await call<{ run: { status: string; backend: string } }>('runs.get', { runId })).run).toMatchObject({ status: 'cancelled', backend: 'torch-cpu' })
  }, 300_000)

  it('survives kill -9 of the studio: the trainer stops, and the run (DiffAugment on) resumes from its last checkpoint', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        '--home',
        env.ctx.home,
        'train',
        '--preset',
        'tiny',
        '--phase',
        'gan',
        '--backend',
        'torch-cpu',
        '--steps',
        '4000',
        '--batch',
        '4',
        '--checkpoint-every',
        '3',
        '--diff-augment',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let runId = ''
    await expect
      .poll(() => (runId = runs().find((r) => r.status === 'running' && r.backend === 'torch-cpu' && r.lastStep >= 5)?.id ?? ''), {
        timeout: 120_000,
        interval: 500,
      })
      .not.toBe('')
    const spec = join(env.ctx.home, 'runs', runId, 'torch', 'spec.json')
    const trainerAlive = () => spawnSync('pgrep', ['-f', spec]).status === 0
    expect(trainerAlive()).toBe(true)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    // Its pipe closed, the trainer stops after its step: no orphan keeps training.
    await expect.poll(trainerAlive, { timeout: 60_000, interval: 250 }).toBe(false)
    expect(runs().find((r) => r.id === runId)!.status).toBe('interrupted')
    const checkpoints = (await call<{ checkpoints: { step: number }[] }>('runs.get', { runId })).checkpoints
    const lastStep = Math.max(...checkpoints.map((c) => c.step))

    const resumed = spawn(process.execPath, [CLI, '--home', env.ctx.home, 'train', '--resume', runId], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    resumed.stderr.on('data', (chunk) => (stderr += chunk))
    await expect.poll(() => /gan step \d+\/4000/.test(stderr), { timeout: 120_000, interval: 200 }).toBe(true)
    resumed.kill('SIGINT')
    expect(await new Promise((resolve) => resumed.once('exit', resolve))).toBe(0)
    expect(Number(/gan step (\d+)\/4000/.exec(stderr)![1])).toBe(lastStep + 1)
    expect(runs().find((r) => r.id === runId)!.status).toBe('cancelled')
  }, 300_000)

  it("never unpickles a kit checkpoint's torch-state.pt: code in it does not run, and resuming says why", () => {
    const dir = mkdtempSync(join(tmpdir(), 'age-studio-pickle-'))
    const [evil, marker] = [join(dir, 'torch-state.pt'), join(dir, 'ran')]
    const script = `
import os, sys, torch
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + sys.argv[2],))
torch.save({'optimizers': Evil()}, sys.argv[1])
from agecgan.train import load_torch_state
try:
    load_torch_state(sys.argv[1], 'cpu', False)
except ValueError as error:
    print(error)
`
    const result = spawnSync(python, ['-c', script, evil, marker], { cwd: TRAINER_DIR, encoding: 'utf8' })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/is not loadable safely \(weights only\)/)
    expect(existsSync(marker)).toBe(false)
    rmSync(dir, { recursive: true, force: true })
  })

  it('a run kit trains the same under a 2-process torchrun as in one process, and comes back as a run', async () => {
    const kit = join(env.ctx.home, 'kit')
    // DiffAugment draws its transforms per process (each rank augments its own shard), so a run
    // that is to match across process counts step for step trains without it.
    const exported = cli([
      'export-run',
      '--preset',
      'tiny',
      '--no-diff-augment',
      '--phase',
      'all',
      '--steps',
      '4',
      '--encoder-steps',
      '2',
      '--batch',
      '32',
      '--checkpoint-every',
      '4',
      '--sample-every',
      '4',
      '--out',
      kit,
    ])
    expect(exported.code, exported.stderr).toBe(0)
    expect(readFileSync(join(kit, 'README.md'), 'utf8')).toMatch(/torchrun --standalone --nproc_per_node=gpu -m agecgan train/)
    expect(cli(['export-run', '--preset', 'tiny', '--out', kit]).body.error.code).toBe('exists')
    const single = join(env.ctx.home, 'kit-single')
    cpSync(kit, single, { recursive: true })

    expect(spawnSync(python, ['-m', 'agecgan', 'train', '../spec.json'], { cwd: join(single, 'trainer'), encoding: 'utf8' }).status).toBe(0)
    // --redirects/--tee 1 (stdout; stderr is inherited): torch 1.13's torchrun cannot parse
    // their default "0", nor "3", on Python 3.11. Gloo on loopback: a standalone run must not depend on
    // what this machine's hostname resolves to.
    const ddp = spawnSync(
      python,
      ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', '-m', 'agecgan', 'train', '../spec.json'],
      {
        cwd: join(kit, 'trainer'),
        encoding: 'utf8',
        timeout: 480_000,
        env: { ...process.env, GLOO_SOCKET_IFNAME: 'lo' },
      },
    )
    const events = join(kit, 'out', 'events.jsonl')
    const why = `signal ${ddp.signal} ${ddp.error?.message ?? ''}\nstdout: ${ddp.stdout.slice(-3000)}\nstderr: ${ddp.stderr.slice(-3000)}\nevents: ${existsSync(events) ? readFileSync(events, 'utf8').slice(-1500) : 'none'}`
    expect(ddp.status, why).toBe(0)
    const progress = (dir: string) =>
      readFileSync(join(dir, 'out', 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((e) => e.event === 'progress') as { phase: string; step: number; losses: Record<string, number> }[]
    const [one, two] = [progress(single), progress(kit)]
    expect(two.map((e) => `${e.phase}${e.step}`)).toEqual(one.map((e) => `${e.phase}${e.step}`))
    expect(JSON.parse(readFileSync(join(kit, 'out', 'events.jsonl'), 'utf8').split('\n')[0])).toMatchObject({ event: 'started', world: 2 })
    // The same global batch split in two: batch norm sees halves and dropout draws other masks,
    // so the losses agree closely, not exactly (measured here: within 0.035 at batch 32).
    for (const [a, b] of one.map((e, i) => [e, two[i]] as const)) {
      for (const name of Object.keys(a.losses)) expect(Math.abs(a.losses[name] - b.losses[name]), `${a.phase} ${a.step} ${name}`).toBeLessThan(0.1)
    }
    expect(Math.abs(one[0].losses.dReal - two[0].losses.dReal)).toBeLessThan(0.02)

    const imported = cli(['import-run', kit])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.body).toMatchObject({ status: 'done', checkpoints: 2, steps: { gan: 4, encoder: 2 } })
    const detail = await call<{ run: { status: string; backend: string; origin: string }; checkpoints: { phase: string; dir: string }[]; samples: unknown[] }>(
      'runs.get',
      { runId: imported.body.runId },
    )
    expect(detail.run).toMatchObject({ status: 'done', backend: 'torch-cpu' })
    expect(detail.samples).toHaveLength(1)
    expect(existsSync(join(env.ctx.home, detail.checkpoints.at(-1)!.dir, 'encoder', 'model.json'))).toBe(true)
    // Usable like any run: the editor opens a real photo and ages its face with the imported model.
    const api = createHandlers(env.studio)
    const { sessionId } = await api['editor.open']({ path: DEMO_PHOTOS[0] })
    const prepared = await api['editor.prepare']({ sessionId, faceIndex: 0, runId: imported.body.runId })
    expect(prepared.model.runId).toBe(imported.body.runId)
    const young = await api['editor.render']({ sessionId, position: 0, variation: 0, spread: 0.35, mode: 'residual', strength: 1 })
    const old = await api['editor.render']({ sessionId, position: 5, variation: 0, spread: 0.35, mode: 'residual', strength: 1 })
    expect(young.face).not.toBe(old.face)
    expect(old.after).toMatch(/^data:image\//)
    await api['editor.close']({ sessionId })
    expect(cli(['import-run', join(env.ctx.home, 'nowhere')]).body.error.code).toBe('bad_input')
    rmSync(single, { recursive: true, force: true })
  }, 900_000)
})
