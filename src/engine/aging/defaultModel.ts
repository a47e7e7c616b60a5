/**
 * The model shipped with the studio (resources/models, its card in README.md there): imported on
 * first start, once, found again by its hash, as a read-only run, so the editor, batch and the
 * `age`/`batch` commands age a face before anyone has trained anything.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import type { Catalog } from '../catalog/catalog'
import { StudioError } from '../../shared/contract'
import { isShipped, SHIPPED_ORIGIN } from '../../shared/aging'
import { projectRoot } from '../tf/blasAddon'
import { addImportedHistory, importModelBundle } from './bundle'
import { parseHistory, type BundleHistory } from './bundleHistory'
import { ModelError } from './model'

export const MODELS_DIR = join(projectRoot(), 'resources', 'models')

const hex64 = z.string().regex(/^[0-9a-f]{64}$/)
const fileName = z.string().regex(/^[\w.-]+$/)
const ShippedModel = z
  .object({
    name: z.string().min(1).max(80),
    file: fileName,
    sha256: hex64,
    modelHash: hex64,
    /** Its training history as the model card gives it: the bundle (format 1) predates bundles carrying one. */
    history: fileName.optional(),
  })
  .strict()
export type ShippedModel = z.infer<typeof ShippedModel>

/** resources/models/default.json, or null where this install ships no model. */
export function shippedModel(dir = MODELS_DIR): ShippedModel | null {
  const file = join(dir, 'default.json')
  if (!existsSync(file)) return null
  return ShippedModel.parse(JSON.parse(readFileSync(file, 'utf8')))
}

/** The shipped model's training history, read from the card's file; a missing one is a damaged install. */
function shippedHistory(dir: string, shipped: ShippedModel): BundleHistory | undefined {
  if (!shipped.history) return undefined
  const file = join(dir, shipped.history)
  if (!existsSync(file)) throw new ModelError(`The shipped model is damaged: its history ${file} is missing. Reinstall the studio.`)
  return parseHistory(readFileSync(file, 'utf8'), file)
}

/** Refuses to change or remove the shipped model's run: it would come back on the next start anyway. */
export function refuseShipped(catalog: Catalog, runId: string, what: string): void {
  if (isShipped(catalog.runs.get(runId)?.origin)) throw new StudioError('bad_input', `${runId} is the model shipped with the studio; it cannot be ${what}.`)
}

export interface DefaultModel {
  runId: string
  checkpointId: number
  name: string
  /** False when an earlier start had imported it already. */
  imported: boolean
}

/**
 * Imports the shipped model into this home unless it is there already (by model hash: cheap, no
 * unpacking). Null where the install ships none. A damaged bundle is refused as any bundle is.
 */
export async function ensureDefaultModel(home: string, catalog: Catalog, dir = MODELS_DIR): Promise<DefaultModel | null> {
  const shipped = shippedModel(dir)
  if (!shipped) return null
  const origin = `${SHIPPED_ORIGIN}${shipped.modelHash}`
  const history = shippedHistory(dir, shipped)
  const existing = catalog.runs.byOrigin(origin)
  if (existing) {
    const checkpointId = catalog.runs.latestCheckpoint(existing)!.id
    if (history && catalog.runs.get(existing)!.historyNote !== history.source) await addImportedHistory(home, catalog, existing, checkpointId, history)
    return { runId: existing, checkpointId, name: shipped.name, imported: false }
  }
  const runId = `run-default-${shipped.modelHash.slice(0, 16)}`
  const bundle = await importModelBundle(home, catalog, join(dir, shipped.file), { origin, runId, name: shipped.name, modelHash: shipped.modelHash, history })
  return { runId: bundle.runId, checkpointId: bundle.checkpointId, name: shipped.name, imported: !bundle.alreadyImported }
}
