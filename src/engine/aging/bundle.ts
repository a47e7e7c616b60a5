/**
 * Portable model bundles: one checkpoint's generator and encoder (tfjs layers files), the run's
 * configuration and training metadata, and the model hash, in one gzipped tar. Importing one on
 * another machine makes a finished run with that single checkpoint, so the editor, `age` and
 * `batch` use it like any local run, and provenance names the same model hash on both machines.
 * Format 3 carries the run's history too (bundleHistory.ts), so the run looks trained there.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import * as tar from 'tar'
import { z } from 'zod'
import { version } from '../../../package.json'
import { METRIC_NAMES, TrainConfigSchema, type TrainConfig } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import type { ImportedTraining } from '../catalog/runs'
import type { MetricRow } from '../../shared/domain'
import { FileStore, placeFile, refuseExisting, sha256 } from '../catalog/files'
import { hashFolder } from '../model/checkpoint'
import { checkNetwork } from '../model/networkCheck'
import { preset } from '../model/presets'
import { modelHash, ModelError, NETWORKS, pickCheckpoint } from './model'
import {
  collectHistory,
  drawSampleGrid,
  HISTORY_ENTRY,
  readHistory,
  recordHistory,
  SAMPLES_FOLDER,
  storeHistoryFiles,
  type BundleHistory,
} from './bundleHistory'
import { extractBundle } from './bundleArchive'
import type { ModelExport } from '../../shared/aging'

export const BUNDLE_FORMAT = 'age-studio-model'

const BundleManifest = z.object({
  format: z.literal(BUNDLE_FORMAT),
  /**
   * 3 adds the run's history (history.json, samples/); 2 adds configHash; 1 (the shipped model's)
   * is still read, its configuration checked against the weights alone.
   */
  formatVersion: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  modelHash: z.string().regex(/^[0-9a-f]{64}$/),
  configHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** sha256 of history.json (format 3), covered by configHash. */
  historySha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  exportedAt: z.string(),
  exportedBy: z.string(),
  run: z.object({
    id: z.string().max(100),
    preset: z.string().max(40),
    seed: z.number().int(),
    backend: z.string().max(40),
    config: z.record(z.string(), z.unknown()),
    lastStep: z.number().int(),
  }),
  checkpoint: z.object({
    id: z.number().int(),
    phase: z.enum(['gan', 'encoder']),
    step: z.number().int().min(0),
    epoch: z.number().int().min(0),
    sha256: z.string(),
  }),
  finalLosses: z.record(z.string(), z.number()),
})
export type BundleManifest = z.infer<typeof BundleManifest>

/** JSON with every object's keys sorted: the same configuration always hashes the same. */
const canonical = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  )

/**
 * sha256 over the model hash, the configuration it claims and (format 3) its history's hash: a
 * bundle.json or history.json edited after export no longer matches.
 */
export const configHash = (modelHash: string, run: { preset: string; config: object }, historySha256?: string) =>
  sha256(Buffer.from(`${modelHash}\0${run.preset}\0${canonical(run.config)}${historySha256 ? `\0${historySha256}` : ''}`))

/** Writes the bundle to `file`; an existing file is replaced only with `force`. */
export async function exportModelBundle(
  home: string,
  catalog: Catalog,
  runId: string,
  checkpointId: number | undefined,
  file: string,
  force = false,
): Promise<ModelExport> {
  const { run, checkpoint } = pickCheckpoint(catalog, runId, checkpointId)
  refuseExisting([file], force)
  if (checkpoint.phase !== 'encoder') {
    throw new ModelError(`Checkpoint ${checkpoint.id} is from the cGAN phase; the encoder is untrained there. Export an encoder-phase checkpoint.`)
  }
  const source = join(home, checkpoint.dir)
  const hash = modelHash(source)
  const finalLosses = catalog.runs.finalMetrics(runId, 'gan')
  const { history, samples } = await collectHistory(home, catalog, run, checkpoint)
  const historyJson = Buffer.from(JSON.stringify(history))
  const historySha256 = sha256(historyJson)
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: 3,
    modelHash: hash,
    configHash: configHash(hash, run, historySha256),
    historySha256,
    exportedAt: new Date().toISOString(),
    exportedBy: `Age Studio ${version}`,
    run: { id: run.id, preset: run.preset, seed: run.seed, backend: run.backend, config: run.config, lastStep: run.lastStep },
    checkpoint: { id: checkpoint.id, phase: checkpoint.phase, step: checkpoint.step, epoch: checkpoint.epoch, sha256: checkpoint.sha256 },
    finalLosses,
  }
  const staging = join(home, 'tmp', `bundle-${randomBytes(4).toString('hex')}`)
  const partial = `${file}.partial-${randomBytes(4).toString('hex')}`
  try {
    for (const network of NETWORKS) cpSync(join(source, network), join(staging, network), { recursive: true })
    writeFileSync(join(staging, 'bundle.json'), JSON.stringify(manifest, null, 2))
    writeFileSync(join(staging, HISTORY_ENTRY), historyJson)
    mkdirSync(join(staging, SAMPLES_FOLDER))
    for (const [entry, bytes] of samples) writeFileSync(join(staging, entry), bytes)
    mkdirSync(dirname(file), { recursive: true })
    await tar.c({ gzip: true, file: partial, cwd: staging, portable: true, noMtime: true }, ['bundle.json', HISTORY_ENTRY, SAMPLES_FOLDER, ...NETWORKS])
    placeFile(partial, file, force)
  } finally {
    rmSync(staging, { recursive: true, force: true })
    rmSync(partial, { force: true })
  }
  const bytes = readFileSync(file)
  return { file, modelHash: manifest.modelHash, bytes: bytes.length, sha256: sha256(bytes) }
}

