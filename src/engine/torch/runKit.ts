/**
 * Run kits: a run taken to a GPU box or a cluster and brought back. `exportRunKit` writes a
 * self-contained folder (dataset file, run spec with relative paths, the network topologies, the
 * PyTorch trainer, a README with the torchrun and Slurm lines); `importRunKit` reads what the
 * trainer wrote there (events.jsonl, sample grids, checkpoints in the studio's format) back as an
 * ordinary finished run, browsable and usable in the editor like any other.
 */
import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { type Phase, type TrainConfig } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import { isStoredFile, type FileStore } from '../catalog/files'
import { OutputExistsError } from '../errors'
import { checkpointName, hashFolder } from '../model/checkpoint'
import { preset } from '../model/presets'
import { torchHardware } from '../training/hardware'
import { readKit, readKitSpec, RunKitError } from './kitReader'

export { RunKitError }
import { TRAINER_DIR } from './python'
import { writeDataset, writeTemplates } from './torchRun'

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

export interface ImportedKit {
  runId: string
  status: string
  checkpoints: number
  steps: { gan: number; encoder: number }
  /** The kit had been imported before: `runId` is that run, and nothing was added. */
  alreadyImported: boolean
  /** What the events name but the kit no longer holds (left out, said here). */
  missing: string[]
}

/**
 * Reads a kit's outputs back as a run. Everything is checked and staged under the data folder's
 * tmp/ first (kitReader); only then is the staging folder renamed to `runs/RUN_ID` and the catalog
 * written in one transaction. A refusal leaves the data folder and the catalog as they were.
 */
export async function importRunKit(home: string, catalog: Catalog, files: FileStore, dir: string): Promise<ImportedKit> {
  const { fingerprint } = readKitSpec(dir)
  const origin = `kit:${fingerprint}`
  const existing = catalog.runs.byOrigin(origin)
  if (existing) return { ...summary(catalog, existing), alreadyImported: true, missing: [] }

  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
  const runId = `run-${stamp}-${randomBytes(3).toString('hex')}`
  const staging = join(home, 'tmp', `kit-${randomBytes(4).toString('hex')}`)
  const runDir = join(home, 'runs', runId)
  let placed = false
  let stored: string[] = []
  try {
    const kit = await readKit(dir, staging)
    const ended = [...kit.events].reverse().find((e) => e.event === 'done' || e.event === 'failed')
    const status = ended?.event === 'done' ? ended.status : ended?.event === 'failed' ? 'failed' : 'interrupted'
    const started = kit.events.find((e) => e.event === 'started')
    const backend = started?.device.startsWith('cuda') ? 'torch-cuda' : 'torch-cpu'
    stored = await Promise.all(kit.samples.map((s) => files.put(s.png, 'png')))
    mkdirSync(join(home, 'runs'), { recursive: true })
    renameSync(staging, runDir)
    placed = true
    catalog.transaction(() => {
      catalog.runs.createImported(runId, kit.config.preset, kit.config, kit.config.seed, backend, origin, {
        startedAt: null,
        finishedAt: null,
        trainedSeconds: null,
        hardware: started ? torchHardware(started, false) : null,
        note: "Imported from a run kit: its curves, grids and checkpoints are the kit's own.",
      })
      catalog.runs.describe(runId, { notes: `Imported from the run kit ${dir}.` })
      catalog.runs.setStatus(runId, status, ended?.event === 'failed' ? ended.error : null)
      for (const e of kit.events)
        if (e.event === 'progress') catalog.runs.addMetrics(runId, e.phase, e.step, { ...e.losses, imagesPerSecond: e.imagesPerSecond })
      kit.samples.forEach((s, i) => catalog.runs.addSample(runId, s.phase, s.step, stored[i]))
      for (const c of kit.checkpoints) {
        const folder = join(runDir, 'checkpoints', checkpointName(c.phase, c.step))
        catalog.runs.addCheckpoint(runId, c.phase, c.step, c.epoch, relative(home, folder), hashFolder(folder))
      }
    })
    return { ...summary(catalog, runId), alreadyImported: false, missing: kit.missing }
  } catch (error) {
    if (placed) rmSync(runDir, { recursive: true, force: true })
    for (const file of catalog.runs.unreferenced(stored)) if (isStoredFile(file)) rmSync(files.resolve(file), { force: true })
    throw error
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** A kit run as import-run reports it, from the catalog (the same for a first import and a repeat). */
function summary(catalog: Catalog, runId: string): Omit<ImportedKit, 'alreadyImported' | 'missing'> {
  const run = catalog.runs.get(runId)!
  const last = (phase: Phase) =>
    Math.max(
      0,
      ...catalog.runs
        .metrics(runId)
        .filter((m) => m.phase === phase)
        .map((m) => m.step),
    )
  return { runId, status: run.status, checkpoints: catalog.runs.checkpoints(runId).length, steps: { gan: last('gan'), encoder: last('encoder') } }
}
