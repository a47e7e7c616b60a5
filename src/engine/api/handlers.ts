/** The engine's implementation of every call in the contract; both transports use these. */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { StudioError, type Handlers } from '../../shared/contract'
import { version } from '../../../package.json'
import { backendLadder, defaultTrainingBackend } from '../training/backendLadder'
import type { Studio } from '../studio'
import { libraryHandlers, requireDataset } from './libraryHandlers'
import { agingHandlers } from './agingHandlers'
import { emptyPerBin } from '../../shared/ageBins'
import { selectTrainingRows } from '../training/data'

export function createHandlers(studio: Studio): Handlers {
  const { catalog, files, jobs } = studio

  const requireRun = (runId: string) => {
    const run = catalog.runs.get(runId)
    if (!run) throw new StudioError('not_found', `There is no run ${runId}.`)
    return run
  }

  return {
    'app.info': async () => ({
      version,
      mode: studio.mode === 'electron' ? 'electron' : 'web',
      home: studio.home,
      catalogPath: catalog.path,
      schemaVersion: catalog.schemaVersion(),
      backend: await defaultTrainingBackend(),
      backends: await backendLadder(),
    }),

    ...libraryHandlers(studio),
    ...agingHandlers(studio),

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

    'runs.preview': async (config) => {
      requireDataset(catalog, config.datasetId)
      const perBin = emptyPerBin()
      for (const row of selectTrainingRows(catalog, config)) perBin[row.bin]++
      return { perBin, total: perBin.reduce((a, b) => a + b, 0) }
    },

    'runs.start': async (config) => ({ runId: await studio.training.start({ config }) }),

    'runs.resume': async ({ runId, checkpointId }) => {
      requireRun(runId)
      if (studio.training.isTraining(runId)) throw new StudioError('bad_input', `Run ${runId} is already training.`)
      if (checkpointId !== undefined) {
        const checkpoint = catalog.runs.checkpoint(checkpointId)
        if (!checkpoint || checkpoint.runId !== runId) throw new StudioError('not_found', `Run ${runId} has no checkpoint ${checkpointId}.`)
        for (const dropped of catalog.runs.rewind(runId, checkpoint)) rmSync(join(studio.home, dropped.dir), { recursive: true, force: true })
      }
      if (!catalog.runs.latestCheckpoint(runId)) throw new StudioError('bad_input', `Run ${runId} has no checkpoint to resume from.`)
      return { runId: await studio.training.start({ resumeRunId: runId }) }
    },

    'runs.pause': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'pause') }),
    'runs.continue': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'continue') }),
    'runs.cancel': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'cancel') }),

    'jobs.cancel': async ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
  }
}
