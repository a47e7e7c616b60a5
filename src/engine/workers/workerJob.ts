/**
 * One job in its own worker thread: progress messages relayed to the job, cancel forwarded as a
 * 'cancel' message, and the thread ended when the job settles (its message listener would keep
 * the thread, and a CLI, alive).
 */
import { Worker } from 'node:worker_threads'
import type { ErrorCode } from '../../shared/contract'
import { fromFailure } from '../errors'
import { JobCancelled, type Job } from './jobs'
import { workerScript } from './workerScript'

type Progress = { type: 'progress'; done: number; total: number }
/** Every worker reports failure this one way (engine/errors.ts `failure`). */
type Failed = { type: 'failed'; code: ErrorCode; error: string }

/** outcome() turns a worker's 'done' message into the job's result; null for "not yet". */
export async function workerJob<T, M extends { type: string }>(
  name: Parameters<typeof workerScript>[0],
  workerData: unknown,
  job: Job,
  outcome: (message: M) => { result: T } | { error: Error } | null,
): Promise<T> {
  const worker = new Worker(workerScript(name), { workerData })
  const cancel = () => worker.postMessage('cancel')
  job.signal.addEventListener('abort', cancel)
  return new Promise<T>((resolve, reject) => {
    worker.on('message', (message: M | Progress | Failed) => {
      if (message.type === 'progress') return job.progress((message as Progress).done, (message as Progress).total)
      if (message.type === 'failed') {
        const failed = message as Failed
        return reject(failed.code === 'cancelled' ? new JobCancelled() : fromFailure(failed))
      }
      const settled = outcome(message as M)
      if (settled && 'result' in settled) resolve(settled.result)
      else if (settled) reject(settled.error)
    })
    worker.on('error', reject)
    worker.on('exit', (code) => reject(new Error(`The ${name} thread stopped unexpectedly (exit code ${code}).`)))
  }).finally(() => {
    job.signal.removeEventListener('abort', cancel)
    void worker.terminate()
  })
}
