/**
 * Kernels as plain loops where tfjs's CPU backend goes per element through closures or index
 * arithmetic: concatenation along channels (D's label concat, every D pass: 20 → 7 ms a
 * paper-preset call), Floor and Square. Upsampling was tried the same way and gained nothing.
 */
import * as tf from '@tensorflow/tfjs'
import { values, type Info, type KernelArgs } from './cpuKernel'

type Kernel = (args: KernelArgs) => Info

/** Concatenation along the last axis of float32 tensors: row by row, each input's slice in turn. */
export function concatLastAxis(original: Kernel): Kernel {
  return (args) => {
    const inputs = Object.values(args.inputs)
    const rank = inputs[0]?.shape.length ?? 0
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, inputs[0].shape)[0]
    const leading = inputs[0].shape.slice(0, -1)
    const same = inputs.every((t) => t.dtype === 'float32' && t.shape.length === rank && t.shape.slice(0, -1).every((d, i) => d === leading[i]))
    if (rank < 2 || axis !== rank - 1 || !same) return original(args)
    const rows = leading.reduce((a, b) => a * b, 1)
    const widths = inputs.map((t) => t.shape[rank - 1])
    const width = widths.reduce((a, b) => a + b, 0)
    const sources = inputs.map((t) => values(args.backend, t))
    const out = new Float32Array(rows * width)
    for (let r = 0; r < rows; r++) {
      let o = r * width
      for (let i = 0; i < sources.length; i++) {
        const source = sources[i]
        const w = widths[i]
        for (let k = 0, from = r * w; k < w; k++) out[o++] = source[from + k]
      }
    }
    return args.backend.makeTensorInfo([...leading, width], 'float32', out)
  }
}

/** Floor (dropout's mask), Square (batch-norm variance) and Relu (the judges): tfjs calls a closure per element. */
const UNARY: Record<string, (x: Float32Array, out: Float32Array) => void> = {
  Floor: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.floor(x[i])
  },
  Square: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * x[i]
  },
  // As tfjs's own: NaN stays NaN.
  Relu: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] < 0 ? 0 : x[i]
  },
}
export const UNARY_NAMES = Object.keys(UNARY)

export function unary(name: string, original: Kernel): Kernel {
  const run = UNARY[name]
  return (args) => {
    const { x } = args.inputs
    if (x.dtype !== 'float32') return original(args)
    const out = new Float32Array(x.shape.reduce((a, b) => a * b, 1))
    run(values(args.backend, x), out)
    return args.backend.makeTensorInfo(x.shape, 'float32', out)
  }
}
