/**
 * A bundle's run history (format 3): loss curves, the last sample grids, the exported checkpoint's
 * evaluations, training time and hardware. A run imported on another machine shows how it was
 * trained instead of an empty chart. Everything in it is another machine's word, so it is
 * checked like the networks: a schema with limits, every sample a listed, hashed, decodable PNG.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { version } from '../../../package.json'
import type { CheckpointSummary, MetricRow, RunSummary } from '../../shared/domain'
import { EVAL_SPLITS, EvaluationMetricsSchema } from '../../shared/evaluation'
import { METRIC_NAMES, type Phase } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import { FileStore, sha256 } from '../catalog/files'
import { decodesAsPng } from '../images/encode'
import { readModel } from '../model/checkpoint'
import type { Preset } from '../model/presets'
import { fixedNoise, gridPng } from '../training/steps'
import { ModelError } from './model'

export const HISTORY_ENTRY = 'history.json'
export const SAMPLES_FOLDER = 'samples'
/** A sample grid's name in a bundle: its phase and step. */
export const isSampleEntry = (name: string) => /^samples\/(gan|encoder)-\d{1,9}\.png$/.test(name)
const sampleEntry = (phase: Phase, step: number) => `${SAMPLES_FOLDER}/${phase}-${step}.png`

/** Curves are thinned to this many steps per phase: enough for the chart, a bounded bundle. */
export const MAX_CURVE_STEPS = 2000
const MAX_SAMPLES = 4
export const MAX_SAMPLE_BYTES = 16 * 1024 ** 2

const Phase = z.enum(['gan', 'encoder'])
const Step = z.number().int().min(0).max(100_000_000)
const Time = z.string().datetime({ offset: true })

