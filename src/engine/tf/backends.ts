/**
 * The tfjs backend ladder (docs/architecture.md), best first: tfjs-node-gpu (CUDA), tfjs-node
 * (libtensorflow), cpu+blas (tfjs CPU + the native BLAS kernels, registered in tfjs as 'cpu-blas'), cpu. wasm is used for
 * inference only: it has no Conv2DBackpropFilter, so it cannot train convolutions.
 */
import * as tf from '@tensorflow/tfjs'
import { createRequire } from 'node:module'
import { loadBlasAddon } from './blasAddon'
import { BLAS_BACKEND, registerBlasBackend } from './blasKernels'
import { fixResizeNearestNeighborGrad } from './resizeGrad'

export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'cpu+blas', 'cpu', 'wasm'] as const
export type BackendName = (typeof BACKEND_NAMES)[number]

export interface BackendStatus {
  name: BackendName
  available: boolean
  canTrain: boolean
  /** Why it is unavailable, or what it runs on. */
  detail: string
}

const requireHere = createRequire(__filename)

// Production mode: no debug checks, and no console banner urging tfjs-node on every start.
tf.enableProdMode()

/** Loads a native tfjs package behind a guard: they cannot install where libtensorflow can't download. */
function tryNative(pkg: string): string | null {
  try {
    requireHere(pkg)
    return null
  } catch (error) {
    const code = (error as { code?: string }).code
    return code === 'MODULE_NOT_FOUND' ? 'not installed' : `failed to load: ${(error as Error).message.split('\n')[0]}`
  }
}

let statuses: BackendStatus[] | undefined
let warnedSlow = false

export function backendStatuses(): BackendStatus[] {
  if (statuses) return statuses
  const gpu = tryNative('@tensorflow/tfjs-node-gpu')
  const node = gpu === null ? 'tfjs-node-gpu is loaded instead' : tryNative('@tensorflow/tfjs-node')
  const blas = loadBlasAddon()
  if (blas.addon) registerBlasBackend(blas.addon)
  // tfjs's own CPU kernel for this gradient is wrong for batches above one.
  for (const name of ['cpu', ...(blas.addon ? [BLAS_BACKEND] : [])]) fixResizeNearestNeighborGrad(name)
  statuses = [
    { name: 'tfjs-node-gpu', available: gpu === null, canTrain: true, detail: gpu ?? 'CUDA' },
    { name: 'tfjs-node', available: node === null, canTrain: true, detail: node ?? 'libtensorflow CPU' },
    { name: 'cpu+blas', available: blas.addon !== null, canTrain: true, detail: blas.addon ? blas.addon.info().library : blas.error },
    { name: 'cpu', available: true, canTrain: true, detail: 'tfjs plain JavaScript kernels (slow)' },
    { name: 'wasm', available: true, canTrain: false, detail: 'inference only (no Conv2DBackpropFilter)' },
  ]
  return statuses
}

/** The tfjs registry name behind each ladder name. */
export const TFJS_NAME: Record<BackendName, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  'cpu+blas': BLAS_BACKEND,
  cpu: 'cpu',
  wasm: 'wasm',
}

/** Picks the best backend (or the one asked for) and makes it tfjs's current backend. */
export async function useBackend(requested?: BackendName, forTraining = true): Promise<BackendStatus> {
  const ladder = backendStatuses()
  const chosen = requested
    ? ladder.find((status) => status.name === requested)!
    : ladder.find((status) => status.available && (status.canTrain || !forTraining))!
  if (!chosen.available) throw new Error(`Backend ${chosen.name} is not available: ${chosen.detail}.`)
  if (forTraining && !chosen.canTrain) throw new Error(`Backend ${chosen.name} cannot train: ${chosen.detail}.`)
  if (chosen.name === 'cpu' && forTraining && !requested && !warnedSlow) {
    warnedSlow = true
    const blas = ladder.find((status) => status.name === 'cpu+blas')!
    console.warn(`Age Studio: training on tfjs's plain CPU kernels, which are very slow: cpu+blas is unavailable (${blas.detail}).`)
  }
  if (chosen.name === 'wasm') await import('@tensorflow/tfjs-backend-wasm')
  if (!(await tf.setBackend(TFJS_NAME[chosen.name]))) throw new Error(`tfjs could not start the ${chosen.name} backend.`)
  await tf.ready()
  return chosen
}

/**
 * For inference only (face detection, landmarks, age estimates): the wasm backend's SIMD kernels
 * beat cpu+blas there (~0.5 s vs ~2 s per 1920 px photo measured), so it comes before the CPU ones.
 */
export async function useInferenceBackend(): Promise<BackendStatus> {
  const ladder = backendStatuses()
  const order: BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu+blas', 'cpu']
  const chosen = order.map((name) => ladder.find((status) => status.name === name)!).find((status) => status.available)!
  return useBackend(chosen.name, false)
}
