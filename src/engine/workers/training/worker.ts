/**
 * The training worker thread: opens its own catalog connection (SQLite WAL allows it), trains
 * one run and posts every event to the parent. Pause, continue and cancel arrive as messages.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Catalog } from '../../catalog/catalog'
import { FileStore } from '../../catalog/files'
import { createRun, trainRun, type RunControl } from '../../training/trainer'
import type { WorkerCommand, WorkerMessage, WorkerStart } from './protocol'
import { failure } from '../../errors'

const start = workerData as WorkerStart
const post = (message: WorkerMessage) => parentPort!.postMessage(message)
const control: RunControl = { paused: false, cancelled: false }

parentPort!.on('message', (command: WorkerCommand) => {
  if (command === 'pause') control.paused = true
  if (command === 'continue') control.paused = false
  if (command === 'cancel') control.cancelled = true
  if (command === 'interrupt') control.cancelled = control.interrupted = true
})

/** Trains, closes the catalog, then says how it ended: the host ends this thread on that last message. */
async function main() {
  const catalog = Catalog.open(start.home, { nativeBinding: start.nativeBinding })
  let last: WorkerMessage
  try {
    // A resumed run is leased before it counts as started, so a refusal answers the caller.
    if (start.resumeRunId) catalog.runs.claim(start.resumeRunId)
    const runId = start.resumeRunId ?? (await createRun(catalog, start.config)).runId
    post({ type: 'started', runId })
    const outcome = await trainRun(
      { home: start.home, catalog, files: new FileStore(start.home), emit: (event, payload) => post({ type: 'event', event, payload }) },
      runId,
      control,
      start.resumeRunId !== undefined,
    )
    last = { type: 'done', outcome }
  } catch (error) {
    last = { type: 'failed', ...failure(error) }
  } finally {
    catalog.close()
  }
  post(last)
}

void main()
