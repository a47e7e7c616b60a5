/** Messages between the studio and a training worker thread. */
import type { ErrorCode, EventName, StudioEvents } from '../../../shared/contract'
import type { RunOutcome } from '../../training/trainer'

export interface WorkerStart {
  home: string
  nativeBinding?: string
  /** A new run's configuration (validated in the worker), or the run to resume. */
  config?: unknown
  resumeRunId?: string
}

/** `interrupt`: the studio is shutting down; the run stops after this step as 'interrupted', to be resumed. */
export type WorkerCommand = 'pause' | 'continue' | 'cancel' | 'interrupt'

export type WorkerMessage =
  | { type: 'started'; runId: string }
  | { type: 'event'; event: EventName; payload: StudioEvents[EventName] }
  | { type: 'done'; outcome: RunOutcome }
  | { type: 'failed'; code: ErrorCode; error: string }
