/**
 * Runs training in worker threads, never on the thread that serves the UI (web server or
 * Electron main). Relays the worker's events to the studio's event hub.
 */
import { Worker } from 'node:worker_threads'
import { StudioError } from '../../shared/contract'
import type { EventHub } from '../events'
import { workerScript } from './workerScript'
import type { WorkerCommand, WorkerMessage, WorkerStart } from './trainingProtocol'

export class TrainingManager {
  private readonly workers = new Map<string, Worker>()

  constructor(
    private readonly home: string,
    private readonly events: EventHub,
    private readonly nativeBinding?: string,
  ) {}

  /** Starts a worker; resolves with the run id once the run exists in the catalog. */
  start(request: { config?: unknown; resumeRunId?: string }): Promise<string> {
    if (request.resumeRunId && this.workers.has(request.resumeRunId)) {
      return Promise.reject(new StudioError('bad_input', `Run ${request.resumeRunId} is already training.`))
    }
    let script: string
    try {
      script = workerScript('trainWorker')
    } catch (error) {
      return Promise.reject(error)
    }
    const workerData: WorkerStart = { home: this.home, nativeBinding: this.nativeBinding, ...request }
    const worker = new Worker(script, { workerData })
    return new Promise((resolve, reject) => {
      let runId: string | undefined
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'started') {
          runId = message.runId
          this.workers.set(runId, worker)
          resolve(runId)
        } else if (message.type === 'event') {
          this.events.emit(message.event, message.payload as never)
        } else if (message.type === 'failed' && !runId) {
          reject(new StudioError('bad_input', message.error))
        }
        // The run is over once the worker says so, even before the thread has exited.
        if ((message.type === 'done' || message.type === 'failed') && runId) this.workers.delete(runId)
      })
      worker.on('error', (error) => (runId ? this.events.emit('run.status', { runId, status: 'failed', error: error.message }) : reject(error)))
      worker.on('exit', () => runId && this.workers.delete(runId))
    })
  }

  command(runId: string, command: WorkerCommand): boolean {
    const worker = this.workers.get(runId)
    worker?.postMessage(command)
    return worker !== undefined
  }

  isTraining(runId: string): boolean {
    return this.workers.has(runId)
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.terminate()))
    this.workers.clear()
  }
}
