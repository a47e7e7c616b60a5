/** `age-studio export-run` and `import-run`: a run taken to a GPU box or cluster, and brought back. */
import { resolve } from 'node:path'
import { TrainConfigSchema } from '../shared/training'
import { StudioError } from '../shared/contract'
import { OutputExistsError } from '../engine/catalog/files'
import { exportRunKit, importRunKit, RunKitError } from '../engine/torch/runKit'
import { parse, UsageError } from './args'
import type { CommandContext, CommandOutput } from './commands'
import { CONFIG_OPTIONS, configFromOptions } from './train'

/** The kit's own refusals are failures (exit 1), with the code a script can test. */
async function kitCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof OutputExistsError) throw new StudioError('exists', error.message)
    if (error instanceof RunKitError) throw new StudioError('bad_input', error.message)
    throw error
  }
}

export async function exportRun({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(args, { ...CONFIG_OPTIONS, out: { type: 'string' }, force: { type: 'boolean' } }, true)
  if (!values.out) throw new UsageError('export-run needs --out DIR.')
  if (positionals.length > 1) throw new UsageError('export-run takes at most one RUN_ID (or the train options for a new configuration).')
  let config
  if (positionals.length === 1) {
    const run = studio.catalog.runs.get(positionals[0])
    if (!run) throw new UsageError(`There is no run ${JSON.stringify(positionals[0])}; age-studio runs lists them.`)
    config = TrainConfigSchema.parse(run.config)
  } else {
    config = configFromOptions(studio, values)
  }
  const kit = await kitCall(() => exportRunKit(studio.catalog, studio.files, config, resolve(values.out!), values.force))
  return { json: kit, text: `Run kit in ${kit.dir}: ${kit.images} training images; see ${kit.dir}/README.md for the torchrun and Slurm lines.` }
}

export async function importRun({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { positionals } = parse(args, {}, true)
  if (positionals.length !== 1) throw new UsageError('import-run takes one run kit folder.')
  const imported = await kitCall(() => importRunKit(studio.home, studio.catalog, studio.files, resolve(positionals[0])))
  return {
    json: imported,
    text: `Imported as ${imported.runId} (${imported.status}): ${imported.steps.gan} cGAN and ${imported.steps.encoder} encoder steps, ${imported.checkpoints} checkpoints.`,
  }
}
