/** The editor's, batch's, model bundles' and uploads' calls. Heavy work goes to the aging workers. */
import { randomBytes } from 'node:crypto'
import { basename, join } from 'node:path'
import type { Handlers } from '../../shared/contract'
import { storedBatch } from '../aging/batch'
import { exportModelBundle, importModelBundle } from '../aging/bundle'
import { batchOutDir, outputFiles } from '../downloads'
import { collectUploads } from '../uploadedFolders'
import type { Studio } from '../studio'
import { studioPath } from './paths'

/** A batch given no output folder gets its own under the data directory: "batches/2026-12-01 1405 case-3f2a". */
/**
 * "batches/2026-12-07 0246 CACD-63e3": when it ran, then what it aged. A web-mode sending is already
 * named by its own time ("2026-12-07 024618 CACD"); that stamp is dropped so the date is not said twice.
 */
export function newBatchFolder(home: string, firstInput: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 16).replace('T', ' ').replace(':', '')
  const label =
    basename(firstInput)
      .replace(/^\d{4}-\d{2}-\d{2}[ _T]\d{4,6}(?:[ _]+|$)/, '')
      .replace(/[^\p{L}\p{N}._-]+/gu, '_')
      .slice(0, 40) || 'photos'
  return join(home, 'batches', `${stamp} ${label}-${randomBytes(2).toString('hex')}`)
}

type AgingCalls = Pick<Handlers, Extract<keyof Handlers, `${'uploads' | 'editor' | 'models' | 'batch'}.${string}`>>

export function agingHandlers(studio: Studio): AgingCalls {
  const { catalog, aging, uploads, home } = studio
  const filePath = (ref: { path: string } | { uploadId: string }, what: string) =>
    'path' in ref ? { path: studioPath(studio, ref.path, what), name: undefined } : uploads.file(ref.uploadId)

  // A batch is cancellable from its first moment: 0 of 0 says "started, loading" with the job's id.
  const announce = (job: { progress: (done: number, total: number) => void }) => job.progress(0, 0)

  return {
    'uploads.begin': async ({ name, size }) => uploads.begin(name, size),
    'uploads.chunk': async ({ uploadId, offset, data }) => uploads.chunk(uploadId, offset, data),
    'uploads.finish': async ({ uploadId }) => uploads.finish(uploadId),
    'uploads.collect': async ({ folder, files }) => collectUploads(studio.home, uploads, folder, files),

    // On first start the shipped model may still be unpacking: the list waits for it.
    'editor.models': async () => (await studio.defaultModel, catalog.runs.encoderCheckpoints()),
    'editor.open': async (ref) => {
      const { path, name } = filePath(ref, 'The photo')
      return aging.editorCall('open', path, name)
    },
    'editor.prepare': async ({ sessionId, faceIndex, runId, checkpointId, sourceAge }) =>
      aging.editorCall('prepare', sessionId, faceIndex, runId, checkpointId, sourceAge),
    'editor.refine': async ({ sessionId, mode, iterations, from }) => aging.editorCall('refine', sessionId, mode, iterations, from),
    'editor.stop': async ({ sessionId }) => aging.editorCall('stop', sessionId),
    'editor.render': async ({ sessionId, ...look }) => aging.editorCall('render', sessionId, look),
    'editor.preview': async ({ sessionId, ...look }) => aging.editorCall('preview', sessionId, look),
    'editor.strip': async ({ sessionId, variation, spread, mode, strength }) => aging.editorCall('strip', sessionId, variation, spread, mode, strength),
    'editor.variations': async ({ sessionId, count, ...look }) => aging.editorCall('variations', sessionId, look, count),
    'editor.export': async ({ sessionId, format, outDir, ...look }) =>
      aging.editorCall('export', sessionId, look, format, outDir && studioPath(studio, outDir, 'The export folder')),
    'editor.close': async ({ sessionId }) => aging.editorCall('close', sessionId),

    'models.export': async ({ runId, checkpointId, out, force }) =>
      exportModelBundle(home, catalog, runId, checkpointId, studioPath(studio, out, 'The bundle file'), force),
    'models.import': async (ref) => {
      const { path } = filePath(ref, 'The bundle file')
      const { runId, checkpointId, modelHash, alreadyImported } = await importModelBundle(home, catalog, path)
      return { runId, checkpointId, modelHash, alreadyImported }
    },

    'batch.run': async (request) => {
      const paths = request.paths.map((path) => studioPath(studio, path, 'Each photo or folder'))
      const outDir = request.outDir ? studioPath(studio, request.outDir, 'The output folder') : newBatchFolder(home, paths[0])
      return studio.jobs.run('batch', (job) => aging.batch(job.id, { ...request, paths, outDir }, job), announce)
    },
    'batch.resume': async ({ jobId }) => {
      const request = storedBatch(catalog, jobId)
      return studio.jobs.run('batch', (job) => aging.batch(jobId, request, job), announce)
    },

    'batch.files': async ({ jobId }) => {
      const outDir = batchOutDir(studio, jobId)
      return { outDir, files: outputFiles(outDir) }
    },
  }
}
