/**
 * A run on the torch backends: the studio writes the run spec, the network topologies and the
 * dataset file, starts the PyTorch trainer (resources/torch-trainer) as a child process, and
 * turns its JSON-line events into the same catalog rows and studio events as a tfjs run. Pause,
 * continue, cancel and interrupt go to it as lines on stdin.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { TrainConfigSchema, type Losses, type Phase, type TrainConfig } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import type { FileStore } from '../catalog/files'
import { hashFolder, writeTopology } from '../model/checkpoint'
import { NETWORK_BUILDERS } from '../model/networks'
import { preset, type Preset } from '../model/presets'
import { useBackend } from '../tf/backends'
import { loadTrainingImages } from '../training/data'
import type { RunControl, RunOutcome, TrainerContext } from '../training/trainer'
import { torchHardware } from '../training/hardware'
import { setRunStatus, startRun } from '../training/runStatus'
import { writableRunFolder } from '../runFolders'
import { checkpointFolder, parseEvent, sampleFile, type TrainerEvent } from './kitEvents'
import { requireTorchBackend, TRAINER_DIR, type TorchBackend } from './python'

export interface RunKitFiles {
  spec: string
  dataset: string
  templates: Record<'generator' | 'discriminator' | 'encoder', string>
}

/** The dataset file: one JSON line, then the images' RGB bytes in the run's selection order. */
export async function writeDataset(catalog: Catalog, files: FileStore, p: Preset, config: TrainConfig, file: string): Promise<number> {
  const images = await loadTrainingImages(catalog, files, p.imageSize, config)
  const header = `${JSON.stringify({ count: images.length, size: p.imageSize, bins: images.map((i) => i.bin) })}\n`
  writeFileSync(file, Buffer.concat([Buffer.from(header), ...images.map((i) => i.pixels)]))
  return images.length
}

/** G, D and E's model.json (topology and weight manifest), which the trainer writes weights against. */
export async function writeTemplates(p: Preset, dir: string): Promise<RunKitFiles['templates']> {
  await useBackend('cpu', false) // building the layers allocates their weights; any backend will do
  const templates = { generator: join(dir, 'generator'), discriminator: join(dir, 'discriminator'), encoder: join(dir, 'encoder') }
  for (const [name, build] of NETWORK_BUILDERS) {
    const model = build(p)
    await writeTopology(model, templates[name])
    model.dispose()
  }
  return templates
}

export async function trainWithTorch(ctx: TrainerContext, runId: string, control: RunControl, resume: boolean): Promise<RunOutcome> {
  const run = ctx.catalog.runs.get(runId)!
  const backend = run.backend as TorchBackend
  const config = TrainConfigSchema.parse(run.config)
  const p = preset(config.preset, config.imageSize)
  const probe = await requireTorchBackend(backend)
  const from = startRun(ctx, runId, resume)
  const runDir = join(ctx.home, 'runs', runId)
  const work = writableRunFolder(ctx.home, runId, 'torch')
  writableRunFolder(ctx.home, runId, 'samples')
  const dataset = join(work, 'dataset.bin')
  await writeDataset(ctx.catalog, ctx.files, p, config, dataset)
  const spec = {
    runId,
    preset: p,
    config,
    dataset,
    out: runDir,
    commands: 'stdin',
    templates: await writeTemplates(p, join(work, 'templates')),
    resume: from ? join(ctx.home, from.dir) : null,
    // Only checkpoints this studio's trainer wrote here may be fully unpickled (older ones predate weights_only); a kit's never.
    trustedResume: run.origin === null,
    device: backend === 'torch-cuda' ? 'cuda' : 'cpu',
  }
  writeFileSync(join(work, 'spec.json'), JSON.stringify(spec, null, 2))
  try {
    return await drive(ctx, runId, control, backend, probe.python, join(work, 'spec.json'))
  } finally {
    rmSync(dataset, { force: true }) // written again from the catalog at the next start
  }
}

/** The trainer's events as catalog rows and studio events, one after another; what it ended with. */
class TrainerEvents {
  readonly checkpoints: string[] = []
  last: { phase: Phase; step: number; losses: Losses } = { phase: 'gan', step: 0, losses: {} }
  status: RunOutcome['status'] | undefined
  failure: string | undefined
  private lastHeartbeat = 0
  private readonly out: string

