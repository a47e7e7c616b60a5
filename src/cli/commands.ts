/** The age-studio commands. Each goes through the contract's dispatch, like the UI does. */
import { AGE_BINS } from '../shared/ageBins'
import type { CallInput } from '../shared/contract'
import { createHandlers } from '../engine/api/handlers'
import type { Studio } from '../engine/studio'
import { findDownload } from '../engine/downloads'
import { newToken } from '../server/auth'
import { startWebServer } from '../server/server'
import { intOption, parse, UsageError } from './args'
import { runs, train } from './train'
import { age } from './age'
import { call } from './client'
import { importPhotos } from './importCommand'
import { batch, exportModel, importModel } from './batchCommand'
import { exportRun, importRun } from './runKitCommands'
import { deleteRun, describeRun, exportMetrics } from './runCommands'
import { evaluate } from './evalCommand'
import { recrop } from './recropCommand'

export interface CommandContext {
  studio: Studio
  json: boolean
  args: string[]
  /** The built renderer, served by `serve`. */
  rendererDir: string
  /** Human-readable progress goes to stderr, so stdout stays one JSON object with --json. */
  log: (line: string) => void
}

/** Result printed at the end: the JSON object, and its text form. */
export interface CommandOutput {
  json: object
  text: string
}

export async function demo({ studio, args, log }: CommandContext): Promise<CommandOutput> {
  const { values } = parse(args, { count: { type: 'string' }, seed: { type: 'string' } })
  const input: CallInput<'library.createDemo'> = {
    count: intOption('count', values.count),
    seed: intOption('seed', values.seed),
  }
  const stop = studio.events.subscribe((event, payload) => {
    if (event === 'job.progress' && 'done' in payload && payload.done === payload.total) log(`drew ${payload.total} faces`)
  })
  try {
    const result = await call(studio, 'library.createDemo', input)
    const text = `Demo dataset ${result.datasetId}: ${result.created} new, ${result.duplicates} already there; per bin ${result.perBin.join(' ')}`
    return { json: result, text }
  } finally {
    stop()
  }
}

