/** A run's status: in the catalog, and the event that tells every view, always together. */
import type { EventName, StudioEvents } from '../../shared/contract'
import type { RunStatus } from '../../shared/domain'
import type { Catalog } from '../catalog/catalog'

export function setRunStatus(
  ctx: { catalog: Catalog; emit: <E extends EventName>(event: E, payload: StudioEvents[E]) => void },
  runId: string,
  status: RunStatus,
  error: string | null = null,
): void {
  ctx.catalog.runs.setStatus(runId, status, error)
  ctx.emit('run.status', { runId, status, error })
}
