/**
 * The whole training ladder, best first (docs/architecture.md): torch-cuda, tfjs-node-gpu, tfjs-node,
 * torch-cpu, cpu+blas, cpu, and wasm for inference. A run that names no backend takes the first
 * available one that trains, except torch-cpu: it is faster than cpu+blas (stack.md: 1.4–1.6×)
 * but starts a Python process and gives up tfjs's byte-exact resume, so it is chosen by name.
 */
import type { BackendInfo } from '../../shared/domain'
import { TRAIN_BACKENDS } from '../../shared/training'
import { backendStatuses } from '../tf/backends'
import { torchBackendStatuses } from '../torch/python'

/** The training ladder, then wasm (inference only). */
const ORDER = [...TRAIN_BACKENDS, 'wasm'] as const

export async function backendLadder(): Promise<BackendInfo[]> {
  const all: BackendInfo[] = [...backendStatuses(), ...(await torchBackendStatuses())]
  return ORDER.map((name) => all.find((status) => status.name === name)!)
}

/** What a new run trains on when it names no backend. */
export async function defaultTrainingBackend(): Promise<(typeof TRAIN_BACKENDS)[number]> {
  const chosen = (await backendLadder()).find((b) => b.available && b.canTrain && b.name !== 'torch-cpu')
  return chosen!.name as (typeof TRAIN_BACKENDS)[number]
}
