/** `age-studio train` and `age-studio runs`: training in this process, with progress on stderr. */
import { forNewRun, lossEntries, TrainConfigSchema, type TrainConfig, type TrainConfigInput } from '../shared/training'
import { createRun, phasesOf, trainRun, type RunControl } from '../engine/training/trainer'
import { intOption, numberOption, parse, UsageError } from './args'
import type { CommandContext, CommandOutput } from './commands'

/** The options that describe a run's configuration (train, export-run). */
export const CONFIG_OPTIONS = {
  preset: { type: 'string' },
  dataset: { type: 'string' },
  phase: { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  'encoder-steps': { type: 'string' },
  batch: { type: 'string' },
  seed: { type: 'string' },
  'sample-every': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  backend: { type: 'string' },
  size: { type: 'string' },
  lr: { type: 'string' },
  'label-smoothing': { type: 'string' },
  balance: { type: 'boolean' },
  'diff-augment': { type: 'boolean' },
  'no-diff-augment': { type: 'boolean' },
  'lr-d': { type: 'string' },
  framing: { type: 'string' },
  'max-fill': { type: 'string' },
} as const

type ConfigValues = { [K in keyof typeof CONFIG_OPTIONS]?: (typeof CONFIG_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string }

export async function train({ studio, args, log }: CommandContext): Promise<CommandOutput> {
  const { values } = parse(args, { ...CONFIG_OPTIONS, resume: { type: 'string' } })
  const catalog = studio.catalog
  let runId = values.resume
  if (runId) {
    if (!catalog.runs.get(runId)) throw new UsageError(`There is no run ${JSON.stringify(runId)}; age-studio runs lists them.`)
    if (!catalog.runs.latestCheckpoint(runId)) throw new UsageError(`Run ${runId} has no checkpoint to resume from.`)
  } else {
    runId = (await createRun(catalog, configFromOptions(studio, values))).runId
  }

  const control: RunControl = { paused: false, cancelled: false }
  const stop = () => {
    log('stopping after this step; the last checkpoint is kept (resume with --resume)')
    control.cancelled = true
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  let lastLog = 0
  const unsubscribe = studio.events.subscribe((event, payload) => {
    if (event !== 'run.progress' || !('losses' in payload)) return
    const now = Date.now()
    if (now - lastLog < 2000 && payload.step !== payload.totalSteps) return
    lastLog = now
    const losses = lossEntries(payload.losses)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(' ')
    log(`${payload.runId} ${payload.phase} step ${payload.step}/${payload.totalSteps} · ${losses} · ${payload.imagesPerSecond.toFixed(1)} img/s`)
  })
  log(
    `run ${runId} (${phasesOf(TrainConfigSchema.parse(catalog.runs.get(runId)!.config))
      .map((p) => `${p.phase} ${p.steps} steps`)
      .join(', ')})`,
  )
  try {
    const outcome = await trainRun(
      { home: studio.home, catalog, files: studio.files, emit: (event, payload) => studio.events.emit(event, payload) },
      runId,
      control,
      values.resume !== undefined,
    )
    const text = `${outcome.runId} ${outcome.status} at ${outcome.phase} step ${outcome.step} on ${outcome.backend}; checkpoints:\n${outcome.checkpoints.join('\n')}`
    return { json: outcome, text }
  } finally {
    unsubscribe()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

/** A run's configuration from the command line, validated by the contract's schema. */
export function configFromOptions(studio: CommandContext['studio'], values: ConfigValues): TrainConfig {
  if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('Give --steps or --epochs, not both.')
  if (values['diff-augment'] && values['no-diff-augment']) throw new UsageError('Give --diff-augment or --no-diff-augment, not both.')
  const datasetId = resolveDataset(studio, values.dataset)
  const lr = numberOption('lr', values.lr)
  const lrD = numberOption('lr-d', values['lr-d'])
  const input: TrainConfigInput = {
    preset: values.preset as TrainConfigInput['preset'],
    imageSize: intOption('size', values.size) as 64 | 128 | undefined,
    datasetId,
    phase: values.phase as TrainConfigInput['phase'],
    steps: intOption('steps', values.steps),
    encoderSteps: intOption('encoder-steps', values['encoder-steps']),
    batch: intOption('batch', values.batch),
    seed: intOption('seed', values.seed),
    sampleEvery: intOption('sample-every', values['sample-every']),
    checkpointEvery: intOption('checkpoint-every', values['checkpoint-every']),
    backend: values.backend as TrainConfigInput['backend'],
    labelSmoothing: numberOption('label-smoothing', values['label-smoothing']),
    balanceClasses: values.balance,
    diffAugment: values['no-diff-augment'] ? false : values['diff-augment'],
    framing: values.framing as TrainConfigInput['framing'],
    maxFill: numberOption('max-fill', values['max-fill']),
    ...(lr === undefined ? {} : { lrG: lr, lrD: lr, lrE: lr }),
    ...(lrD === undefined ? {} : { lrD }),
  }
  const parse = (given: TrainConfigInput) => {
    const parsed = TrainConfigSchema.safeParse(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)))
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '))
    return forNewRun(parsed.data)
  }
  const epochs = intOption('epochs', values.epochs)
  if (epochs === undefined) return parse(input)
  // An epoch is one pass over exactly what the run will train on (the same selection as runs.preview).
  const config = parse(input)
  const images = studio.catalog.images.trainingRows(config).length
  return parse({ ...input, steps: Math.max(1, Math.ceil((epochs * images) / config.batch)) })
}

export function resolveDataset(studio: CommandContext['studio'], value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const datasets = studio.catalog.datasets.list()
  const found = datasets.find((d) => d.name === value || String(d.id) === value)
  if (!found) throw new UsageError(`There is no dataset ${JSON.stringify(value)}; known: ${datasets.map((d) => `${d.id} "${d.name}"`).join(', ') || 'none'}.`)
  return found.id
}

export async function runs({ studio, args }: CommandContext): Promise<CommandOutput> {
  parse(args, {})
  const list = studio.catalog.runs.list()
  const lines = list.map(
    (r) => `${r.id}${r.name ? ` (${r.name})` : ''}\t${r.status}\t${r.preset}\t${r.backend}\t${r.lastPhase ?? '-'} step ${r.lastStep}\t${r.createdAt}`,
  )
  return { json: { runs: list }, text: lines.join('\n') || 'No runs yet: age-studio train --preset tiny' }
}
