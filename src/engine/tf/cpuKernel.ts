/** What every kernel this project registers on a CPU-family backend receives, and its data access. */
import type * as tf from '@tensorflow/tfjs'
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'

export type Info = tf.TensorInfo
export type KernelArgs = { inputs: Record<string, Info>; backend: MathBackendCPU; attrs: Record<string, unknown> }

/** A float32 tensor's values, without a copy. */
export const values = (backend: MathBackendCPU, t: Info) => backend.data.get(t.dataId).values as Float32Array
