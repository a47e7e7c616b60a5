/**
 * The aging worker thread: latent optimisation, rendering and compositing never run on the
 * thread that serves the UI. As the editor's worker it answers EditorSessions calls; as a batch
 * worker it runs one batch or one evaluation and reports progress, stopping when told to cancel.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runBatch } from '../../aging/batch'
import { evaluateCheckpoint } from '../../evaluation/evaluate'
import { EditorSessions } from '../../aging/editorSessions'
import { errorCode } from '../../errors'
import { Catalog } from '../../catalog/catalog'
import { splitInference } from '../../tf/inferenceSplit'
import { SHUTDOWN, type AgingWorkerMessage, type AgingWorkerStart, type EditorRequest } from './protocol'

const start = workerData as AgingWorkerStart
const post = (message: AgingWorkerMessage) => parentPort!.postMessage(message)

async function editor(catalog: Catalog, backend: string): Promise<void> {
  const sessions = new EditorSessions(start.home, catalog, backend, (progress) => post({ type: 'editor.progress', progress }))
  const answer = async (request: EditorRequest) => {
    try {
      const method = sessions[request.method].bind(sessions) as (...args: unknown[]) => unknown
      post({ type: 'reply', id: request.id, ok: true, result: await method(...request.args) })
    } catch (error) {
      post({ type: 'reply', id: request.id, ok: false, code: errorCode(error), error: (error as Error).message })
    }
  }
  parentPort!.on('message', (request: EditorRequest | typeof SHUTDOWN) => {
    // Ended from its own message handler, never from outside while a kernel runs: terminating a
    // thread inside a native call aborts the whole process.
    if (request === SHUTDOWN) process.exit(0)
    void answer(request)
  })
}

/** One job (a batch or an evaluation): progress posted, stopped when told to cancel. */
async function job(catalog: Catalog, backend: string): Promise<void> {
  const controller = new AbortController()
  parentPort!.on('message', (command: 'cancel') => command === 'cancel' && controller.abort())
  const hooks = { signal: controller.signal, progress: (done: number, total: number) => post({ type: 'progress', done, total }) }
  try {
    if (start.role === 'batch') post({ type: 'done', report: await runBatch(catalog, start.home, backend, start.jobId, start.request, hooks) })
    if (start.role === 'evaluate') post({ type: 'evaluated', evaluation: await evaluateCheckpoint(start.home, catalog, start.request, hooks) })
  } catch (error) {
    post({ type: 'failed', code: errorCode(error), error: (error as Error).message })
  } finally {
    catalog.close()
  }
}

async function main() {
  const catalog = Catalog.open(start.home, { nativeBinding: start.nativeBinding })
  // Before any face-api call: its wasm build registers a higher-priority backend that is never started.
  // Detection, the age estimate and the judges run on the inference backend beside it (tf/inferenceSplit.ts).
  const backend = (await splitInference()).gradient
  if (start.role === 'editor') await editor(catalog, backend)
  else await job(catalog, backend)
}

void main()
