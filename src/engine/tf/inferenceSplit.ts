/**
 * Two backends in one thread, as the aging worker runs them: the networks that only infer (face
 * detection and landmarks, the age estimate, the independent judges) on the inference backend,
 * wasm, whose SIMD kernels detect a 1920 px photo's faces in ~450 ms against ~2,300 on cpu+blas and
 * run the identity judge in 7 ms against 45; G, E and the recognizer, which refinement
 * differentiates, stay on the gradient backend. A tensor moves to whichever backend reads it and
 * stays there, so each network must always run on the same backend, or its weights would be copied
 * back and forth: every use of the inference networks goes through `onInference*`, every use of
 * the gradient ones through `onGradient`.
 */
import * as tf from '@tensorflow/tfjs'
import { TFJS_NAME, useBackend, useInferenceBackend } from './backends'

let split: { inference: string; gradient: string } | null = null

/** The gradient backend becomes the current one and the inference backend is started beside it; a no-op split when they are the same. */
export async function splitInference(): Promise<{ gradient: string; inference: string }> {
  const gradient = await useBackend()
  const inference = await useInferenceBackend()
  await useBackend(gradient.name)
  split = TFJS_NAME[inference.name] === TFJS_NAME[gradient.name] ? null : { inference: TFJS_NAME[inference.name], gradient: TFJS_NAME[gradient.name] }
  return { gradient: gradient.name, inference: inference.name }
}

/** Back to one backend for everything (tests). */
export function joinInference(): void {
  split = null
}

/** Runs fn on the named backend and switches back: synchronous for a started backend, so nothing interleaves. */
function on<T>(name: string | undefined, fn: () => T): T {
  const previous = tf.getBackend()
  if (name === undefined || previous === name) return fn()
  void tf.setBackend(name)
  try {
    return fn()
  } finally {
    void tf.setBackend(previous)
  }
}

export const onInference = <T>(fn: () => T): T => on(split?.inference, fn)
export const onGradient = <T>(fn: () => T): T => on(split?.gradient, fn)

let queue: Promise<unknown> = Promise.resolve()

/**
 * Asynchronous inference (face-api awaits its tensors between layers): one at a time, holding the
 * inference backend throughout; synchronous gradient work in its pauses switches around itself.
 */
export function onInferenceAsync<T>(fn: () => Promise<T>): Promise<T> {
  if (!split) return fn()
  const { inference } = split
  const run = queue.then(async () => {
    const previous = tf.getBackend()
    void tf.setBackend(inference)
    try {
      return await fn()
    } finally {
      void tf.setBackend(previous)
    }
  })
  queue = run.catch(() => undefined)
  return run
}
