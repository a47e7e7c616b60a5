/** `age-studio recrop`: a catalog's faces cropped again from their photos with today's warp. */
import { recropFaces } from '../engine/datasets/recrop'
import { Cancelled } from '../engine/errors'
import { parse, UsageError } from './args'
import type { CommandContext, CommandOutput } from './commands'
import { resolveDataset } from './train'

export async function recrop({ studio, args, log }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(args, { dataset: { type: 'string' } }, true)
  if (positionals.length > 0) throw new UsageError(`recrop takes no paths (it re-reads each face's own photo); got ${JSON.stringify(positionals[0])}.`)
  const datasetId = resolveDataset(studio, values.dataset)
  let stopping = false
  const interrupt = () => {
    log('stopping: faces already cropped again keep their new crops; run recrop again to go on')
    stopping = true
  }
  let lastLog = 0
  process.once('SIGINT', interrupt)
  try {
    const report = await recropFaces(studio.catalog, studio.files, datasetId, {
      checkpoint: () => {
        if (stopping) throw new Cancelled('Re-crop stopped; the faces done so far keep their new crops.')
      },
      progress: (done, total) => {
        if (Date.now() - lastLog < 2000 && done < total) return
        lastLog = Date.now()
        log(`cropped ${done}/${total}`)
      },
    })
    const lines = [
      `Cropped ${report.recropped} faces again; kept ${report.kept.length} as they were${report.kept.length ? ':' : ''}`,
      ...report.kept.map((k) => `  ${k.file}: ${k.reason}`),
    ]
    return { json: report, text: lines.join('\n') }
  } finally {
    process.off('SIGINT', interrupt)
  }
}
