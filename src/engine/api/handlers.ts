/** The engine's implementation of every call in the contract; both transports use these. */
import type { Handlers } from '../../shared/contract'
import { version } from '../../../package.json'
import { backendLadder, defaultTrainingBackend } from '../training/backendLadder'
import type { Studio } from '../studio'
import { libraryHandlers } from './libraryHandlers'
import { agingHandlers } from './agingHandlers'
import { runHandlers } from './runHandlers'

export function createHandlers(studio: Studio): Handlers {
  const { catalog, jobs } = studio

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

    ...runHandlers(studio),

    'jobs.cancel': async ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
  }
}
