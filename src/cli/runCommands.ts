/** `describe-run`, `delete-run` and `export-metrics`: what a user keeps about a run, and removing it. */
import { resolve } from 'node:path'
import { parse, UsageError } from './args'
import { call } from './client'
import type { CommandContext, CommandOutput } from './commands'

function oneRun(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one RUN_ID; age-studio runs lists them.`)
  return positionals[0]
}

export async function describeRun({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, notes: { type: 'string' } }, true)
  const runId = oneRun('describe-run', positionals)
  if (values.name === undefined && values.notes === undefined) throw new UsageError('describe-run needs --name and/or --notes.')
  const run = await call(studio, 'runs.describe', { runId, name: values.name, notes: values.notes })
  return { json: run, text: `${run.id}: ${run.name ?? '(no name)'}${run.notes ? `\n${run.notes}` : ''}` }
}

export async function deleteRun({ studio, args }: CommandContext): Promise<CommandOutput> {
  const runId = oneRun('delete-run', parse(args, {}, true).positionals)
  const removed = await call(studio, 'runs.delete', { runId })
  return { json: { runId, ...removed }, text: `Deleted ${runId}: ${removed.checkpoints} checkpoints, ${removed.samples} sample grids and its metrics.` }
}

export async function exportMetrics({ studio, args }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, force: { type: 'boolean' } }, true)
  const runId = oneRun('export-metrics', positionals)
  if (!values.out) throw new UsageError('export-metrics needs --out FILE.')
  const written = await call(studio, 'runs.exportMetrics', { runId, out: resolve(values.out), force: values.force === true })
  return { json: written, text: `${written.rows} rows (one per phase and step) written to ${written.path}.` }
}
