/** A run's status: in the catalog, and the event that tells every view, always together. */
import { join } from 'node:path'
import type { EventName, StudioEvents } from '../../shared/contract'
import type { CheckpointSummary, RunStatus } from '../../shared/domain'
import type { Catalog } from '../catalog/catalog'
import { removePartials } from '../model/checkpoint'

type RunContext = { home: string; catalog: Catalog; emit: <E extends EventName>(event: E, payload: StudioEvents[E]) => void }

export function setRunStatus(ctx: Omit<RunContext, 'home'>, runId: string, status: RunStatus, error: string | null = null): void {
  ctx.catalog.runs.setStatus(runId, status, error)
  ctx.emit('run.status', { runId, status, error })
}

/**
 * A run starting on any backend: a resumed one is claimed and its latest checkpoint found,
 * half-written checkpoints are cleared, and every view hears that it runs.
 */
export function startRun(ctx: RunContext, runId: string, resume: boolean): CheckpointSummary | undefined {
  const from = resume ? ctx.catalog.runs.latestCheckpoint(runId) : undefined
  if (resume && !from) throw new Error(`Run ${runId} has no checkpoint to resume from.`)
  if (resume) ctx.catalog.runs.claim(runId)
  removePartials(join(ctx.home, 'runs', runId, 'checkpoints'))
  ctx.emit('run.status', { runId, status: 'running', error: null })
  return from
}
