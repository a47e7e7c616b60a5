/**
 * A trained model ready for ageing: G and E of one checkpoint, the run's preset and image size,
 * and the model hash that provenance records. The hash covers only the two networks' files, so a
 * checkpoint and the bundle exported from it (and imported elsewhere) carry the same hash.
 */
import type * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { CheckpointSummary, RunSummary } from '../../shared/domain'
import { TrainConfigSchema, type TrainConfig } from '../../shared/training'
import type { Catalog } from '../catalog/catalog'
import { hashFolder, readModelHashed } from '../model/checkpoint'
import { preset } from '../model/presets'
import { AgeError } from '../errors'

/** A run, checkpoint or bundle that cannot serve: the user's input, reported as such. */
export class ModelError extends AgeError {}

export interface AgingModel {
  generator: tf.LayersModel
  encoder: tf.LayersModel
  imageSize: number
  run: RunSummary
  config: TrainConfig
  checkpoint: CheckpointSummary
  modelHash: string
  dispose(): void
}

export const NETWORKS = ['generator', 'encoder'] as const

/** sha256 over the generator's and encoder's files (names and bytes). */
export function modelHash(checkpointDir: string): string {
  return combinedHash(NETWORKS.map((network) => hashFolder(join(checkpointDir, network))))
}

/** The model hash from each network folder's hash, in NETWORKS' order. */
function combinedHash(folderHashes: string[]): string {
  const hash = createHash('sha256')
  NETWORKS.forEach((network, i) => hash.update(`${network}\0${folderHashes[i]}\0`))
  return hash.digest('hex')
}

/** The run's newest checkpoint, or the one asked for; a clear error when there is none. */
export function pickCheckpoint(catalog: Catalog, runId: string, checkpointId?: number): { run: RunSummary; checkpoint: CheckpointSummary } {
  const run = catalog.runs.get(runId)
  if (!run) throw new ModelError(`There is no run ${runId}; age-studio runs lists them.`)
  const checkpoint = checkpointId === undefined ? catalog.runs.latestCheckpoint(runId) : catalog.runs.checkpoint(checkpointId)
  if (!checkpoint || checkpoint.runId !== runId) {
    throw new ModelError(checkpointId === undefined ? `Run ${runId} has no checkpoint yet.` : `Checkpoint ${checkpointId} does not belong to run ${runId}.`)
  }
  return { run, checkpoint }
}

export async function loadAgingModel(home: string, catalog: Catalog, runId: string, checkpointId?: number): Promise<AgingModel> {
  const { run, checkpoint } = pickCheckpoint(catalog, runId, checkpointId)
  const config = TrainConfigSchema.parse(run.config)
  const dir = join(home, checkpoint.dir)
  let generator: tf.LayersModel, encoder: tf.LayersModel, hashes: string[]
  try {
    // Each file read once, for the weights and the hash (a re-read of the paper G costs ~0.5 s here).
    const [g, e] = [await readModelHashed(join(dir, 'generator')), await readModelHashed(join(dir, 'encoder'))]
    ;[generator, encoder, hashes] = [g.model, e.model, [g.hash, e.hash]]
  } catch (error) {
    throw new ModelError(`Checkpoint ${checkpoint.id} of ${runId} cannot be loaded (${(error as Error).message}).`)
  }
  return {
    generator,
    encoder,
    imageSize: preset(config.preset, config.imageSize).imageSize,
    run,
    config,
    checkpoint,
    modelHash: combinedHash(hashes),
    dispose: () => {
      generator.dispose()
      encoder.dispose()
    },
  }
}
