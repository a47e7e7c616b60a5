/**
 * Portable model bundles: one checkpoint's generator and encoder (tfjs layers files), the run's
 * configuration and training metadata, and the model hash, in one gzipped tar. Importing one on
 * another machine makes a finished run with that single checkpoint, so the editor, `age` and
 * `batch` use it like any local run, and provenance names the same model hash on both machines.
 */
import { cpSync, createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import * as tar from 'tar'
import { z } from 'zod'
import { version } from '../../../package.json'
import { TrainConfigSchema } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import { placeFile, refuseExisting, sha256 } from '../catalog/files'
import { InputFileError, openRegularFile } from '../inputFiles'
import { hashFolder } from '../model/checkpoint'
import { checkNetwork } from '../model/networkCheck'
import { preset } from '../model/presets'
import { modelHash, ModelError, NETWORKS, pickCheckpoint } from './model'
import type { ModelExport } from '../../shared/aging'

export const BUNDLE_FORMAT = 'age-studio-model'
/**
 * A 64 px paper G + E is about 270 MB unpacked, a 128 px one about 810 MB (G's dense layer alone
 * is 2048 × 65536 floats); anything past these limits is not one of ours.
 */
const MAX_BUNDLE_BYTES = 1024 ** 3
const MAX_ENTRY_BYTES = 1024 ** 3
const MAX_UNPACKED_BYTES = 1.5 * 1024 ** 3
const ENTRIES = new Set(['bundle.json', ...NETWORKS.flatMap((n) => [`${n}/`, `${n}/model.json`, `${n}/weights.bin`])])
const gib = (bytes: number) => `${+(bytes / 1024 ** 3).toFixed(1)} GiB`

const BundleManifest = z.object({
  format: z.literal(BUNDLE_FORMAT),
  /** 2 adds configHash; 1 (the shipped model's) is still read, its configuration checked against the weights alone. */
  formatVersion: z.union([z.literal(1), z.literal(2)]),
  modelHash: z.string().regex(/^[0-9a-f]{64}$/),
  configHash: z
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

/** sha256 over the model hash and the configuration it claims: a bundle.json edited after export no longer matches. */
export const configHash = (modelHash: string, run: { preset: string; config: object }) =>
  sha256(Buffer.from(`${modelHash}\0${run.preset}\0${canonical(run.config)}`))

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
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: 2,
    modelHash: hash,
    configHash: configHash(hash, run),
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
    mkdirSync(dirname(file), { recursive: true })
    await tar.c({ gzip: true, file: partial, cwd: staging, portable: true, noMtime: true }, ['bundle.json', ...NETWORKS])
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

/** Why a tar entry cannot be part of a bundle, or null when it can. */
function entryRefusal(name: string, type: string, size: number, unpacked: number): string | null {
  if (!ENTRIES.has(name)) return `holds ${JSON.stringify(name.slice(0, 120))}, which a model bundle never has`
  if (type !== 'File' && type !== 'Directory') return `holds ${name} as a ${type}; a model bundle holds only files and folders`
  if (size > MAX_ENTRY_BYTES) return `${name} is over the ${gib(MAX_ENTRY_BYTES)} limit (${gib(size)})`
  if (unpacked + size > MAX_UNPACKED_BYTES) return `unpacks to more than ${gib(MAX_UNPACKED_BYTES)}`
  return null
}

/**
 * Streams the bundle into `staging`, stopping at the first entry it refuses, before that entry is
 * written or even decompressed: a gzip bomb costs a header, not its payload. `./` prefixes (what
 * `tar -C dir -czf b.tgz .` writes) are accepted.
 */
async function extractBundle(file: string, staging: string): Promise<void> {
  let opened: { fd: number; size: number }
  try {
    opened = openRegularFile(file, MAX_BUNDLE_BYTES)
  } catch (error) {
    throw error instanceof InputFileError ? new ModelError(error.sentence) : error
  }
  const source = createReadStream('', { fd: opened.fd })
  if (opened.size === 0) {
    source.destroy()
    throw new ModelError(`${file} is empty, not a model bundle.`)
  }
  // Set inside the unpacker's filter, which TypeScript's narrowing does not see.
  let refusal = null as string | null
  let unpacked = 0
  const unpack = new tar.Unpack({
    cwd: staging,
    strict: true,
    filter: (path, entry) => {
      const name = path.replace(/^(\.\/)+/, '')
      if (refusal) return false
      if (name === '' || name === '.') return false // the archive's own root folder
      const type = 'type' in entry ? entry.type : 'File'
      const size = entry.size ?? 0
      refusal = entryRefusal(name, type, size, unpacked)
      if (refusal) unpack.abort(new Error(refusal))
      unpacked += size
      return refusal === null
    },
  })
  try {
    await new Promise<void>((resolve, reject) => {
      unpack.on('error', reject)
      unpack.on('close', () => resolve())
      source.on('error', reject)
      source.pipe(unpack)
    })
  } catch (error) {
    throw new ModelError(refusal ? `${file} is refused: it ${refusal}.` : `${file} is not a model bundle (${(error as Error).message}).`)
  } finally {
    source.destroy()
  }
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
    if (manifest.configHash !== undefined && manifest.configHash !== configHash(hash, manifest.run)) {
      throw new ModelError(`${file} is refused: its bundle.json was changed after export (the configuration no longer matches its hash).`)
    }
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
    const checkpointId = catalog.transaction(() => {
      catalog.runs.createImported(runId, manifest.run.preset, manifest.run.config, manifest.run.seed, manifest.run.backend, origin)
      if (as) catalog.runs.describe(runId, { name: as.name })
      const { step, epoch, phase } = manifest.checkpoint
      return catalog.runs.addCheckpoint(runId, phase, step, epoch, dir, hashFolder(join(home, dir)))
    })
    return { runId, checkpointId, modelHash: hash, alreadyImported: false, manifest }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}
