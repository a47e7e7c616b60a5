/** `age-studio import`: photos into the catalog through the same call (and worker) the Library uses. */
import { AGE_BINS } from '../shared/ageBins'
import { IMPORT_FORMATS, type ImportFormat, type JobProgress } from '../shared/domain'
import { intOption, parse, UsageError } from './args'
import { call } from './client'
import type { CommandContext, CommandOutput } from './commands'
import { followJob, timeLeft } from './followJob'

export async function importPhotos({ studio, args, log }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(
    args,
    { format: { type: 'string' }, dataset: { type: 'string' }, 'estimate-ages': { type: 'boolean' }, 'split-seed': { type: 'string' } },
    true,
  )
  if (positionals.length === 0) throw new UsageError('import needs at least one folder, photo or CSV file.')
  const format = (values.format ?? 'auto') as ImportFormat
  if (!IMPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}; got ${JSON.stringify(values.format)}.`)
  const following = {
    log,
    line: (p: JobProgress) => `imported ${p.done}/${p.total} (${p.rate.toFixed(1)}/s${timeLeft(p)})`,
    stopping: () => 'stopping: files already imported are kept; run the same import again to go on',
    everyMs: 2000,
  }
  const report = await followJob(studio, 'import', following, () =>
    call(studio, 'library.import', {
      paths: positionals,
      format,
      dataset: values.dataset,
      estimateAges: values['estimate-ages'] === true,
      seed: intOption('split-seed', values['split-seed']) ?? 0,
    }),
  )
  const lines = [
    `Imported ${report.imported} into dataset ${report.datasetId} (format ${report.format}); ${report.duplicates} already there${report.repeated ? `; ${report.repeated} repeated in this import (exact copies, kept once)` : ''}; ${report.flagged} flagged; ${report.estimated} ages estimated`,
    `Per bin: ${AGE_BINS.map((label, i) => `${label}: ${report.perBin[i]}`).join(', ')}`,
    `Rejected ${report.rejected.length}${report.rejected.length ? ':' : ''}`,
    ...report.rejected.map((r) => `  ${r.file}: ${r.reason}`),
  ]
  return { json: report, text: lines.join('\n') }
}
