/** Runs an import in a worker thread as a studio job: progress relayed, cancel forwarded. */
import { Worker } from 'node:worker_threads'
import { StudioError } from '../../shared/contract'
import type { ImportOptions, ImportOutcome } from '../datasets/importer'
import { workerScript } from './workerScript'
import type { ImportWorkerMessage, ImportWorkerStart } from './importProtocol'
import { JobCancelled, type Job } from './jobs'

export async function importInWorker(home: string, nativeBinding: string | undefined, options: ImportOptions, job: Job): Promise<ImportOutcome> {
  const script = workerScript('importWorker')
  const workerData: ImportWorkerStart = { home, nativeBinding, options }
  const worker = new Worker(script, { workerData })
  const cancel = () => worker.postMessage('cancel')
  job.signal.addEventListener('abort', cancel)
  return new Promise<ImportOutcome>((resolve, reject) => {
    worker.on('message', (message: ImportWorkerMessage) => {
      if (message.type === 'progress') job.progress(message.done, message.total)
      else if (message.type === 'done') resolve(message.outcome)
      else if (message.type === 'cancelled') reject(new JobCancelled())
      else reject(message.badInput ? new StudioError('bad_input', message.error) : new Error(message.error))
    })
    worker.on('error', reject)
    worker.on('exit', (code) => reject(new Error(`The import worker stopped unexpectedly (exit code ${code}).`)))
  }).finally(() => {
    job.signal.removeEventListener('abort', cancel)
    void worker.terminate() // its message listener would keep the thread (and a CLI) alive
  })
}
