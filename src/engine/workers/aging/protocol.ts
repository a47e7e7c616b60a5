/** Messages between the studio and an aging worker thread (the editor's, one batch's or one evaluation's). */
import type { BatchReport, EditorProgress } from '../../../shared/aging'
import type { ErrorCode } from '../../../shared/contract'
import type { EditorSessions } from '../../aging/editorSessions'
import type { BatchRequest } from '../../aging/batch'
import type { EvaluateRequest, EvaluationSummary } from '../../../shared/evaluation'

export type AgingWorkerStart =
  | { role: 'editor'; home: string; nativeBinding?: string }
  | { role: 'batch'; home: string; nativeBinding?: string; jobId: string; request: BatchRequest }
  | { role: 'evaluate'; home: string; nativeBinding?: string; request: EvaluateRequest }

/** The editor's methods, called by name with their own arguments. */
export type EditorMethod = 'open' | 'prepare' | 'refine' | 'stop' | 'render' | 'preview' | 'strip' | 'variations' | 'export' | 'close'
export type EditorArgs<M extends EditorMethod> = Parameters<EditorSessions[M]>
export type EditorResult<M extends EditorMethod> = Awaited<ReturnType<EditorSessions[M]>>

export interface EditorRequest {
  id: number
  method: EditorMethod
  args: unknown[]
}

export type AgingWorkerMessage =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; code: ErrorCode; error: string }
  | { type: 'editor.progress'; progress: EditorProgress }
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; report: BatchReport }
  | { type: 'evaluated'; evaluation: EvaluationSummary }
  | { type: 'failed'; code: ErrorCode; error: string }

/** Sent to the editor's thread when the studio closes: it exits from its own message handler. */
export const SHUTDOWN = 'shutdown'
