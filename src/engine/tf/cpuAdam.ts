/**
 * Adam for the CPU backends, as one pass per variable. tfjs's Adam runs about ten elementwise
 * ops per variable, each allocating a new array; on the paper generator's 33.5M-weight dense
 * layer that was two thirds of a training step. Same update, same getWeights/setWeights layout
 * (iter, then every `<name>/m`, then every `<name>/v`), so checkpoints move between the two.
 */
import * as tf from '@tensorflow/tfjs'

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
  ) {
    super()
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients)
    // Bias corrections from the step count alone, so a restored optimizer continues exactly.
    const c1 = 1 - Math.pow(this.beta1, this.steps + 1)
    const c2 = 1 - Math.pow(this.beta2, this.steps + 1)
    const { beta1, beta2, epsilon, learningRate } = this
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
      const next = new Float32Array(value.length)
      for (let k = 0; k < value.length; k++) {
        const mk = beta1 * m[k] + (1 - beta1) * g[k]
        const vk = beta2 * v[k] + (1 - beta2) * g[k] * g[k]
        m[k] = mk
        v[k] = vk
        next[k] = value[k] - (learningRate * (mk / c1)) / (Math.sqrt(vk / c2) + epsilon)
      }
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

/** Adam for the current backend: the one-pass version on CPU backends, tfjs's elsewhere. */
export function makeAdam(learningRate: number, beta1: number): tf.Optimizer {
  return CPU_BACKENDS.has(tf.getBackend()) ? new CpuAdam(learningRate, beta1) : tf.train.adam(learningRate, beta1)
}
