/**
 * A training run: the cGAN phase, then the encoder phase, as one resumable job. It writes
 * metrics, sample grids and checkpoints to the catalog and reports every step as an event.
 * The same function runs in the CLI's process and in the studio's worker thread.
 */
import * as tf from '@tensorflow/tfjs'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { EventName, StudioEvents } from '../../shared/contract'
import type { CheckpointSummary } from '../../shared/domain'
import { localHardware } from './hardware'
import { setRunStatus, startRun } from './runStatus'
import { Rng } from '../../shared/rng'
import { forNewRun, lossEntries, TrainConfigSchema, type Losses, type Phase, type TrainConfig } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import type { FileStore } from '../catalog/files'
import * as ckpt from '../model/checkpoint'
import { buildDiscriminator, buildEncoder, buildGenerator } from '../model/networks'
import { preset, type Preset } from '../model/presets'
import { useBackend, type BackendName } from '../tf/backends'
import { makeAdam } from '../tf/cpuAdam'
import { isTorchBackend, requireTorchBackend } from '../torch/python'
import { defaultTrainingBackend } from './backendLadder'
import { trainWithTorch } from '../torch/torchRun'
import { BatchSampler, loadTrainingImages, type SamplerState } from './data'
import { seedMathRandom } from './random'
import { encoderStep, fixedNoise, ganStep, gridPng } from './steps'

export interface TrainerContext {
  home: string
  catalog: Catalog
  files: FileStore
  emit: <E extends EventName>(event: E, payload: StudioEvents[E]) => void
}

/** Set from outside (pause/resume/cancel); checked between steps. */
export interface RunControl {
  paused: boolean
  cancelled: boolean
  /** Stopped because its process is shutting down: the run ends 'interrupted', not 'cancelled'. */
  interrupted?: boolean
}

export interface RunOutcome {
  runId: string
  status: 'done' | 'cancelled' | 'interrupted'
  phase: Phase
  step: number
  losses: Losses
  backend: string
  checkpoints: string[]
}

interface SavedState {
  phase: Phase
  step: number
  sampler: SamplerState
  noiseRng: number[]
  dataRng: number[]
  losses: Losses
}

/** How often a training process tells the catalog it still holds its run's lease. */
const HEARTBEAT_MS = 10_000

/** Creates the run row with its full configuration and the backend it will use. */
export async function createRun(catalog: Catalog, input: unknown): Promise<{ runId: string; config: TrainConfig; backend: string }> {
  // Stored with its framing: a configuration without one is read as an older run's `full`.
  const config = forNewRun(TrainConfigSchema.parse(input))
  if (config.phase === 'encoder') {
    throw new Error('The encoder phase needs a trained generator: train with --phase all (or gan first, then resume).')
  }
  const chosen = config.backend ?? (await defaultTrainingBackend())
  const backend = isTorchBackend(chosen) ? (await requireTorchBackend(chosen), { name: chosen }) : await useBackend(chosen)
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
  const runId = `run-${stamp}-${randomBytes(3).toString('hex')}`
  catalog.runs.create(runId, config.preset, config, config.seed, backend.name)
  return { runId, config, backend: backend.name }
}

export function phasesOf(config: TrainConfig): { phase: Phase; steps: number }[] {
  const gan = { phase: 'gan' as const, steps: config.steps }
  const encoder = { phase: 'encoder' as const, steps: config.encoderSteps ?? config.steps }
  return config.phase === 'all' ? [gan, encoder] : config.phase === 'gan' ? [gan] : [encoder]
}

/** What one run's steps share while it trains. */
interface Training {
  ctx: TrainerContext
  runId: string
  control: RunControl
  config: TrainConfig
  p: Preset
  models: Models
  noiseRng: Rng
  dataRng: Rng
  /** The sample grid's fixed latents: the same faces at every sample step. */
  zFixed: tf.Tensor2D
  state: SavedState
  checkpoints: string[]
  lastHeartbeat: number
}