export const BundleHistorySchema = z
  .object({
    /** Where the history came from, in one line ("Exported from run … by Age Studio 0.1.0", "the model card"). */
    source: z.string().min(1).max(300),
    startedAt: Time.nullable(),
    finishedAt: Time.nullable(),
    trainedSeconds: z.number().min(0).max(1e9).nullable(),
    hardware: z.string().max(200).nullable(),
    metrics: z
      .array(z.object({ phase: Phase, step: Step, name: z.enum(Object.values(METRIC_NAMES) as [string, ...string[]]), value: z.number() }).strict())
      .max(MAX_CURVE_STEPS * 2 * Object.keys(METRIC_NAMES).length),
    samples: z.array(z.object({ phase: Phase, step: Step, sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict()).max(MAX_SAMPLES),
    evaluations: z.array(z.object({ split: z.enum(EVAL_SPLITS), createdAt: Time, metrics: EvaluationMetricsSchema }).strict()).max(50),
  })
  .strict()
export type BundleHistory = z.infer<typeof BundleHistorySchema>

/** Every `stride`-th step of each phase and always the last: a long run's curves at a bounded size. */
function thin(rows: MetricRow[]): MetricRow[] {
  const kept: MetricRow[] = []
  for (const phase of ['gan', 'encoder'] as const) {
    const steps = [...new Set(rows.filter((r) => r.phase === phase).map((r) => r.step))].sort((a, b) => a - b)
    const stride = Math.ceil(steps.length / MAX_CURVE_STEPS)
    const keep = new Set(steps.filter((_, i) => i % stride === 0 || i === steps.length - 1))
    kept.push(...rows.filter((r) => r.phase === phase && keep.has(r.step)))
  }
  return kept
}

/** Up to the exported checkpoint: the encoder phase comes after the whole cGAN phase. */
const upTo = (checkpoint: CheckpointSummary) => (phase: Phase, step: number) =>
  checkpoint.phase === 'encoder' ? phase === 'gan' || step <= checkpoint.step : phase === 'gan' && step <= checkpoint.step

/** The run's history as far as the exported checkpoint, and the sample grids' bytes by bundle entry. */
export async function collectHistory(
  home: string,
  catalog: Catalog,
  run: RunSummary,
  checkpoint: CheckpointSummary,
): Promise<{ history: BundleHistory; samples: Map<string, Buffer> }> {
  const before = upTo(checkpoint)
  const files = new FileStore(home)
  const samples = new Map<string, Buffer>()
  const listed: BundleHistory['samples'] = []
  for (const s of catalog.runs
    .samples(run.id)
    .filter((s) => before(s.phase, s.step))
    .slice(-MAX_SAMPLES)) {
    const bytes = await files.read(s.file)
    samples.set(sampleEntry(s.phase, s.step), bytes)
    listed.push({ phase: s.phase, step: s.step, sha256: sha256(bytes) })
  }
  const history: BundleHistory = {
    source: `Exported from run ${run.name ? `"${run.name}" (${run.id})` : run.id} by Age Studio ${version}`,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    trainedSeconds: run.trainedSeconds,
    hardware: run.hardware,
    metrics: thin(catalog.runs.metrics(run.id).filter((m) => before(m.phase, m.step) && Number.isFinite(m.value))),
    samples: listed,
    evaluations: catalog.evaluations
      .forRun(run.id)
      .filter((e) => e.checkpointId === checkpoint.id)
      .map((e) => ({ split: e.split, createdAt: e.createdAt, metrics: EvaluationMetricsSchema.parse(e.metrics) })),
  }
  return { history: BundleHistorySchema.parse(history), samples }
}

/** Parses a history (a bundle's history.json, the shipped model's card file); a sentence naming the first problem. */
export function parseHistory(text: string, where: string): BundleHistory {
  try {
    return BundleHistorySchema.parse(JSON.parse(text))
  } catch (error) {
    const issue = error instanceof z.ZodError ? error.issues[0] : undefined
    const detail = issue ? `${issue.path.join('.') || 'history'}: ${issue.message}` : (error as Error).message
    throw new ModelError(`${where} has an invalid history (${detail.slice(0, 200)}).`)
  }
}

/**
 * The unpacked bundle's history and its sample grids, or null when it has none (formats 1 and 2).
 * A grid the history does not list, or one whose bytes differ from the listed hash, refuses the bundle.
 */
export async function readHistory(file: string, staging: string): Promise<{ history: BundleHistory; samples: Map<string, Buffer> } | null> {
  const onDisk = existsSync(join(staging, SAMPLES_FOLDER)) ? readdirSync(join(staging, SAMPLES_FOLDER)).map((n) => `${SAMPLES_FOLDER}/${n}`) : []
  if (!existsSync(join(staging, HISTORY_ENTRY))) {
    if (onDisk.length) throw new ModelError(`${file} is refused: it holds sample grids but no history that lists them.`)
    return null
  }
  const history = parseHistory(readFileSync(join(staging, HISTORY_ENTRY), 'utf8'), file)
  const samples = new Map<string, Buffer>()
  for (const s of history.samples) {
    const entry = sampleEntry(s.phase, s.step)
    if (!onDisk.includes(entry)) throw new ModelError(`${file} is refused: its history lists ${entry}, which it does not hold.`)
    const bytes = readFileSync(join(staging, entry))
    if (sha256(bytes) !== s.sha256) throw new ModelError(`${file} is refused: ${entry} is not the sample grid its history lists (hash differs).`)
    if (!(await decodesAsPng(bytes))) throw new ModelError(`${file} is refused: ${entry} is not a PNG image.`)
    samples.set(entry, bytes)
  }
  const unlisted = onDisk.find((entry) => !samples.has(entry))
  if (unlisted) throw new ModelError(`${file} is refused: it holds ${unlisted}, which its history does not list.`)
  return { history, samples }
}

/** Where an imported evaluation's details file says the per-face details are. */
const IMPORTED_DETAILS = 'Judged on the machine that exported this model; the per-face details stayed there.'

/**
 * Records an imported history on the run its bundle became: curves, grids (into the file store),
 * evaluations (their details file in the model folder, saying they were judged elsewhere).
 * Returns the store files it added, for cleanup when the import fails afterwards.
 */
export async function storeHistoryFiles(home: string, modelDir: string, history: BundleHistory, samples: Map<string, Buffer>) {
  const files = new FileStore(home)
  const grids: { phase: Phase; step: number; file: string }[] = []
  for (const s of history.samples) grids.push({ phase: s.phase, step: s.step, file: await files.put(samples.get(sampleEntry(s.phase, s.step))!, 'png') })
  const details = history.evaluations.map((e, i) => {
    const relative = join(modelDir, 'evaluations', `imported-${i + 1}.json`)
    mkdirSync(join(home, modelDir, 'evaluations'), { recursive: true })
    writeFileSync(join(home, relative), JSON.stringify({ note: IMPORTED_DETAILS, source: history.source, ...e }, null, 2))
    return relative
  })
  return { grids, details }
}

/** The catalog rows of a history whose files are stored; call inside the import's transaction. */
export function recordHistory(
  catalog: Catalog,
  runId: string,
  checkpointId: number,
  history: BundleHistory,
  stored: Awaited<ReturnType<typeof storeHistoryFiles>>,
): void {
  catalog.runs.addMetricRows(runId, history.metrics)
  for (const g of stored.grids) catalog.runs.addSample(runId, g.phase, g.step, g.file)
  history.evaluations.forEach((e, i) => catalog.evaluations.add(runId, checkpointId, e.split, e.metrics, stored.details[i], { createdAt: e.createdAt }))
}

/** For a bundle with no grids (formats 1 and 2, the shipped model): its G drawn on the run's fixed z, as the trainer draws it. */
export async function drawSampleGrid(generatorDir: string, p: Preset, seed: number): Promise<Buffer> {
  const generator = await readModel(generatorDir)
  const z = fixedNoise(p, seed)
  try {
    return await gridPng(generator, z, p)
  } finally {
    z.dispose()
    generator.dispose()
  }
}