export interface ImportedBundle {
  runId: string
  checkpointId: number
  modelHash: string
  alreadyImported: boolean
  manifest: BundleManifest
}

/** bundle.json, parsed and its configuration validated; the preset it names must be the configuration's. */
function readManifest(file: string, staging: string): BundleManifest {
  if (!existsSync(join(staging, 'bundle.json'))) throw new ModelError(`${file} is not a model bundle (no bundle.json).`)
  try {
    const manifest = BundleManifest.parse(JSON.parse(readFileSync(join(staging, 'bundle.json'), 'utf8')))
    const config = TrainConfigSchema.parse(manifest.run.config)
    if (config.preset !== manifest.run.preset) throw new Error(`run.preset ${manifest.run.preset} is not the configuration's ${config.preset}`)
    return manifest
  } catch (error) {
    throw new ModelError(`${file} has an invalid bundle.json (${(error as Error).message.split('\n')[0].slice(0, 200)}).`)
  }
}

/** How the shipped model is imported: its own origin and run id, a name, the hash its card gives. */
export interface ImportAs {
  origin: string
  runId: string
  name: string
  modelHash: string
  /** What its card says of its training, for a bundle that carries no history of its own. */
  history?: BundleHistory
}

/** Checks a bundle completely (entries, manifest, hashes, networks against the configuration) before it touches the catalog. */
export async function importModelBundle(home: string, catalog: Catalog, file: string, as?: ImportAs): Promise<ImportedBundle> {
  const staging = join(home, 'tmp', `import-${randomBytes(4).toString('hex')}`)
  mkdirSync(staging, { recursive: true })
  try {
    await extractBundle(file, staging)
    const manifest = readManifest(file, staging)
    for (const network of NETWORKS) {
      if (!existsSync(join(staging, network, 'model.json'))) throw new ModelError(`${file} lacks the ${network}.`)
    }
    const hash = modelHash(staging)
    for (const expected of [manifest.modelHash, as?.modelHash ?? hash]) {
      if (hash !== expected) throw new ModelError(`${file} is damaged: its networks hash to ${hash.slice(0, 12)}…, expected ${expected.slice(0, 12)}….`)
    }
    const historyBytes = existsSync(join(staging, HISTORY_ENTRY)) ? readFileSync(join(staging, HISTORY_ENTRY)) : null
    if ((manifest.formatVersion === 3) !== (historyBytes !== null) || (historyBytes && sha256(historyBytes) !== manifest.historySha256)) {
      throw new ModelError(`${file} is refused: its history.json is not the one it was exported with.`)
    }
    if (manifest.configHash !== undefined && manifest.configHash !== configHash(hash, manifest.run, manifest.historySha256)) {
      throw new ModelError(`${file} is refused: its bundle.json was changed after export (the configuration no longer matches its hash).`)
    }
    const carried = await readHistory(file, staging)
    const config = TrainConfigSchema.parse(manifest.run.config)
    const p = preset(config.preset, config.imageSize)
    for (const network of NETWORKS) {
      const dir = join(staging, network)
      try {
        await checkNetwork(readFileSync(join(dir, 'model.json')), readFileSync(join(dir, 'weights.bin')), network, p, `The ${network}`)
      } catch (error) {
        throw new ModelError(`${file} is refused: ${(error as Error).message}`)
      }
    }

    const origin = as?.origin ?? `bundle:${hash}`
    const existing = catalog.runs.byOrigin(origin)
    if (existing && canonical(catalog.runs.get(existing)!.config) !== canonical(manifest.run.config)) {
      throw new ModelError(`${file} is refused: the same networks are already imported as ${existing} with another configuration.`)
    }
    if (existing) {
      const checkpoint = catalog.runs.latestCheckpoint(existing)!
      return { runId: existing, checkpointId: checkpoint.id, modelHash: hash, alreadyImported: true, manifest }
    }
    // The shipped model has a folder of its own: deleting a manual import of the same bundle must not take it.
    const dir = join('models', as ? `shipped-${hash}` : hash)
    rmSync(join(home, dir), { recursive: true, force: true })
    mkdirSync(join(home, 'models'), { recursive: true })
    renameSync(staging, join(home, dir))
    const runId = as?.runId ?? `run-model-${hash.slice(0, 16)}`
    const history = carried?.history ?? as?.history ?? null
    try {
      const checkpointId = await recordImport(home, catalog, { runId, dir, origin, manifest, history, samples: carried?.samples, name: as?.name })
      return { runId, checkpointId, modelHash: hash, alreadyImported: false, manifest }
    } catch (error) {
      rmSync(join(home, dir), { recursive: true, force: true })
      throw error
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** The unpacked, checked bundle in `dir` becomes a run: its history's files stored, then every row in one transaction. */
async function recordImport(
  home: string,
  catalog: Catalog,
  {
    runId,
    dir,
    origin,
    manifest,
    history,
    samples,
    name,
  }: { runId: string; dir: string; origin: string; manifest: BundleManifest; history: BundleHistory | null; samples?: Map<string, Buffer>; name?: string },
): Promise<number> {
  const config = TrainConfigSchema.parse(manifest.run.config)
  const files = new FileStore(home)
  const stored = history ? await storeHistoryFiles(home, dir, history, samples ?? new Map<string, Buffer>()) : null
  const grid = await gridWhereNone(home, dir, config, manifest.run.seed, (history?.samples.length ?? 0) > 0)
  const added = [...(stored?.grids.map((g) => g.file) ?? []), ...(grid ? [grid] : [])]
  try {
    return catalog.transaction(() => {
      catalog.runs.createImported(
        runId,
        manifest.run.preset,
        manifest.run.config,
        manifest.run.seed,
        manifest.run.backend,
        origin,
        history ? trainingOf(history, manifest.exportedAt) : untold(manifest),
      )
      if (name) catalog.runs.describe(runId, { name })
      const { step, epoch, phase } = manifest.checkpoint
      const id = catalog.runs.addCheckpoint(runId, phase, step, epoch, dir, hashFolder(join(home, dir)))
      if (history && stored) recordHistory(catalog, runId, id, history, stored)
      // Without a history, the losses it was exported with are the one point of its curves there is.
      else catalog.runs.addMetricRows(runId, finalLossRows(manifest))
      if (grid) catalog.runs.addSample(runId, 'gan', config.steps, grid)
      return id
    })
  } catch (error) {
    for (const file of catalog.runs.unreferenced(added)) rmSync(files.resolve(file), { force: true })
    throw error
  }
}

const trainingOf = (history: BundleHistory, exportedAt: string): ImportedTraining => ({
  startedAt: history.startedAt,
  finishedAt: history.finishedAt ?? exportedAt,
  trainedSeconds: history.trainedSeconds,
  hardware: history.hardware,
  note: history.source,
})

const untold = (manifest: BundleManifest): ImportedTraining => ({
  startedAt: null,
  finishedAt: manifest.exportedAt,
  trainedSeconds: null,
  hardware: null,
  note: `Imported from a format ${manifest.formatVersion} bundle, which carries only its final losses, no training history.`,
})

/** bundle.json's final losses as metric rows at the cGAN phase's last step (names it does not know are left out). */
function finalLossRows(manifest: BundleManifest): MetricRow[] {
  const known = new Set(Object.values(METRIC_NAMES))
  const step = TrainConfigSchema.parse(manifest.run.config).steps
  return Object.entries(manifest.finalLosses)
    .filter(([name, value]) => known.has(name) && Number.isFinite(value))
    .map(([name, value]) => ({ phase: 'gan' as const, step, name, value }))
}

/**
 * A run that has no sample grid (none came with it, none is stored) gets one: its G drawn on the
 * run's own fixed z, stored, for the end of its cGAN phase. Null where it has grids already.
 */
async function gridWhereNone(home: string, dir: string, config: TrainConfig, seed: number, hasGrids: boolean): Promise<string | null> {
  if (hasGrids) return null
  const png = await drawSampleGrid(join(home, dir, 'generator'), preset(config.preset, config.imageSize), seed)
  return new FileStore(home).put(png, 'png')
}

/**
 * A run imported without the history it now has (the shipped model, by an older studio) gets the
 * one its card gives, and a sample grid drawn from its G where it has none.
 */
export async function addImportedHistory(home: string, catalog: Catalog, runId: string, checkpointId: number, told: BundleHistory): Promise<void> {
  // Told once before (an older card's history): its evaluations are there already; curves and grids are replaced by key.
  const known = catalog.evaluations.forRun(runId).filter((e) => e.imported)
  const history = { ...told, evaluations: told.evaluations.filter((e) => !known.some((k) => k.split === e.split && k.createdAt === e.createdAt)) }
  const checkpoint = catalog.runs.checkpoint(checkpointId)!
  const run = catalog.runs.get(runId)!
  const config = TrainConfigSchema.parse(run.config)
  const stored = await storeHistoryFiles(home, checkpoint.dir, history, new Map<string, Buffer>())
  const grid = await gridWhereNone(home, checkpoint.dir, config, run.seed, history.samples.length > 0 || catalog.runs.samples(runId).length > 0)
  catalog.transaction(() => {
    catalog.runs.setImportedTraining(runId, trainingOf(history, run.finishedAt ?? new Date().toISOString()))
    recordHistory(catalog, runId, checkpointId, history, stored)
    if (grid) catalog.runs.addSample(runId, 'gan', config.steps, grid)
  })
}
