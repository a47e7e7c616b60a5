/**
 * Runs training in worker threads, never on the thread that serves the UI (web server or
 * Electron main). Relays the worker's events to the studio's event hub. A thread lives exactly
 * as long as its run: it is ended on the run's last message, so no finished run keeps its
 * thread or its tensors.
 */
import { Worker } from 'node:worker_threads'
import { StudioError } from '../../../shared/contract'
import type { RunRepo } from '../../catalog/runs'
import type { RunStatus } from '../../../shared/domain'
import type { EventHub } from '../../events'
import { workerScript } from '../workerScript'
import type { WorkerCommand, WorkerMessage, WorkerStart } from './protocol'

/** A run in one of these has ended, even while its thread is still closing. */
const ENDED: RunStatus[] = ['done', 'cancelled', 'failed', 'interrupted']

export class TrainingHost {
  /** Threads by the run they train, once started. */
  private readonly workers = new Map<string, Worker>()
  /** Every live thread, started or not: what a shutdown waits for. */
  private readonly threads = new Set<Worker>()
  /** Resumes asked for whose thread has not said 'started' yet: a second ask is refused at once. */
  private readonly starting = new Set<string>()

  constructor(
    private readonly home: string,
    private readonly events: EventHub,
    private readonly runs: RunRepo,
    private readonly nativeBinding?: string,
  ) {}

  /** Starts a worker; resolves with the run id once the run exists in the catalog (and is leased). */
  start(request: { config?: unknown; resumeRunId?: string }): Promise<string> {
    const resuming = request.resumeRunId
    if (resuming && (this.isTraining(resuming) || this.starting.has(resuming))) {
      return Promise.reject(new StudioError('bad_input', `Run ${resuming} is already training.`))
    }
    // The run has ended but its thread is still closing (a resume right after a cancel): start once it has gone.
    if (!resuming || !this.hasThread(resuming)) return this.spawn(request)
    this.starting.add(resuming)
    return this.closed(resuming).then(() => {
      this.starting.delete(resuming)
      return this.spawn(request)
    })
  }

  private spawn(request: { config?: unknown; resumeRunId?: string }): Promise<string> {
    const resuming = request.resumeRunId
    let script: string
    try {
      script = workerScript('trainWorker')
    } catch (error) {
      return Promise.reject(error as Error)
    }
    const workerData: WorkerStart = { home: this.home, nativeBinding: this.nativeBinding, ...request }
    const worker = new Worker(script, { workerData })
    this.threads.add(worker)
    if (resuming) this.starting.add(resuming)
    return new Promise((resolve, reject) => {
      let runId: string | undefined
      let ended = false
      const settleStart = () => resuming && this.starting.delete(resuming)
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'started') {
          runId = message.runId
          this.workers.set(runId, worker)
          settleStart()
          resolve(runId)
        } else if (message.type === 'event') {
          this.events.emit(message.event, message.payload)
        } else {
          // 'done' or 'failed': the worker has closed its catalog; nothing is left for the thread to do.
          ended = true
          // A run refused before it started was refused for its request (no images, a busy lease…).
          if (!runId)
            reject(
              message.type === 'failed'
                ? new StudioError(message.code === 'internal' ? 'bad_input' : message.code, message.error)
                : new StudioError('bad_input', 'The run ended before it started.'),
            )
          void worker.terminate()
        }
      })
      worker.on('error', (error) => {
        if (!runId) return reject(error)
        ended = true
        this.markEnded(runId, 'failed', error.message)
      })
      worker.on('exit', () => {
        this.threads.delete(worker)
        settleStart()
        if (!runId) return reject(new StudioError('internal', 'The training thread stopped before the run started.'))
        this.workers.delete(runId)
        // A thread that died without its last word left the run 'running': say so, and free its lease.
        if (!ended) this.markEnded(runId, 'interrupted')
      })
    })
  }

  /** Records how a run ended when its thread could not say so itself. */
  private markEnded(runId: string, status: 'interrupted' | 'failed', error: string | null = null): void {
    try {
      const run = this.runs.get(runId)
      if (run?.status !== 'running' && run?.status !== 'paused') return
      this.runs.setStatus(runId, status, error)
      this.events.emit('run.status', { runId, status, error })
    } catch {
      // The catalog is already closed (the studio is shutting down); the next start marks it.
    }
  }

  command(runId: string, command: WorkerCommand): boolean {
    const worker = this.workers.get(runId)
    worker?.postMessage(command)
    return worker !== undefined
  }

  /** Whether a thread for the run is still alive (training, or closing after its run ended). */
  hasThread(runId: string): boolean {
    return this.workers.has(runId)
  }

  /** Resolves once the run has no thread: what deleting or rewinding an ended run waits for, so no closing thread still writes there. */
  closed(runId: string): Promise<void> {
    const worker = this.workers.get(runId)
    return worker ? new Promise((resolve) => worker.once('exit', () => resolve())) : Promise.resolve()
  }

  /** Whether the run trains now: its thread is alive and the run has not ended (a cancelled run's thread may still be closing). */
  isTraining(runId: string): boolean {
    if (!this.workers.has(runId)) return false
    const status = this.runs.get(runId)?.status
    return status === undefined || !ENDED.includes(status)
  }

  /**
   * Ends every training thread; their runs become 'interrupted', resumable from the last
   * checkpoint. Each is asked to stop after its current step and ends itself: terminating a thread
   * while it is inside the native kernels (or loading them) aborts the whole process. Only a
   * thread still busy after `graceMs` is terminated.
   */
  async stopAll(graceMs = 30_000): Promise<void> {
    await Promise.all(
      [...this.threads].map(
        (worker) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => void worker.terminate(), graceMs)
            worker.once('exit', () => (clearTimeout(force), resolve()))
            worker.postMessage('interrupt' satisfies WorkerCommand)
          }),
      ),
    )
  }
}
