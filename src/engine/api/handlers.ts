/** The engine's implementation of every call in the contract; both transports use these. */
import { StudioError, type Handlers } from '../../shared/contract'
import type { ImageSummary } from '../../shared/domain'
import { version } from '../../../package.json'
import type { ImageRow } from '../catalog/images'
import { createDemoDataset } from '../datasets/demo'
import { backendStatuses } from '../tf/backends'
import type { Studio } from '../studio'

export function createHandlers(studio: Studio): Handlers {
  const { catalog, files, jobs, events } = studio

  const summarize = async (row: ImageRow): Promise<ImageSummary> => ({
    id: row.id,
    datasetId: row.datasetId,
    age: row.age,
    bin: row.bin,
    ageSource: row.ageSource,
    split: row.split,
    excluded: row.excluded,
    thumb: await files.dataUrl(row.trainFile),
  })

  const requireRun = (runId: string) => {
    const run = catalog.runs.get(runId)
    if (!run) throw new StudioError('not_found', `There is no run ${runId}.`)
    return run
  }

  const requireDataset = (datasetId: number | undefined) => {
    if (datasetId !== undefined && !catalog.datasets.exists(datasetId)) {
      throw new StudioError('not_found', `There is no dataset with id ${datasetId}.`)
    }
  }

  return {
    'app.info': async () => ({
      version,
      mode: studio.mode === 'electron' ? 'electron' : 'web',
      home: studio.home,
      catalogPath: catalog.path,
      schemaVersion: catalog.schemaVersion(),
      backend: backendStatuses().find((b) => b.available && b.canTrain)!.name,
      backends: backendStatuses(),
    }),

    'library.datasets': async () => catalog.datasets.list(),

    'library.stats': async ({ datasetId }) => {
      requireDataset(datasetId)
      return catalog.images.perBin({ datasetId })
    },

    'library.list': async ({ bin, datasetId, offset, limit }) => {
      requireDataset(datasetId)
      const filter = { bin, datasetId }
      const rows = catalog.images.list(filter, offset, limit)
      return { total: catalog.images.count(filter), offset, images: await Promise.all(rows.map(summarize)) }
    },

    'library.image': async ({ id }) => {
      const row = catalog.images.get(id)
      if (!row) throw new StudioError('not_found', `There is no image with id ${id}.`)
      return {
        ...(await summarize(row)),
        sha256: row.sha256,
        sourcePath: row.sourcePath,
        datasetName: row.datasetName,
        width: row.width ?? 0,
        height: row.height ?? 0,
        picture: await files.dataUrl(row.cropFile ?? row.trainFile),
        importError: row.importError,
        createdAt: row.createdAt,
      }
    },

    'library.createDemo': async (options) => {
      let jobId = ''
      const outcome = await jobs.run(
        'demo',
        (job) => createDemoDataset(catalog, files, job, options),
        (job) => (jobId = job.id),
      )
      events.emit('catalog.changed', { datasetId: outcome.datasetId })
      return { jobId, ...outcome }
    },

    'runs.list': async () => catalog.runs.list(),

    'runs.get': async ({ runId }) => {
      const run = requireRun(runId)
      return {
        run,
        checkpoints: catalog.runs.checkpoints(runId),
        samples: catalog.runs.samples(runId).map(({ phase, step }) => ({ phase, step })),
        training: studio.training.isTraining(runId),
      }
    },

    'runs.metrics': async ({ runId, sinceStep }) => {
      requireRun(runId)
      return catalog.runs.metrics(runId, sinceStep)
    },

    'runs.sample': async ({ runId, phase, step }) => {
      const sample = catalog.runs.samples(requireRun(runId).id).find((s) => s.phase === phase && s.step === step)
      if (!sample) throw new StudioError('not_found', `Run ${runId} has no ${phase} sample at step ${step}.`)
      return { image: await files.dataUrl(sample.file) }
    },

    'runs.start': async (config) => ({ runId: await studio.training.start({ config }) }),

    'runs.resume': async ({ runId }) => {
      requireRun(runId)
      if (!catalog.runs.latestCheckpoint(runId)) throw new StudioError('bad_input', `Run ${runId} has no checkpoint to resume from.`)
      return { runId: await studio.training.start({ resumeRunId: runId }) }
    },

    'runs.pause': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'pause') }),
    'runs.continue': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'continue') }),
    'runs.cancel': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'cancel') }),

    'jobs.cancel': async ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
  }
}
