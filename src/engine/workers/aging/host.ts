/**
 * The studio's side of the aging workers: one long-lived editor worker (its sessions hold loaded
 * models and latents between calls) and one worker per batch or evaluation, ended with it.
 */
import { Worker } from 'node:worker_threads'
import type { BatchReport } from '../../../shared/aging'
import { StudioError } from '../../../shared/contract'
import type { BatchRequest } from '../../aging/batch'
import type { EvaluateRequest, EvaluationSummary } from '../../../shared/evaluation'
import type { EventHub } from '../../events'
import { SHUTDOWN, type AgingWorkerMessage, type AgingWorkerStart, type EditorArgs, type EditorMethod, type EditorResult } from './protocol'
import type { Job } from '../jobs'
import { fromFailure } from '../../errors'
import { workerScript } from '../workerScript'
import { workerJob } from '../workerJob'

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void }

export class AgingHost {
  private editor?: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 1

  constructor(
    private readonly home: string,
    private readonly events: EventHub,
    private readonly nativeBinding?: string,
  ) {}

  private editorWorker(): Worker {
    if (this.editor) return this.editor
    const workerData: AgingWorkerStart = { role: 'editor', home: this.home, nativeBinding: this.nativeBinding }
    const worker = new Worker(workerScript('agingWorker'), { workerData })
    worker.on('message', (message: AgingWorkerMessage) => {
      if (message.type === 'editor.progress') this.events.emit('editor.progress', message.progress)
      if (message.type !== 'reply') return
      const pending = this.pending.get(message.id)
      this.pending.delete(message.id)
      if (message.ok) pending?.resolve(message.result)
      else pending?.reject(fromFailure(message))
    })
    const lost = (why: string) => {
      if (this.editor !== worker) return
      this.editor = undefined
      for (const { reject } of this.pending.values()) reject(new StudioError('internal', `The editor's worker stopped (${why}); open the photo again.`))
      this.pending.clear()
    }
    worker.on('error', (error) => lost(error.message))
    worker.on('exit', (code) => lost(`exit code ${code}`))
    this.editor = worker
    return worker
  }

  /** Calls an editor method in the worker. */
  editorCall<M extends EditorMethod>(method: M, ...args: EditorArgs<M>): Promise<EditorResult<M>> {
    const worker = this.editorWorker()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage({ id, method, args })
    })
  }

  /** Runs one batch in its own worker as a studio job: progress relayed, cancel forwarded. */
  batch(jobId: string, request: BatchRequest, job: Job): Promise<BatchReport> {
    const workerData: AgingWorkerStart = { role: 'batch', home: this.home, nativeBinding: this.nativeBinding, jobId, request }
    return workerJob<BatchReport, AgingWorkerMessage>('agingWorker', workerData, job, (message) => {
      if (message.type === 'done') return { result: message.report }
      return null
    })
  }

  /** Evaluates one checkpoint in its own worker as a studio job. */
  evaluate(request: EvaluateRequest, job: Job): Promise<EvaluationSummary> {
    const workerData: AgingWorkerStart = { role: 'evaluate', home: this.home, nativeBinding: this.nativeBinding, request }
    return workerJob<EvaluationSummary, AgingWorkerMessage>('agingWorker', workerData, job, (message) =>
      message.type === 'evaluated' ? { result: message.evaluation } : null,
    )
  }

  /**
   * Asks the editor's thread to end itself between calls (exit code 0); it is terminated (exit
   * code 1) only if it has not within 10 s. Resolves with that exit code, null when none ran.
   */
  async stop(): Promise<number | null> {
    const editor = this.editor
    if (!editor) return null
    const code = await new Promise<number>((resolve) => {
      const force = setTimeout(() => void editor.terminate(), 10_000)
      editor.once('exit', (exitCode) => (clearTimeout(force), resolve(exitCode)))
      editor.postMessage(SHUTDOWN)
    })
    this.editor = undefined
    return code
  }
}
