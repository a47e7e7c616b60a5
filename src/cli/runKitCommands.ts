/** `age-studio export-run` and `import-run`: a run taken to a GPU box or cluster, and brought back. */
import { resolve } from 'node:path'
import { TrainConfigSchema } from '../shared/training'
import { exportRunKit, importRunKit } from '../engine/torch/runKit'
import { parse, UsageError } from './args'
import type { CommandContext, CommandOutput } from './commands'
import { CONFIG_OPTIONS, configFromOptions } from './train'

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
  const kit = await exportRunKit(studio.catalog, studio.files, config, resolve(values.out), values.force)
  return { json: kit, text: `Run kit in ${kit.dir}: ${kit.images} training images; see ${kit.dir}/README.md for the torchrun and Slurm lines.` }
}

export async function importRun({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { positionals } = parse(args, {}, true)
  if (positionals.length !== 1) throw new UsageError('import-run takes one run kit folder.')
  const imported = await importRunKit(studio.home, studio.catalog, studio.files, resolve(positionals[0]))
  const what = `${imported.steps.gan} cGAN and ${imported.steps.encoder} encoder steps, ${imported.checkpoints} checkpoints`
  const missing = imported.missing.length > 0 ? ` Not in the kit any more, so left out: ${imported.missing.join(', ')}.` : ''
  return {
    json: imported,
    text: imported.alreadyImported
      ? `This kit was imported before, as ${imported.runId} (${imported.status}: ${what}); nothing was added.`
      : `Imported as ${imported.runId} (${imported.status}): ${what}.${missing}`,
  }
}