export async function trainRun(ctx: TrainerContext, runId: string, control: RunControl, resume = false): Promise<RunOutcome> {
  const run = ctx.catalog.runs.get(runId)
  if (!run) throw new Error(`There is no run ${runId}.`)
  if (isTorchBackend(run.backend)) return trainWithTorch(ctx, runId, control, resume)
  const config = TrainConfigSchema.parse(run.config)
  const backend = await useBackend(run.backend as BackendName)
  const p = preset(config.preset, config.imageSize)
  const from = startRun(ctx, runId, resume)
  ctx.catalog.runs.setHardware(runId, localHardware(backend.name))
  const saved = from && (JSON.parse(readFileSync(join(ctx.home, from.dir, 'state.json'), 'utf8')) as SavedState)
  const noiseRng = new Rng(saved ? Uint32Array.from(saved.noiseRng) : config.seed ^ 0x5eed5eed)
  const dataRng = new Rng(saved ? Uint32Array.from(saved.dataRng) : config.seed + 1)
  const restoreRandom = seedMathRandom(noiseRng)
  const models = await buildOrLoad(ctx, p, config, from)
  const t: Training = {
    ctx,
    runId,
    control,
    config,
    p,
    models,
    noiseRng,
    dataRng,
    checkpoints: [],
    lastHeartbeat: performance.now(),
    zFixed: fixedNoise(p, config.seed),
    state: saved ?? { phase: 'gan', step: 0, sampler: { epoch: 0, position: 0 }, noiseRng: [], dataRng: [], losses: {} },
  }
  const finish = (status: RunOutcome['status']): RunOutcome => {
    setRunStatus(ctx, runId, status)
    const { phase, step, losses } = t.state
    return { runId, status, phase, step, losses, backend: backend.name, checkpoints: t.checkpoints }
  }

  try {
    const phases = phasesOf(config)
    for (let index = phases.findIndex((x) => x.phase === t.state.phase); index < phases.length; index++) {
      const { phase, steps } = phases[index]
      if (phase !== t.state.phase) t.state = { ...t.state, phase, step: 0 }
      const stopped = await trainPhase(t, phase, steps)
      if (stopped) return finish(stopped)
    }
    return finish('done')
  } catch (error) {
    setRunStatus(ctx, runId, 'failed', (error as Error).message)
    throw error
  } finally {
    restoreRandom()
    t.zFixed.dispose()
    for (const model of [models.generator, models.discriminator, models.encoder]) model.dispose()
    for (const optimizer of [models.optG, models.optD, models.optE]) optimizer.dispose()
  }
}

/** One phase's steps from where the run stands to its end; says how the run stopped if it stopped early. */
async function trainPhase(t: Training, phase: Phase, steps: number): Promise<'cancelled' | 'interrupted' | null> {
  const { ctx, config, p, models, control } = t
  const sampler =
    phase === 'gan'
      ? new BatchSampler(
          await loadTrainingImages(ctx.catalog, ctx.files, p.imageSize, config),
          p.imageSize,
          p.bins,
          config.balanceClasses,
          config.seed,
          t.state.sampler,
        )
      : undefined
  let rate = 0
  while (t.state.step < steps) {
    if (control.paused) await waitWhilePaused(ctx, t.runId, control)
    if (control.cancelled) return control.interrupted ? 'interrupted' : 'cancelled'
    const started = performance.now()
    const losses = sampler
      ? stepGan(models, sampler, t.dataRng, p, config)
      : encoderStep(models.generator, models.encoder, models.optE, t.dataRng, { zDim: p.zDim, bins: p.bins, batch: config.batch })
    const diverged = lossEntries(losses).find(([, v]) => !Number.isFinite(v))?.[1]
    if (diverged !== undefined) throw new Error(`Training diverged: a loss became ${diverged} at ${phase} step ${t.state.step + 1}.`)
    const seconds = (performance.now() - started) / 1000
    rate = rate === 0 ? config.batch / seconds : 0.9 * rate + 0.1 * (config.batch / seconds)
    t.state = { ...t.state, step: t.state.step + 1, losses, sampler: sampler?.state ?? t.state.sampler }
    await recordStep(t, steps, rate)
    await sleep(0) // lets pause/cancel messages in between steps
  }
  return null
}

/** What a step leaves behind: its metrics, the lease's heartbeat, progress, and on schedule a sample grid and a checkpoint. */
async function recordStep(t: Training, steps: number, rate: number): Promise<void> {
  const { ctx, runId, config, state } = t
  const { phase, step, losses } = state
  ctx.catalog.runs.addMetrics(runId, phase, step, { ...losses, imagesPerSecond: rate })
  if (performance.now() - t.lastHeartbeat >= HEARTBEAT_MS) {
    t.lastHeartbeat = performance.now()
    ctx.catalog.runs.heartbeat(runId)
  }
  ctx.emit('run.progress', { runId, phase, epoch: state.sampler.epoch, step, totalSteps: steps, losses, imagesPerSecond: rate })
  const last = step === steps
  if (phase === 'gan' && (step % config.sampleEvery === 0 || last)) await saveSample(ctx, runId, t.models.generator, t.zFixed, t.p, phase, step)
  if (step % config.checkpointEvery === 0 || last) {
    t.checkpoints.push(await saveCheckpoint(ctx, runId, t.models, { ...state, noiseRng: t.noiseRng.state(), dataRng: t.dataRng.state() }))
  }
}

