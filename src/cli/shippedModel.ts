/** The model `age` and `batch` use when none is named: the one shipped with the studio. */
import { ensureDefaultModel } from '../engine/aging/defaultModel'
import { UsageError } from './args'
import type { CommandContext } from './commands'

export async function shippedOrRefuse(
  studio: CommandContext['studio'],
  log: CommandContext['log'],
  option: string,
): Promise<{ runId: string; checkpointId: number }> {
  const shipped = await ensureDefaultModel(studio.home, studio.catalog)
  if (!shipped) throw new UsageError(`Give ${option}: this install ships no default model (resources/models); age-studio runs lists the trained ones.`)
  log(`${shipped.imported ? 'imported' : 'using'} the shipped model "${shipped.name}" (${shipped.runId})`)
  return { runId: shipped.runId, checkpointId: shipped.checkpointId }
}