export async function list({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { values } = parse(args, { bin: { type: 'string' }, limit: { type: 'string' }, dataset: { type: 'string' } })
  const bin = intOption('bin', values.bin) ?? null
  const datasetId = intOption('dataset', values.dataset)
  const limit = intOption('limit', values.limit) ?? 100
  const stats = await call(studio, 'library.stats', { datasetId })
  const page = await call(studio, 'library.list', { bin, datasetId, limit, offset: 0 })
  const images = page.images.map(({ thumb: _thumb, ...rest }) => rest)
  // Per bin as the Library's histogram counts: real ages and estimated ones (shown apart too).
  const perBin = stats.perBin.map((n, bin) => n + stats.estimatedPerBin[bin])
  const estimated = (bin: number) => (stats.estimatedPerBin[bin] ? ` (${stats.estimatedPerBin[bin]} est.)` : '')
  const lines = [
    `${stats.total} images; per bin ${AGE_BINS.map((label, i) => `${label}: ${perBin[i]}${estimated(i)}`).join(', ')}; unlabelled ${stats.unlabelled}; refused at import ${stats.rejected}`,
    ...images.map((i) => `#${i.id}\tage ${i.age ?? '?'}\tbin ${i.bin ?? '-'}\t${i.ageSource ?? ''}\t${i.split}`),
  ]
  return {
    json: {
      total: stats.total,
      perBin,
      labelledPerBin: stats.perBin,
      estimatedPerBin: stats.estimatedPerBin,
      unlabelled: stats.unlabelled,
      rejected: stats.rejected,
      matching: page.total,
      images,
    },
    text: lines.join('\n'),
  }
}

/** Serves until SIGINT/SIGTERM; prints exactly one line (or one JSON object) with the URL. */
export async function serve({ studio, args, json, rendererDir }: CommandContext): Promise<null> {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' }, 'no-default-model': { type: 'boolean' } })
  if (!values['no-default-model']) void studio.installDefaultModel((message) => process.stderr.write(`age-studio: ${message}\n`))
  const port = intOption('port', values.port) ?? 0
  if (port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got ${port}.`)
  const token = newToken()
  const server = await startWebServer({
    handlers: createHandlers(studio),
    events: studio.events,
    downloads: (pathname) => findDownload(studio, pathname),
    staticDir: rendererDir,
    token,
    host: values.host,
    port,
  })
  if (server.warning) process.stderr.write(`age-studio: ${server.warning}\n`)
  process.stdout.write(json ? `${JSON.stringify({ url: server.url, token })}\n` : `Age Studio web mode: ${server.url}\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await server.close()
  return null
}

export const COMMANDS = {
  demo,
  list,
  import: importPhotos,
  serve,
  train,
  runs,
  age,
  batch,
  'export-model': exportModel,
  'import-model': importModel,
  'export-run': exportRun,
  'import-run': importRun,
  'describe-run': describeRun,
  'delete-run': deleteRun,
  'export-metrics': exportMetrics,
  eval: evaluate,
  recrop,
} as const

export const USAGE = `Usage: age-studio [--home DIR] [--json] <command> [options]

Commands:
  serve [--port P] [--host H] [--no-default-model]
                                   serve the studio in a browser (web mode); binds 127.0.0.1; imports the
                                   shipped model on first start unless told not to
  demo [--count N] [--seed S]      add N procedural demo faces, spread evenly over the 6 age bins
  list [--bin 0-5] [--limit N] [--dataset ID]
                                   show the catalog: totals per bin and the first images
  import PATH... [--format auto|utkface|cacd|fgnet|agedb|wiki|csv|folder] [--dataset NAME]
         [--estimate-ages] [--split-seed S]
                                   import photos: detect, align and label each face; Ctrl-C stops
  recrop [--dataset NAME]          crop the catalog's faces again from their photos with today's
                                   warp (photo mirrored at its edge, no streaked borders)
  train --preset tiny|compact|paper [--dataset NAME] [--phase gan|encoder|all] [--steps N | --epochs N]
        [--encoder-steps N] [--batch B] [--seed S] [--sample-every N] [--checkpoint-every N]
        [--backend torch-cuda|tfjs-node-gpu|tfjs-node|torch-cpu|cpu+blas|cpu] [--size 64|128] [--lr X] [--label-smoothing X]
        [--lr-d X] [--balance] [--diff-augment | --no-diff-augment] [--framing face|full] [--max-fill X] [--resume RUN_ID]
                                   train Age-cGAN (cGAN, then encoder); Ctrl-C stops at a checkpoint
  runs                             list training runs
  describe-run RUN_ID [--name N] [--notes TEXT]
                                   name a run or change its notes (an empty name clears it)
  delete-run RUN_ID                delete a run that is not training, with its checkpoints and samples
  export-metrics RUN_ID --out FILE [--force]
                                   write the run's losses as CSV, one row per phase and step
  eval --run RUN_ID [--checkpoint ID] [--split val|test] [--n N] [--iterations N] [--dataset ID]
       [--exports N] [--strength X]
                                   judge a checkpoint on N held-out faces with independent judges:
                                   identity kept (z0, pixel, identity; aged) and ages in their bin;
                                   then N photos (default 12) aged as batch does to 10…70 and judged
                                   as exported, with a contact sheet of them
  age PHOTO [--run RUN_ID] [--checkpoint ID] [--to 0-5 ... | --all] [--optimize none|pixel|identity]
      [--iterations N] [--from 0-5] --out DIR
                                   age an aligned face crop: one PNG per target bin plus provenance.json;
                                   without --run, the shipped model
  batch PATH... [--run RUN_ID | --model BUNDLE] --to AGES --out DIR [--variations K] [--checkpoint ID]
        [--optimize none|pixel|identity] [--iterations N] [--composite residual|replace]
        [--strength X] [--format png|jpeg] [--paper a4|letter] [--spread X] [--age-turned] | batch --resume JOB_ID
                                   age every photo (largest face) to each age in years, at full size
                                   with provenance; contact sheets, PDF, manifest.json/.csv; Ctrl-C stops;
                                   without --run or --model, the shipped model
  export-model --run RUN_ID [--checkpoint ID] --out FILE
                                   write a portable model bundle (G + E, configuration, hash)
  import-model FILE                add a model bundle; it appears as a run with one checkpoint
  export-run (RUN_ID | train options) --out DIR [--force]
                                   a self-contained PyTorch run kit for a GPU box or a cluster (torchrun, Slurm)
  import-run DIR                   bring a kit's outputs back as a run (metrics, samples, checkpoints)

Global options:
  --home DIR   data directory (default: $AGE_STUDIO_HOME, else the per-user app-data folder)
  --json       print exactly one JSON object on stdout at the end
`