  constructor(
    private readonly ctx: TrainerContext,
    private readonly runId: string,
  ) {
    this.out = join(ctx.home, 'runs', runId)
  }

  async handle(message: TrainerEvent): Promise<void> {
    const { ctx, runId } = this
    switch (message.event) {
      case 'started':
        ctx.catalog.runs.setHardware(runId, torchHardware(message))
        break
      case 'progress': {
        const { phase, step, totalSteps, epoch, losses, imagesPerSecond } = message
        this.last = { phase, step, losses }
        ctx.catalog.runs.addMetrics(runId, phase, step, { ...losses, imagesPerSecond })
        if (Date.now() - this.lastHeartbeat > 10_000) {
          this.lastHeartbeat = Date.now()
          ctx.catalog.runs.heartbeat(runId)
        }
        ctx.emit('run.progress', { runId, phase, epoch, step, totalSteps, losses, imagesPerSecond })
        break
      }
      case 'sample': {
        const file = await ctx.files.put(readFileSync(sampleFile(this.out, message.phase, message.step)), 'png')
        ctx.catalog.runs.addSample(runId, message.phase, message.step, file)
        ctx.emit('run.sample', { runId, phase: message.phase, step: message.step, file })
        break
      }
      case 'checkpoint': {
        const folder = checkpointFolder(this.out, message.phase, message.step)
        const dir = relative(ctx.home, folder)
        const checkpointId = ctx.catalog.runs.addCheckpoint(runId, message.phase, message.step, message.epoch, dir, hashFolder(folder))
        this.checkpoints.push(folder)
        ctx.emit('run.checkpoint', { runId, phase: message.phase, step: message.step, checkpointId, dir })
        break
      }
      case 'paused':
      case 'running':
        setRunStatus(ctx, runId, message.event)
        break
      case 'done':
        this.status = message.status
        break
      case 'failed':
        this.failure = message.error
        break
    }
  }
}

/** Commands follow the control flags, which the worker thread's messages set; returns the stop. */
function relayControl(child: ChildProcessWithoutNullStreams, control: RunControl): () => void {
  let sentPaused = false
  let sentStop = false
  const relay = setInterval(() => {
    if (control.paused !== sentPaused) {
      sentPaused = control.paused
      child.stdin.write(`${sentPaused ? 'pause' : 'continue'}\n`)
    }
    if (control.cancelled && !sentStop) {
      sentStop = true
      child.stdin.write(`${control.interrupted ? 'interrupt' : 'cancel'}\n`)
    }
  }, 100)
  return () => clearInterval(relay)
}

async function drive(ctx: TrainerContext, runId: string, control: RunControl, backend: TorchBackend, python: string, specFile: string): Promise<RunOutcome> {
  const child = spawn(python, ['-m', 'agecgan', 'train', specFile], {
    cwd: TRAINER_DIR,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)))
  child.stdin.on('error', () => undefined) // the trainer may be gone before a last command reaches it
  const stopRelay = relayControl(child, control)
  const events = new TrainerEvents(ctx, runId)

  // Events are handled one after another, in the order the trainer wrote them.
  let queue = Promise.resolve()
  const lines = createInterface({ input: child.stdout })
  lines.on('line', (line) => {
    const message = parseEvent(line)
    if (typeof message === 'string') return // a stray print from a library: not an event
    queue = queue.then(() => events.handle(message))
  })
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', (error) => ((events.failure ??= `Cannot start ${python}: ${error.message}`), resolve(null)))
    child.once('close', (code) => resolve(code))
  })
  stopRelay()
  await queue

  const { status, last, checkpoints } = events
  if (status && exitCode === 0) {
    setRunStatus(ctx, runId, status)
    return { runId, status, phase: last.phase, step: last.step, losses: last.losses, backend, checkpoints }
  }
  const error = events.failure ?? `The PyTorch trainer stopped (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`
  setRunStatus(ctx, runId, 'failed', error)
  throw new Error(error)
}
