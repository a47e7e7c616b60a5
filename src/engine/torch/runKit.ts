/**
 * Run kits: a run taken to a GPU box or a cluster and brought back. `exportRunKit` writes a
 * self-contained folder (dataset file, run spec with relative paths, the network topologies, the
 * PyTorch trainer, a README with the torchrun and Slurm lines); `importRunKit` reads what the
 * trainer wrote there (events.jsonl, sample grids, checkpoints in the studio's format) back as an
 * ordinary finished run, browsable and usable in the editor like any other.
 */
import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { TrainConfigSchema, type Losses, type Phase, type TrainConfig } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import type { FileStore } from '../catalog/files'
import { BadInput, OutputExistsError } from '../errors'
import { checkpointName, hashFolder, isPartial, readModel } from '../model/checkpoint'
import { preset } from '../model/presets'
import { TRAINER_DIR } from './python'
import { writeDataset, writeTemplates } from './torchRun'

export class RunKitError extends BadInput {}

const kitReadme = (config: TrainConfig, images: number) => `# Age Studio run kit

A self-contained Age-cGAN training run: ${config.preset} preset at ${config.imageSize} px, ${images} training images,
${config.steps} cGAN steps${config.phase === 'all' ? ` then ${config.encoderSteps ?? config.steps} encoder steps` : ''}, batch ${config.batch}, seed ${config.seed}.
Needs Python 3 with PyTorch and numpy. Outputs land in \`out/\`; bring the whole folder back and run
\`age-studio import-run THIS_FOLDER\`.

One GPU (or CPU: set "device" in spec.json to "cpu"; "auto" takes a GPU when there is one):

    cd trainer && python -m agecgan train ../spec.json

All GPUs of one machine (DistributedDataParallel; the batch is split across processes):

    cd trainer && torchrun --standalone --nproc_per_node=gpu -m agecgan train ../spec.json

Several machines (run on each; HOST is the first machine):

    cd trainer && torchrun --nnodes=2 --nproc_per_node=gpu --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 -m agecgan train ../spec.json

Slurm: \`sbatch slurm.sbatch\` (edit the node and GPU counts first).

Ctrl-C or SIGTERM stops after the current step; run the same command with "resume" in spec.json set
to the last folder under out/checkpoints to continue.
`

const SLURM = `#!/bin/bash
#SBATCH --job-name=age-cgan
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
# One torchrun per node; torchrun starts one process per GPU.
head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
cd "$(dirname "$0")/trainer"
srun torchrun --nnodes="$SLURM_NNODES" --nproc_per_node=gpu --rdzv_id="$SLURM_JOB_ID" \\
  --rdzv_backend=c10d --rdzv_endpoint="$head:29500" -m agecgan train ../spec.json
`

export interface ExportedKit {
  dir: string
  images: number
  spec: string
}

export async function exportRunKit(catalog: Catalog, files: FileStore, config: TrainConfig, dir: string, force = false): Promise<ExportedKit> {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !force) throw new OutputExistsError(dir)
  const p = preset(config.preset, config.imageSize)
  mkdirSync(dir, { recursive: true })
  const images = await writeDataset(catalog, files, p, config, join(dir, 'dataset.bin'))
  if (images === 0) throw new RunKitError('No training images: the selection has no labelled, included images.')
  const templates = await writeTemplates(p, join(dir, 'templates'))
  cpSync(join(TRAINER_DIR, 'agecgan'), join(dir, 'trainer', 'agecgan'), { recursive: true, filter: (source) => !source.includes('__pycache__') })
  const spec = {
    preset: p,
    config,
    dataset: 'dataset.bin',
    out: 'out',
    resume: null,
    device: 'auto',
    templates: Object.fromEntries(Object.entries(templates).map(([name, path]) => [name, relative(dir, path)])),
  }
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec, null, 2))
  writeFileSync(join(dir, 'README.md'), kitReadme(config, images))
  writeFileSync(join(dir, 'slurm.sbatch'), SLURM, { mode: 0o755 })
  return { dir, images, spec: join(dir, 'spec.json') }
}

