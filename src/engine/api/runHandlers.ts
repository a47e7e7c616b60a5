/** The Training view's calls: list, inspect, start, steer, describe, delete and export runs. */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { StudioError, type Handlers } from '../../shared/contract'
import { emptyPerBin } from '../../shared/ageBins'
import { forNewRun } from '../../shared/training'
import { isReadOnlyRun } from '../../shared/aging'
import { isStoredFile, writeFileAtomic } from '../catalog/files'
import { removeOwned } from '../runFolders'
import { refuseShipped } from '../aging/defaultModel'
import { metricsCsv } from '../training/metricsCsv'
import type { Studio } from '../studio'
import { requireDataset } from './libraryHandlers'
import { studioPath } from './paths'

type RunCalls = Pick<Handlers, Extract<keyof Handlers, `runs.${string}`>>

/** Streams text chunks into `path` (never over a file unless `overwrite`, never into a missing folder); returns the line count. */
async function writeChunks(path: string, chunks: Iterable<string>, overwrite: boolean): Promise<number> {
  let lines = 0
  const counted = (function* () {
    for (const chunk of chunks) {
      lines += chunk.split('\n').length - 1
      yield chunk
    }
  })()
  await writeFileAtomic(path, counted, { overwrite, createFolder: false })
  return lines
}

export function runHandlers(studio: Studio): RunCalls {
  const { catalog, files } = studio

  const requireRun = (runId: string) => {
    const run = catalog.runs.get(runId)
    if (!run) throw new StudioError('not_found', `There is no run ${runId}.`)
    return run
  }

  return {
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
      for (const row of catalog.images.trainingRows(forNewRun(config))) perBin[row.bin]++
      return { perBin, total: perBin.reduce((a, b) => a + b, 0) }
    },

    'runs.start': async (config) => ({ runId: await studio.training.start({ config }) }),

    'runs.resume': async ({ runId, checkpointId }) => {
      requireRun(runId)
      refuseShipped(catalog, runId, 'trained further or rewound')
      if (isReadOnlyRun(catalog.runs.get(runId)?.origin)) {
        throw new StudioError(
          'bad_input',
          `${runId} came from a model bundle, which holds G and E only (no discriminator or optimizer state): it cannot be trained further or rewound.`,
        )
      }
      if (studio.training.isTraining(runId)) throw new StudioError('bad_input', `Run ${runId} is already training.`)
      if (checkpointId !== undefined) {
        await studio.training.closed(runId)
        const checkpoint = catalog.runs.checkpoint(checkpointId)
        if (!checkpoint || checkpoint.runId !== runId) throw new StudioError('not_found', `Run ${runId} has no checkpoint ${checkpointId}.`)
        const { origin } = requireRun(runId)
        for (const dropped of catalog.runs.rewind(runId, checkpoint)) removeOwned(studio.home, runId, origin, dropped.dir)
      }
      if (!catalog.runs.latestCheckpoint(runId)) throw new StudioError('bad_input', `Run ${runId} has no checkpoint to resume from.`)
      return { runId: await studio.training.start({ resumeRunId: runId }) }
    },

    'runs.evaluate': async (request) => {
      requireRun(request.runId)
      return studio.jobs.run(
        'evaluate',
        (job) => studio.aging.evaluate(request, job),
        (job) => job.progress(0, request.faces),
      )
    },
    'runs.evaluations': async ({ runId }) => catalog.evaluations.forRun(requireRun(runId).id),

    'runs.pause': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'pause') }),
    'runs.continue': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'continue') }),
    'runs.cancel': async ({ runId }) => ({ ok: studio.training.command(requireRun(runId).id, 'cancel') }),

    'runs.describe': async ({ runId, name, notes }) => {
      requireRun(runId)
      refuseShipped(catalog, runId, 'renamed or annotated')
      catalog.runs.describe(runId, { name, notes })
      studio.events.emit('run.changed', { runId, deleted: false })
      return requireRun(runId)
    },

    'runs.delete': async ({ runId }) => {
      const { origin } = requireRun(runId)
      refuseShipped(catalog, runId, 'deleted')
      if (studio.training.isTraining(runId)) throw new StudioError('busy', `Run ${runId} is training: cancel it first.`)
      await studio.training.closed(runId)
      const samples = catalog.runs.samples(runId).map((s) => s.file)
      const checkpoints = catalog.runs.delete(runId)
      // The run's own folder, and an imported bundle's model folder; a row pointing elsewhere is not followed.
      for (const dir of [join('runs', runId), ...checkpoints.map((c) => c.dir)]) removeOwned(studio.home, runId, origin, dir)
      // Sample grids live in the shared file store: only those nothing else uses go.
      for (const file of catalog.runs.unreferenced(samples)) if (isStoredFile(file)) rmSync(files.resolve(file), { force: true })
      studio.events.emit('run.changed', { runId, deleted: true })
      return { checkpoints: checkpoints.length, samples: samples.length }
    },

    'runs.exportMetrics': async ({ runId, out, force }) => {
      requireRun(runId)
      const path = studioPath(studio, out, 'The CSV file')
      const lines = await writeChunks(path, metricsCsv(catalog.runs, runId), force)
      return { path, rows: lines - 1 }
    },
  }
}
