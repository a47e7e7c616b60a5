// Training as a resumable job, on the tiny preset and the demo faces.
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunProgress } from '../../src/shared/training'
import { createRun, trainRun, type RunControl, type TrainerContext } from '../../src/engine/training/trainer'
import { demoStudio } from '../helpers/training'

let env: Awaited<ReturnType<typeof demoStudio>>
beforeAll(async () => {
  env = await demoStudio(120)
})
afterAll(() => env.close())

const SMALL = { preset: 'tiny', phase: 'all', steps: 6, encoderSteps: 4, batch: 8, seed: 5, sampleEvery: 3, checkpointEvery: 3 } as const

/** A context whose emit also lets a test watch (and steer) the run. */
function watching(onProgress: (p: RunProgress) => void): TrainerContext {
  return {
    ...env.ctx,
    emit: (event, payload) => {
      if (event === 'run.progress') onProgress(payload as RunProgress)
      env.ctx.emit(event, payload)
    },
  }
}

const finalCheckpoint = (runId: string) => join(env.ctx.home, env.ctx.catalog.runs.latestCheckpoint(runId)!.dir)

describe('training runs', () => {
  it('records metrics, sample grids and checkpoints, and leaks no tensors', async () => {
    const before = tf.memory().numTensors
    const counts: number[] = []
    const { runId } = await createRun(env.ctx.catalog, SMALL)
    const outcome = await trainRun(
      watching(() => counts.push(tf.memory().numTensors)),
      runId,
      { paused: false, cancelled: false },
    )
    expect(outcome).toMatchObject({ status: 'done', phase: 'encoder', step: 4 })
    expect(outcome.checkpoints).toHaveLength(4)
    // Constant from step to step, and back to where it started once the run is over.
    expect(new Set(counts.slice(1, 6)).size).toBe(1)
    expect(new Set(counts.slice(7)).size).toBe(1)
    expect(tf.memory().numTensors).toBe(before)

    const names = new Set(env.ctx.catalog.runs.metrics(runId).map((m) => m.name))
    expect([...names].sort()).toEqual(['d_fake', 'd_mismatch', 'd_real', 'e', 'g', 'images_per_second'])
    expect(env.ctx.catalog.runs.samples(runId).map((s) => s.step)).toEqual([3, 6])
    const run = env.ctx.catalog.runs.get(runId)!
    expect(run).toMatchObject({ status: 'done', backend: outcome.backend, seed: 5 })
    expect(run.config).toMatchObject({ preset: 'tiny', steps: 6, batch: 8 })
  })

  it('resumes a stopped run exactly: same weights and optimizer state as an uninterrupted one', async () => {
    const straight = await createRun(env.ctx.catalog, SMALL)
    await trainRun(env.ctx, straight.runId, { paused: false, cancelled: false })

    const interrupted = await createRun(env.ctx.catalog, SMALL)
    const control: RunControl = { paused: false, cancelled: false }
    // Stop after gan step 4: the last checkpoint is step 3, so step 4 is lost and redone.
    const first = await trainRun(
      watching((p) => p.phase === 'gan' && p.step === 4 && (control.cancelled = true)),
      interrupted.runId,
      control,
    )
    expect(first).toMatchObject({ status: 'cancelled', phase: 'gan', step: 4 })
    expect(env.ctx.catalog.runs.latestCheckpoint(interrupted.runId)).toMatchObject({ phase: 'gan', step: 3 })

    const steps: string[] = []
    const resumed = await trainRun(
      watching((p) => steps.push(`${p.phase}${p.step}`)),
      interrupted.runId,
      { paused: false, cancelled: false },
      true,
    )
    expect(resumed).toMatchObject({ status: 'done', phase: 'encoder', step: 4 })
    expect(steps[0]).toBe('gan4')
    for (const part of [
      'generator/weights.bin',
      'discriminator/weights.bin',
      'encoder/weights.bin',
      'optim-g.bin',
      'optim-d.bin',
      'optim-e.bin',
      'state.json',
    ]) {
      const a = readFileSync(join(finalCheckpoint(straight.runId), part))
      const b = readFileSync(join(finalCheckpoint(interrupted.runId), part))
      expect(a.equals(b), part).toBe(true)
    }
    // (model.json differs only in tfjs's auto-numbered layer names, so whole folders are not compared.)
  })

  it("lowers the encoder's reconstruction error during step 2", async () => {
    const losses: number[] = []
    const { runId } = await createRun(env.ctx.catalog, { ...SMALL, steps: 10, encoderSteps: 60, batch: 16, checkpointEvery: 1000 })
    await trainRun(
      watching((p) => p.phase === 'encoder' && losses.push(p.losses.e!)),
      runId,
      { paused: false, cancelled: false },
    )
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) * 0.9)
  })

  it('pauses between steps and continues', async () => {
    const control: RunControl = { paused: false, cancelled: false }
    const statuses: string[] = []
    const ctx: TrainerContext = {
      ...env.ctx,
      emit: (event, payload) => {
        if (event === 'run.status') statuses.push((payload as { status: string }).status)
        if (event === 'run.progress' && (payload as RunProgress).step === 2 && !statuses.includes('paused')) {
          control.paused = true
          setTimeout(() => (control.paused = false), 300)
        }
      },
    }
    const { runId } = await createRun(env.ctx.catalog, { ...SMALL, phase: 'gan', steps: 4 })
    const outcome = await trainRun(ctx, runId, control)
    expect(outcome.status).toBe('done')
    expect(statuses).toEqual(['running', 'paused', 'running', 'done'])
  })

  it('refuses a run with nothing to train on, clearly', async () => {
    await expect(createRun(env.ctx.catalog, { preset: 'tiny', steps: 0 })).rejects.toThrow(/steps/)
    const { runId } = await createRun(env.ctx.catalog, { preset: 'tiny', steps: 2, datasetId: 999 })
    await expect(trainRun(env.ctx, runId, { paused: false, cancelled: false })).rejects.toThrow(/No training images/)
    expect(env.ctx.catalog.runs.get(runId)!.status).toBe('failed')
  })
})
