/** A run's status: in the catalog, and the event that tells every view, always together. */
import type { EventName, StudioEvents } from '../../shared/contract'
import type { CheckpointSummary, RunStatus } from '../../shared/domain'
import type { Catalog } from '../catalog/catalog'
import { removePartials } from '../model/checkpoint'
import { checkpointToRead, writableRunFolder } from '../runFolders'

type RunContext = { home: string; catalog: Catalog; emit: <E extends EventName>(event: E, payload: StudioEvents[E]) => void }

export function setRunStatus(ctx: Omit<RunContext, 'home'>, runId: string, status: RunStatus, error: string | null = null): void {
  ctx.catalog.runs.setStatus(runId, status, error)
  ctx.emit('run.status', { runId, status, error })
}

/**
 * A run starting on any backend: a resumed one is claimed and its latest checkpoint found,
 * half-written checkpoints are cleared, and every view hears that it runs. Its folders are checked
 * first: a run writes only into `runs/RUN_ID/` and resumes only from inside the data folder.
 */
export function startRun(ctx: RunContext, runId: string, resume: boolean): CheckpointSummary | undefined {
  const from = resume ? ctx.catalog.runs.latestCheckpoint(runId) : undefined
  if (resume && !from) throw new Error(`Run ${runId} has no checkpoint to resume from.`)
  const checkpoints = writableRunFolder(ctx.home, runId, 'checkpoints')
  if (from) checkpointToRead(ctx.home, from.dir)
  if (resume) ctx.catalog.runs.claim(runId)
  removePartials(checkpoints)
  ctx.emit('run.status', { runId, status: 'running', error: null })
  return from
}
