/**
 * Adam for the CPU backends, as one pass per variable. tfjs's Adam runs about ten elementwise
 * ops per variable, each allocating a new array; on the paper generator's 33.5M-weight dense
 * layer that was two thirds of a training step. Same update, same getWeights/setWeights layout
 * (iter, then every `<name>/m`, then every `<name>/v`), so checkpoints move between the two.
 */
import * as tf from '@tensorflow/tfjs'
import { loadBlasAddon, type AdamParams, type BlasAddon } from './blasAddon'

type NamedTensor = { name: string; tensor: tf.Tensor }

const CPU_BACKENDS = new Set(['cpu', 'cpu-blas'])

export class CpuAdam extends tf.Optimizer {
  static get className(): string {
    return 'Adam'
  }

  private m: Float32Array[] = []
  private v: Float32Array[] = []
  private names: string[] = []
  private shapes: number[][] = []
  private steps = 0

  constructor(
    readonly learningRate: number,
    readonly beta1: number,
    readonly beta2 = 0.999,
    readonly epsilon = tf.backend().epsilon(),
    /** The native addon's threaded step; the same float32 results as the loop below. */
    private readonly addon: BlasAddon | null = null,
  ) {
    super()
  }

  /** True when the variable alone holds its data (no clone or reshape shares it). */
  private static sole(variable: tf.Variable): boolean {
    const entry = (tf.backend() as unknown as { data: { get(id: object): { refCount?: number } | undefined } }).data.get(variable.dataId)
    return entry?.refCount === 1
  }

  /** One variable's step in JavaScript: m and v in place, the new weights returned. */
  private static step(p: AdamParams, value: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array): Float32Array {
    const { beta1, beta2, epsilon, learningRate, correction1: c1, correction2: c2 } = p
    const next = new Float32Array(value.length)
    for (let k = 0; k < value.length; k++) {
      const mk = beta1 * m[k] + (1 - beta1) * g[k]
      const vk = beta2 * v[k] + (1 - beta2) * g[k] * g[k]
      m[k] = mk
      v[k] = vk
      next[k] = value[k] - (learningRate * (mk / c1)) / (Math.sqrt(vk / c2) + epsilon)
    }
    return next
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients)
    // Bias corrections from the step count alone, so a restored optimizer continues exactly.
    const { beta1, beta2, epsilon, learningRate } = this
    const params: AdamParams = {
      learningRate,
      beta1,
      beta2,
      epsilon,
      correction1: 1 - Math.pow(beta1, this.steps + 1),
      correction2: 1 - Math.pow(beta2, this.steps + 1),
    }
    names.forEach((name, i) => {
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name]
      if (!gradient) return
      const variable = tf.engine().registeredVariables[name]
      const value = variable.dataSync() as Float32Array
      const g = gradient.dataSync() as Float32Array
      const m = (this.m[i] ??= new Float32Array(value.length))
      const v = (this.v[i] ??= new Float32Array(value.length))
      this.names[i] = name
      this.shapes[i] = variable.shape
      if (this.addon && CpuAdam.sole(variable)) {
        // No other tensor shares the weights' array, so they are updated where they are.
        this.addon.adam(value, g, m, v, params, value)
        return
      }
      const next = this.addon ? this.addon.adam(value, g, m, v, params) : CpuAdam.step(params, value, g, m, v)
      const updated = tf.tensor(next, variable.shape)
      variable.assign(updated)
      updated.dispose()
    })
    this.steps++
    this.incrementIterations()
  }

  async getWeights(): Promise<NamedTensor[]> {
    const moments = (kind: 'm' | 'v', arrays: Float32Array[]) =>
      arrays.map((array, i) => ({ name: `${this.names[i]}/${kind}`, tensor: tf.tensor(array, this.shapes[i]) }))
    return [{ name: 'iter', tensor: tf.scalar(this.steps, 'int32') }, ...moments('m', this.m), ...moments('v', this.v)]
  }

  async setWeights(weights: NamedTensor[]): Promise<void> {
    const [iter, ...moments] = weights
    this.steps = (await iter.tensor.data())[0]
    const half = moments.length / 2
    this.m = await Promise.all(moments.slice(0, half).map(async (w) => Float32Array.from(await w.tensor.data())))
    this.v = await Promise.all(moments.slice(half).map(async (w) => Float32Array.from(await w.tensor.data())))
    this.names = moments.slice(0, half).map((w) => w.name.replace(/\/m$/, ''))
    this.shapes = moments.slice(0, half).map((w) => w.tensor.shape)
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon }
  }
}

/** Adam for the current backend: the one-pass version on CPU backends (threaded in the addon on cpu+blas), tfjs's elsewhere. */
export function makeAdam(learningRate: number, beta1: number): tf.Optimizer {
  if (!CPU_BACKENDS.has(tf.getBackend())) return tf.train.adam(learningRate, beta1)
  const addon = tf.getBackend() === 'cpu-blas' ? loadBlasAddon().addon : null
  return new CpuAdam(learningRate, beta1, 0.999, tf.backend().epsilon(), addon)
}
