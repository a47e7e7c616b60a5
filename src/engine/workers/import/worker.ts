/**
 * The import worker thread: face detection is heavy, so it never runs on the thread serving the
 * UI. Opens its own catalog connection, imports, and posts progress and the outcome.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Catalog } from '../../catalog/catalog'
import { FileStore } from '../../catalog/files'
import { importPhotos } from '../../datasets/importer'
import { useInferenceBackend } from '../../tf/backends'
import { JobCancelled } from '../jobs'
import { failure } from '../../errors'
import type { ImportWorkerMessage, ImportWorkerStart } from './protocol'

const start = workerData as ImportWorkerStart
const post = (message: ImportWorkerMessage) => parentPort!.postMessage(message)
let cancelled = false
parentPort!.on('message', (command: 'cancel') => {
  if (command === 'cancel') cancelled = true
})

async function main() {
  const catalog = Catalog.open(start.home, { nativeBinding: start.nativeBinding })
  try {
    await useInferenceBackend()
    const outcome = await importPhotos(catalog, new FileStore(start.home), start.options, {
      checkpoint: () => {
        if (cancelled) throw new JobCancelled()
      },
      progress: (done, total) => post({ type: 'progress', done, total }),
    })
    post({ type: 'done', outcome })
  } catch (error) {
    post({ type: 'failed', ...failure(error) })
  } finally {
    catalog.close()
  }
}

void main()
