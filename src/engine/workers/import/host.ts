/** Runs an import in a worker thread as a studio job: progress relayed, cancel forwarded. */
import type { ImportOptions, ImportOutcome } from '../../datasets/importer'
import { workerJob } from '../workerJob'
import type { ImportWorkerMessage, ImportWorkerStart } from './protocol'
import type { Job } from '../jobs'

export function importInWorker(home: string, nativeBinding: string | undefined, options: ImportOptions, job: Job): Promise<ImportOutcome> {
  const workerData: ImportWorkerStart = { home, nativeBinding, options }
  return workerJob<ImportOutcome, ImportWorkerMessage>('importWorker', workerData, job, (message) => {
    if (message.type === 'done') return { result: message.outcome }
    return null
  })
}
