// What users do with runs besides training them: name and annotate, export the metrics as CSV
// (a file, or web mode's streamed download), and delete a run with its files.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StudioEvents } from '../../src/shared/contract'
import { dispatch } from '../../src/engine/api/dispatch'
import { createHandlers } from '../../src/engine/api/handlers'
import { findDownload } from '../../src/engine/downloads'
import { metricsCsv } from '../../src/engine/training/metricsCsv'
import { demoStudio } from '../helpers/training'

let env: Awaited<ReturnType<typeof demoStudio>>
const out = mkdtempSync(join(tmpdir(), 'age-studio-run-admin-'))
const events: { event: string; payload: unknown }[] = []
beforeAll(async () => {
  env = await demoStudio(60)
  env.studio.events.subscribe((event, payload) => events.push({ event, payload }))
})
afterAll(async () => {
  await env.close()
  rmSync(out, { recursive: true, force: true })
})

const call = async (name: string, input: unknown) => {
  const reply = await dispatch(createHandlers(env.studio), name, input)
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`)
  return reply.result as never
}
const status = (runId: string) =>
  events
    .filter((e) => e.event === 'run.status' && (e.payload as StudioEvents['run.status']).runId === runId)
    .map((e) => (e.payload as StudioEvents['run.status']).status)
    .at(-1)
const finished = async (runId: string) => {
  await expect.poll(() => status(runId), { timeout: 120_000 }).toMatch(/done|cancelled/)
  await expect.poll(async () => ((await call('runs.get', { runId })) as { training: boolean }).training, { timeout: 30_000 }).toBe(false)
  // The thread may still be closing after the run ended; the checks below need it gone.
  await expect.poll(() => env.studio.training.hasThread(runId), { timeout: 30_000 }).toBe(false)
}
const csvText = (runId: string) => [...metricsCsv(env.studio.catalog.runs, runId)].join('')

describe('run names, notes, metrics CSV and delete', () => {
  it('writes every step of both phases as one CSV row, across page boundaries', () => {
    const runs = env.studio.catalog.runs
    runs.create('run-csv-pages', 'tiny', {}, 1, 'cpu')
    for (let step = 1; step <= 4500; step++) runs.addMetrics('run-csv-pages', 'gan', step, { dReal: step, dFake: 1, dMismatch: 2, g: 3, imagesPerSecond: 9 })
    for (let step = 1; step <= 30; step++) runs.addMetrics('run-csv-pages', 'encoder', step, { e: step / 10, imagesPerSecond: 8 })
    const lines = csvText('run-csv-pages').trim().split('\n')
    expect(lines[0]).toBe('phase,step,d_real,d_fake,d_mismatch,g,e,images_per_second')
    expect(lines).toHaveLength(1 + 4500 + 30)
    expect(lines[1]).toBe('gan,1,1,1,2,3,,9')
    expect(lines[4500]).toBe('gan,4500,4500,1,2,3,,9')
    expect(lines[4501]).toBe('encoder,1,,,,,0.1,8')
    const steps = lines.slice(1, 4501).map((l) => Number(l.split(',')[1]))
    expect(steps).toEqual(Array.from({ length: 4500 }, (_, i) => i + 1))
  })

  it('names and annotates a run, exports its metrics, and deletes it with its files', async () => {
    const { runId } = (await call('runs.start', { preset: 'tiny', phase: 'all', steps: 6, encoderSteps: 4, batch: 4, checkpointEvery: 2, sampleEvery: 2 })) as {
      runId: string
    }
    await finished(runId)

    const named = (await call('runs.describe', { runId, name: '  Baseline, lr 2e-4 ', notes: 'First try.\nSecond line.' })) as { name: string; notes: string }
    expect(named).toMatchObject({ name: 'Baseline, lr 2e-4', notes: 'First try.\nSecond line.' })
    expect(((await call('runs.list', {})) as { id: string; name: string | null }[]).find((r) => r.id === runId)!.name).toBe('Baseline, lr 2e-4')
    expect(events.some((e) => e.event === 'run.changed' && (e.payload as { runId: string }).runId === runId)).toBe(true)
    expect(((await call('editor.models', {})) as { runId: string; runName: string | null }[]).find((m) => m.runId === runId)!.runName).toBe('Baseline, lr 2e-4')
    await expect(call('runs.describe', { runId, name: 'x'.repeat(101) })).rejects.toThrow(/bad_input/)
    await expect(call('runs.describe', { runId: 'run-nope', name: 'x' })).rejects.toThrow(/not_found/)
    expect(((await call('runs.describe', { runId, name: '' })) as { name: string | null }).name).toBeNull()

    // CSV: the file, refused over an existing one unless forced, and the same bytes as web mode's download.
    const file = join(out, 'metrics.csv')
    expect(await call('runs.exportMetrics', { runId, out: file })).toEqual({ path: file, rows: 10 })
    const text = readFileSync(file, 'utf8')
    expect(text.split('\n').filter((l) => l.startsWith('gan,'))).toHaveLength(6)
    expect(text.split('\n').filter((l) => l.startsWith('encoder,'))).toHaveLength(4)
    await expect(call('runs.exportMetrics', { runId, out: file })).rejects.toThrow(/exists/)
    await call('runs.exportMetrics', { runId, out: file, force: true })
    const download = findDownload(env.studio, `/download/runs/${runId}/metrics.csv`)
    expect(download.kind === 'text' && [...download.chunks()].join('')).toBe(text)
    for (const address of [
      `/download/runs/run-nope/metrics.csv`,
      `/download/runs/${runId}/../../catalog.sqlite`,
      '/download/batch/00000000-0000-0000-0000-000000000000/all.zip',
    ]) {
      expect(() => findDownload(env.studio, address), address).toThrow(/no such download|There is no/i)
    }

    // Delete: refused while training, here or in another live process.
    const { runId: busy } = await call('runs.start', { preset: 'tiny', phase: 'gan', steps: 100_000, batch: 4, checkpointEvery: 100_000, sampleEvery: 100_000 })
    await expect(call('runs.delete', { runId: busy })).rejects.toThrow(/^busy: .*cancel it first/)
    await call('runs.cancel', { runId: busy })
    await finished(busy)
    env.studio.catalog.db.prepare("UPDATE runs SET status = 'running', pid = ?, host = NULL WHERE id = ?").run(process.ppid, busy)
    await expect(call('runs.delete', { runId: busy })).rejects.toThrow(/^busy: .*process/)
    env.studio.catalog.db.prepare("UPDATE runs SET status = 'cancelled' WHERE id = ?").run(busy)

    const detail = (await call('runs.get', { runId })) as { checkpoints: { dir: string }[] }
    const samples = env.studio.catalog.runs.samples(runId).map((s) => env.studio.files.resolve(s.file))
    expect(detail.checkpoints.length).toBeGreaterThan(2)
    expect(samples.length).toBeGreaterThan(2)
    expect(samples.every((f) => existsSync(f))).toBe(true)
    const removed = (await call('runs.delete', { runId })) as { checkpoints: number; samples: number }
    expect(removed).toEqual({ checkpoints: detail.checkpoints.length, samples: samples.length })
    expect(existsSync(join(env.studio.home, 'runs', runId))).toBe(false)
    expect(samples.filter((f) => existsSync(f))).toEqual([])
    await expect(call('runs.get', { runId })).rejects.toThrow(/not_found/)
    expect(env.studio.catalog.runs.metrics(runId)).toEqual([])
    expect(events.some((e) => e.event === 'run.changed' && (e.payload as { runId: string; deleted: boolean }).deleted)).toBe(true)
    // The other run and its files are untouched.
    expect(((await call('runs.get', { runId: busy })) as { run: { id: string } }).run.id).toBe(busy)
    await call('runs.delete', { runId: busy })
  }, 240_000)

  it('deletes a run the moment it says cancelled, once its closing thread has gone', async () => {
    const { runId } = await call('runs.start', { preset: 'tiny', phase: 'gan', steps: 100_000, batch: 4, checkpointEvery: 2, sampleEvery: 2 })
    await expect.poll(() => env.studio.catalog.runs.checkpoints(runId).length, { timeout: 60_000 }).toBeGreaterThan(1)
    // Asked from inside the 'cancelled' event: the thread has not sent its last message yet.
    const deleted = new Promise<{ threadAlive: boolean }>((resolve, reject) => {
      const stop = env.studio.events.subscribe((event, payload) => {
        const status = payload as StudioEvents['run.status']
        if (event !== 'run.status' || status.runId !== runId || status.status !== 'cancelled') return
        stop()
        call('runs.delete', { runId }).then(() => resolve({ threadAlive: env.studio.training.hasThread(runId) }), reject)
      })
    })
    await call('runs.cancel', { runId })
    expect(await deleted).toEqual({ threadAlive: false })
    expect(existsSync(join(env.studio.home, 'runs', runId))).toBe(false)
    await expect(call('runs.get', { runId })).rejects.toThrow(/not_found/)
  }, 180_000)
})
