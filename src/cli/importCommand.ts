/** `age-studio import`: photos into the catalog through the same call (and worker) the Library uses. */
import { AGE_BINS } from '../shared/ageBins'
import { IMPORT_FORMATS, type ImportFormat, type JobProgress } from '../shared/domain'
import { intOption, parse, UsageError } from './args'
import { call } from './client'
import type { CommandContext, CommandOutput } from './commands'

export async function importPhotos({ studio, args, log }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(
    args,
    { format: { type: 'string' }, dataset: { type: 'string' }, 'estimate-ages': { type: 'boolean' }, 'split-seed': { type: 'string' } },
    true,
  )
  if (positionals.length === 0) throw new UsageError('import needs at least one folder, photo or CSV file.')
  const format = (values.format ?? 'auto') as ImportFormat
  if (!IMPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}; got ${JSON.stringify(values.format)}.`)
  let jobId: string | undefined
  let lastLog = 0
  const stop = studio.events.subscribe((event, data) => {
    if (event !== 'job.progress') return
    const payload = data as JobProgress
    if (payload.kind !== 'import') return
    jobId = payload.jobId
    if (Date.now() - lastLog < 2000 && payload.done < payload.total) return
    lastLog = Date.now()
    const eta = payload.etaSeconds === null ? '' : `, ${Math.ceil(payload.etaSeconds)} s left`
    log(`imported ${payload.done}/${payload.total} (${payload.rate.toFixed(1)}/s${eta})`)
  })
  const interrupt = () => {
    log('stopping: files already imported are kept; run the same import again to go on')
    if (jobId) void call(studio, 'jobs.cancel', { jobId })
  }
  process.once('SIGINT', interrupt)
  try {
    const report = await call(studio, 'library.import', {
      paths: positionals,
      format,
      dataset: values.dataset,
      estimateAges: values['estimate-ages'] === true,
      seed: intOption('split-seed', values['split-seed']) ?? 0,
    })
    const lines = [
      `Imported ${report.imported} into dataset ${report.datasetId} (format ${report.format}); ${report.duplicates} already there; ${report.flagged} flagged; ${report.estimated} ages estimated`,
      `Per bin: ${AGE_BINS.map((label, i) => `${label}: ${report.perBin[i]}`).join(', ')}`,
      `Rejected ${report.rejected.length}${report.rejected.length ? ':' : ''}`,
      ...report.rejected.map((r) => `  ${r.file}: ${r.reason}`),
    ]
    return { json: report, text: lines.join('\n') }
  } finally {
    stop()
    process.off('SIGINT', interrupt)
  }
}