type KitEvent =
  | { event: 'started'; device: string; world: number }
  | { event: 'progress'; phase: Phase; step: number; epoch: number; losses: Losses; imagesPerSecond: number }
  | { event: 'sample'; phase: Phase; step: number; file: string }
  | { event: 'checkpoint'; phase: Phase; step: number; epoch: number; dir: string }
  | { event: 'done'; status: 'done' | 'cancelled' | 'interrupted' }
  | { event: 'failed'; error: string }

export interface ImportedKit {
  runId: string
  status: string
  checkpoints: number
  steps: { gan: number; encoder: number }
}

/** Reads a kit's outputs back as a run; every file is checked before the catalog is touched. */
export async function importRunKit(home: string, catalog: Catalog, files: FileStore, dir: string): Promise<ImportedKit> {
  let config: TrainConfig
  let events: KitEvent[]
  try {
    config = TrainConfigSchema.parse((JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as { config?: unknown }).config)
    events = readFileSync(join(dir, 'out', 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as KitEvent)
  } catch (error) {
    throw new RunKitError(`${dir} is not a run kit with outputs (${(error as Error).message.split('\n')[0]}); run its trainer first.`)
  }
  const checkpointEvents = events.filter((e): e is Extract<KitEvent, { event: 'checkpoint' }> => e.event === 'checkpoint')
  const checkpoints = checkpointEvents
    .map((e) => ({ ...e, folder: join(dir, 'out', 'checkpoints', checkpointName(e.phase, e.step)) }))
    .filter((e) => existsSync(e.folder) && !isPartial(e.folder))
  if (checkpoints.length === 0) throw new RunKitError(`${dir} has no finished checkpoint under out/checkpoints.`)
  const latest = checkpoints.at(-1)!
  for (const network of ['generator', 'encoder']) {
    try {
      ;(await readModel(join(latest.folder, network))).dispose()
    } catch (error) {
      throw new RunKitError(`${latest.folder}: the ${network} does not load (${(error as Error).message}).`)
    }
  }
  const ended = [...events].reverse().find((e) => e.event === 'done' || e.event === 'failed')
  const status = ended?.event === 'done' ? ended.status : ended?.event === 'failed' ? 'failed' : 'interrupted'
  const started = events.find((e): e is Extract<KitEvent, { event: 'started' }> => e.event === 'started')
  const backend = started?.device.startsWith('cuda') ? 'torch-cuda' : 'torch-cpu'

  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
  const runId = `run-${stamp}-${randomBytes(3).toString('hex')}`
  const runDir = join(home, 'runs', runId)
  cpSync(join(dir, 'out', 'checkpoints'), join(runDir, 'checkpoints'), { recursive: true, filter: (source) => !isPartial(source) })
  const samples = await Promise.all(
    events
      .filter((e): e is Extract<KitEvent, { event: 'sample' }> => e.event === 'sample')
      .map(async (e) => ({ ...e, stored: await files.put(readFileSync(join(dir, 'out', 'samples', `${checkpointName(e.phase, e.step)}.png`)), 'png') })),
  )
  catalog.transaction(() => {
    catalog.runs.createImported(runId, config.preset, config, config.seed, backend, `kit:${relative(home, dir).startsWith('..') ? dir : relative(home, dir)}`)
    catalog.runs.setStatus(runId, status, ended?.event === 'failed' ? ended.error : null)
    for (const e of events) if (e.event === 'progress') catalog.runs.addMetrics(runId, e.phase, e.step, { ...e.losses, imagesPerSecond: e.imagesPerSecond })
    for (const s of samples) catalog.runs.addSample(runId, s.phase, s.step, s.stored)
    for (const c of checkpoints) {
      const folder = join(runDir, 'checkpoints', checkpointName(c.phase, c.step))
      catalog.runs.addCheckpoint(runId, c.phase, c.step, c.epoch, relative(home, folder), hashFolder(folder))
    }
  })
  const last = (phase: Phase) => Math.max(0, ...events.filter((e) => e.event === 'progress' && e.phase === phase).map((e) => (e as { step: number }).step))
  return { runId, status, checkpoints: checkpoints.length, steps: { gan: last('gan'), encoder: last('encoder') } }
}
