/** `age-studio batch`, `export-model` and `import-model`: the batch and bundle calls the UI uses. */
import { resolve } from 'node:path'
import { COMPOSITE_MODES, EXPORT_FORMATS, OPTIMIZE_MODES, PAPERS, type BatchReport } from '../shared/aging'
import { MAX_AGE } from '../shared/ageBins'
import type { JobProgress } from '../shared/domain'
import { intOption, numberOption, parse, UsageError } from './args'
import { call } from './client'
import type { CommandContext, CommandOutput } from './commands'
import { followJob, timeLeft } from './followJob'
import { shippedOrRefuse } from './shippedModel'

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}.`)
  return value as T
}

function ages(values: string[] | undefined): number[] {
  const list = (values ?? []).flatMap((v) => v.split(',')).filter((v) => v.trim() !== '')
  if (list.length === 0) throw new UsageError('Give the target ages in years with --to, e.g. --to 40,60,75.')
  return list.map((v) => {
    const age = Number(v)
    if (!Number.isFinite(age) || age < 0 || age > MAX_AGE) throw new UsageError(`--to takes ages in years 0–${MAX_AGE}, got ${JSON.stringify(v)}.`)
    return age
  })
}

const BATCH_OPTIONS = {
  run: { type: 'string' },
  model: { type: 'string' },
  checkpoint: { type: 'string' },
  to: { type: 'string', multiple: true },
  out: { type: 'string' },
  variations: { type: 'string' },
  spread: { type: 'string' },
  strength: { type: 'string' },
  optimize: { type: 'string' },
  iterations: { type: 'string' },
  composite: { type: 'string' },
  format: { type: 'string' },
  paper: { type: 'string' },
  resume: { type: 'string' },
  force: { type: 'boolean' },
  'age-turned': { type: 'boolean' },
} as const
type BatchValues = ReturnType<typeof parse<typeof BATCH_OPTIONS>>['values']

/** The model to age with: a run's checkpoint, or a bundle imported first (once: the same bundle is found again by its hash). */
async function batchModel({ studio, log }: CommandContext, values: BatchValues): Promise<{ runId: string; checkpointId?: number }> {
  if (values.run && values.model) throw new UsageError('Give one of --run RUN_ID or --model BUNDLE, not both.')
  if (!values.run && !values.model) return shippedOrRefuse(studio, log, '--run RUN_ID or --model BUNDLE')
  if (values.run) return { runId: values.run, checkpointId: intOption('checkpoint', values.checkpoint) }
  const imported = await call(studio, 'models.import', { path: values.model! })
  log(`${imported.alreadyImported ? 'using' : 'imported'} model ${imported.modelHash.slice(0, 12)} as ${imported.runId}`)
  return { runId: imported.runId, checkpointId: imported.checkpointId }
}

/** A new batch from the command line; the contract's schema fills in what is not given. */
async function newBatch(context: CommandContext, values: BatchValues, positionals: string[]): Promise<BatchReport> {
  if (positionals.length === 0) throw new UsageError('batch needs photos or folders: age-studio batch PATH... --run RUN_ID --to 40,60 --out DIR.')
  if (!values.out) throw new UsageError('--out DIR is required.')
  const targetAges = ages(values.to)
  const model = await batchModel(context, values)
  return call(context.studio, 'batch.run', {
    ...model,
    paths: positionals.map((p) => resolve(p)),
    ages: targetAges,
    variations: intOption('variations', values.variations),
    spread: values.spread === undefined ? undefined : Number(values.spread),
    strength: numberOption('strength', values.strength),
    optimize: oneOf('optimize', values.optimize, OPTIMIZE_MODES),
    iterations: intOption('iterations', values.iterations),
    mode: oneOf('composite', values.composite, COMPOSITE_MODES),
    format: oneOf('format', values.format, EXPORT_FORMATS),
    paper: oneOf('paper', values.paper, PAPERS),
    outDir: resolve(values.out),
    force: values.force,
    ageTurned: values['age-turned'],
  })
}

export async function batch(context: CommandContext): Promise<CommandOutput> {
  const { studio, args, log } = context
  const { values, positionals } = parse(args, BATCH_OPTIONS, true)
  const following = {
    log,
    line: (p: JobProgress) => `aged ${p.done}/${p.total} photos${timeLeft(p)}`,
    stopping: (jobId: string | undefined) => `stopping: outputs already written are kept; resume with age-studio batch --resume ${jobId ?? 'JOB_ID'}`,
    jobId: values.resume,
  }
  const report = await followJob(studio, 'batch', following, async (): Promise<BatchReport> => {
    if (!values.resume) return newBatch(context, values, positionals)
    if (positionals.length) throw new UsageError('--resume takes no paths: the batch repeats its own.')
    return call(studio, 'batch.resume', { jobId: values.resume })
  })
  const lines = [
    `Batch ${report.jobId}: ${report.outputs} outputs from ${report.inputs} photos${report.reused ? ` (${report.reused} kept from before)` : ''} in ${report.outDir}`,
    `Contact sheet: ${report.contactSheets.join(', ') || 'none'}${report.pdf ? `; PDF ${report.pdf}` : ''}`,
    `Manifest: ${report.manifestJson}, ${report.manifestCsv}`,
    ...report.failed.map((f) => `  skipped ${f.path}: ${f.reason}`),
  ]
  return { json: report, text: lines.join('\n') }
}

export async function exportModel({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { values } = parse(args, { run: { type: 'string' }, checkpoint: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } })
  if (!values.run || !values.out) throw new UsageError('export-model needs --run RUN_ID and --out FILE.')
  const checkpointId = intOption('checkpoint', values.checkpoint)
  const exported = await call(studio, 'models.export', { runId: values.run, checkpointId, out: resolve(values.out), force: values.force })
  return { json: exported, text: `Model ${exported.modelHash} → ${exported.file} (${(exported.bytes / 1024 ** 2).toFixed(1)} MiB, sha256 ${exported.sha256})` }
}

export async function importModel({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { positionals } = parse(args, {}, true)
  if (positionals.length !== 1) throw new UsageError('import-model takes one bundle file.')
  const imported = await call(studio, 'models.import', { path: resolve(positionals[0]) })
  const verb = imported.alreadyImported ? 'was already imported as' : 'imported as'
  return { json: imported, text: `Model ${imported.modelHash} ${verb} ${imported.runId} (checkpoint ${imported.checkpointId})` }
}
