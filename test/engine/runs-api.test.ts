// Training through the contract, as the studio does it: runs.start puts the run in a worker
// thread (the built out/main/trainWorker.js), its events stream back, and it can be paused,
// continued and cancelled.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StudioEvents } from '../../src/shared/contract'
import { dispatch } from '../../src/engine/api/dispatch'
import { createHandlers } from '../../src/engine/api/handlers'
import { demoStudio } from '../helpers/training'

let env: Awaited<ReturnType<typeof demoStudio>>
const events: { event: string; payload: unknown }[] = []
beforeAll(async () => {
  env = await demoStudio(60)
  env.studio.events.subscribe((event, payload) => events.push({ event, payload }))
})
afterAll(() => env.close())

const call = async (name: string, input: unknown) => {
  const reply = await dispatch(createHandlers(env.studio), name, input)
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`)
  return reply.result as never
}
const progress = (runId: string) =>
  events
    .filter((e) => e.event === 'run.progress' && (e.payload as StudioEvents['run.progress']).runId === runId)
    .map((e) => (e.payload as StudioEvents['run.progress']).step)
const statuses = (runId: string) =>
  events
    .filter((e) => e.event === 'run.status' && (e.payload as StudioEvents['run.status']).runId === runId)
    .map((e) => (e.payload as StudioEvents['run.status']).status)

describe('runs through the API', () => {
  it('previews what a configuration trains on, per bin, through its filters', async () => {
    const all = (await call('runs.preview', { splits: ['train', 'val', 'test'] })) as { perBin: number[]; total: number }
    expect(all).toEqual({ perBin: [10, 10, 10, 10, 10, 10], total: 60 })
    const train = (await call('runs.preview', {})) as { total: number }
    expect(train.total).toBe(env.studio.catalog.images.count({ split: 'train' }))
    const old = (await call('runs.preview', { splits: ['train', 'val', 'test'], bins: [4, 5] })) as { perBin: number[] }
    expect(old.perBin).toEqual([0, 0, 0, 0, 10, 10])
    const ids = env.studio.catalog.images.ids({ bin: 5 }, 3)
    env.studio.catalog.images.update(ids, { excluded: true })
    expect(((await call('runs.preview', { splits: ['train', 'val', 'test'], bins: [5] })) as { total: number }).total).toBe(7)
    expect(((await call('runs.preview', { splits: ['train', 'val', 'test'], bins: [5], includeExcluded: true })) as { total: number }).total).toBe(10)
    expect(((await call('runs.preview', { splits: ['train', 'val', 'test'], ageSources: ['estimate'] })) as { total: number }).total).toBe(0)
    env.studio.catalog.images.update(ids, { excluded: false })
    await expect(call('runs.preview', { bins: [] })).rejects.toThrow(/bins/)
    await expect(call('runs.preview', { datasetId: 999 })).rejects.toThrow(/not_found/)
  })

  it('starts in a worker, streams progress, pauses, continues and cancels', async () => {
    const { runId } = await call('runs.start', { preset: 'tiny', phase: 'gan', steps: 500, batch: 4, checkpointEvery: 2, sampleEvery: 2 })
    await expect.poll(() => progress(runId).length, { timeout: 60_000 }).toBeGreaterThan(2)
    expect(((await call('runs.get', { runId })) as { training: boolean }).training).toBe(true)

    await call('runs.pause', { runId })
    await expect.poll(() => statuses(runId), { timeout: 30_000 }).toContain('paused')
    const frozen = progress(runId).length
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(progress(runId).length).toBe(frozen)

    await call('runs.continue', { runId })
    await expect.poll(() => progress(runId).length, { timeout: 30_000 }).toBeGreaterThan(frozen)

    await call('runs.cancel', { runId })
    await expect.poll(() => statuses(runId).at(-1), { timeout: 30_000 }).toBe('cancelled')
    const detail = (await call('runs.get', { runId })) as { run: { status: string }; checkpoints: unknown[]; samples: { phase: string; step: number }[] }
    expect(detail.run.status).toBe('cancelled')
    expect(detail.checkpoints.length).toBeGreaterThan(0)
    const sample = detail.samples[0]
    const image = (await call('runs.sample', { runId, phase: sample.phase, step: sample.step })) as { image: string }
    expect(image.image).toMatch(/^data:image\/png;base64,/)
    const metrics = (await call('runs.metrics', { runId, sinceStep: 1 })) as { step: number; name: string }[]
    expect(metrics.every((m) => m.step > 1)).toBe(true)
    expect(new Set(metrics.map((m) => m.name))).toContain('d_mismatch')
  }, 180_000)

  it('resumes a cancelled run from its checkpoint, and refuses bad requests', async () => {
    const runs = (await call('runs.list', {})) as { id: string; status: string }[]
    const { id } = runs.find((r) => r.status === 'cancelled')!
    await expect.poll(async () => ((await call('runs.get', { runId: id })) as { training: boolean }).training, { timeout: 30_000 }).toBe(false)
    const before = progress(id).length
    await call('runs.resume', { runId: id })
    await expect.poll(() => progress(id).length, { timeout: 60_000 }).toBeGreaterThan(before)
    await call('runs.cancel', { runId: id })
    await expect.poll(() => statuses(id).at(-1), { timeout: 30_000 }).toBe('cancelled')

    // Resume from an earlier checkpoint: what came after it is dropped, then training goes on from there.
    await expect.poll(async () => ((await call('runs.get', { runId: id })) as { training: boolean }).training, { timeout: 30_000 }).toBe(false)
    const { checkpoints } = (await call('runs.get', { runId: id })) as { checkpoints: { id: number; step: number; dir: string }[] }
    expect(checkpoints.length).toBeGreaterThan(2)
    const first = checkpoints[0]
    await expect(call('runs.resume', { runId: id, checkpointId: 987_654 })).rejects.toThrow(/not_found/)
    await call('runs.resume', { runId: id, checkpointId: first.id })
    const rewound = (await call('runs.get', { runId: id })) as { checkpoints: { step: number }[]; samples: { step: number }[] }
    expect(rewound.checkpoints.map((c) => c.step).every((step) => step >= first.step)).toBe(true)
    expect(((await call('runs.metrics', { runId: id })) as { step: number }[]).some((m) => m.step > first.step + 50)).toBe(false)
    expect(existsSync(join(env.studio.home, checkpoints.at(-1)!.dir))).toBe(false)
    await call('runs.cancel', { runId: id })
    await expect.poll(() => statuses(id).at(-1), { timeout: 30_000 }).toBe('cancelled')

    await expect(call('runs.start', { preset: 'gigantic' })).rejects.toThrow(/bad_input[\s\S]*preset/)
    await expect(call('runs.get', { runId: 'run-missing' })).rejects.toThrow(/not_found/)
    await expect(call('runs.pause', { runId: '../../etc' })).rejects.toThrow(/bad_input/)
    await expect(call('runs.sample', { runId: id, phase: 'gan', step: 999_999 })).rejects.toThrow(/not_found/)
  }, 180_000)

  it('resumes a run the moment it says cancelled, while its thread is still closing', async () => {
    const { runId } = await call('runs.start', { preset: 'tiny', phase: 'gan', steps: 500, batch: 4, checkpointEvery: 2, sampleEvery: 2 })
    await expect.poll(() => progress(runId).length, { timeout: 60_000 }).toBeGreaterThan(3)
    // Asked from inside the 'cancelled' event: the old thread has not sent its last message yet.
    const resumed = new Promise<unknown>((resolve, reject) => {
      const stop = env.studio.events.subscribe((event, payload) => {
        const status = payload as StudioEvents['run.status']
        if (event !== 'run.status' || status.runId !== runId || status.status !== 'cancelled') return
        stop()
        call('runs.resume', { runId }).then(resolve, reject)
      })
    })
    await call('runs.cancel', { runId })
    expect(await resumed).toEqual({ runId })
    const before = progress(runId).length
    await expect.poll(() => progress(runId).length, { timeout: 60_000 }).toBeGreaterThan(before)
    await call('runs.cancel', { runId })
    await expect.poll(() => statuses(runId).at(-1), { timeout: 30_000 }).toBe('cancelled')
  }, 180_000)

  it('keeps training while the studio starts child processes (OpenBLAS and fork)', async () => {
    // A fork while a worker thread is inside OpenBLAS's threaded sgemm used to leave that run
    // waiting for ever: OpenBLAS shuts its pool down at fork. Child processes are how the studio
    // reaches PyTorch, so forks while training are ordinary now.
    const { runId } = await call('runs.start', {
      preset: 'tiny',
      phase: 'gan',
      steps: 100_000,
      batch: 16,
      checkpointEvery: 100_000,
      sampleEvery: 100_000,
      backend: 'cpu+blas',
    })
    await expect.poll(() => progress(runId).length, { timeout: 60_000 }).toBeGreaterThan(2)
    for (let i = 0; i < 60; i++) spawnSync('true')
    const before = progress(runId).length
    await expect.poll(() => progress(runId).length, { timeout: 30_000 }).toBeGreaterThan(before + 3)
    await call('runs.cancel', { runId })
    await expect.poll(() => statuses(runId).at(-1), { timeout: 30_000 }).toBe('cancelled')
  }, 180_000)
})