interface Models {
  generator: tf.LayersModel
  discriminator: tf.LayersModel
  encoder: tf.LayersModel
  optG: tf.Optimizer
  optD: tf.Optimizer
  optE: tf.Optimizer
}

async function buildOrLoad(ctx: TrainerContext, p: Preset, config: TrainConfig, from?: CheckpointSummary): Promise<Models> {
  const adam = (lr: number) => makeAdam(lr, config.beta1)
  const models: Models = from
    ? {
        generator: await ckpt.readModel(join(ctx.home, from.dir, 'generator')),
        discriminator: await ckpt.readModel(join(ctx.home, from.dir, 'discriminator')),
        encoder: await ckpt.readModel(join(ctx.home, from.dir, 'encoder')),
        optG: adam(config.lrG),
        optD: adam(config.lrD),
        optE: adam(config.lrE),
      }
    : {
        generator: buildGenerator(p),
        discriminator: buildDiscriminator(p),
        encoder: buildEncoder(p),
        optG: adam(config.lrG),
        optD: adam(config.lrD),
        optE: adam(config.lrE),
      }
  if (from) {
    for (const [name, optimizer] of [
      ['optim-g', models.optG],
      ['optim-d', models.optD],
      ['optim-e', models.optE],
    ] as const) {
      await ckpt.restoreOptimizer(optimizer, ckpt.readNamedWeights(join(ctx.home, from.dir), name))
    }
  }
  return models
}

function stepGan(models: Models, sampler: BatchSampler, rng: Rng, p: Preset, config: TrainConfig): Losses {
  const batch = sampler.next(config.batch, rng)
  try {
    return ganStep(models, batch, rng, { zDim: p.zDim, bins: p.bins, labelSmoothing: config.labelSmoothing, diffAugment: config.diffAugment })
  } finally {
    tf.dispose([batch.images, batch.labels])
  }
}

async function saveSample(ctx: TrainerContext, runId: string, generator: tf.LayersModel, zFixed: tf.Tensor2D, p: Preset, phase: Phase, step: number) {
  const file = await ctx.files.put(await gridPng(generator, zFixed, p), 'png')
  ctx.catalog.runs.addSample(runId, phase, step, file)
  ctx.emit('run.sample', { runId, phase, step, file })
}

async function saveCheckpoint(ctx: TrainerContext, runId: string, models: Models, state: SavedState): Promise<string> {
  const dir = join(ctx.home, 'runs', runId, 'checkpoints', ckpt.checkpointName(state.phase, state.step))
  const sha256 = await ckpt.writeAtomically(dir, async (temporary) => {
    await ckpt.writeModel(models.generator, join(temporary, 'generator'))
    await ckpt.writeModel(models.discriminator, join(temporary, 'discriminator'))
    await ckpt.writeModel(models.encoder, join(temporary, 'encoder'))
    ckpt.writeNamedWeights(temporary, 'optim-g', await ckpt.optimizerWeights(models.optG))
    ckpt.writeNamedWeights(temporary, 'optim-d', await ckpt.optimizerWeights(models.optD))
    ckpt.writeNamedWeights(temporary, 'optim-e', await ckpt.optimizerWeights(models.optE))
    writeFileSync(join(temporary, 'state.json'), JSON.stringify(state))
  })
  const rel = relative(ctx.home, dir)
  const checkpointId = ctx.catalog.runs.addCheckpoint(runId, state.phase, state.step, state.sampler.epoch, rel, sha256)
  ctx.emit('run.checkpoint', { runId, phase: state.phase, step: state.step, checkpointId, dir: rel })
  return dir
}

async function waitWhilePaused(ctx: TrainerContext, runId: string, control: RunControl): Promise<void> {
  setRunStatus(ctx, runId, 'paused')
  for (let waited = 0; control.paused && !control.cancelled; waited += 100) {
    if (waited % HEARTBEAT_MS === 0) ctx.catalog.runs.heartbeat(runId)
    await sleep(100)
  }
  if (control.cancelled) return
  setRunStatus(ctx, runId, 'running')
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
