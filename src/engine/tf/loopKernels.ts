/**
 * Kernels as plain loops where tfjs's CPU backend goes per element through closures or index
 * arithmetic: concatenation along channels (D's label concat, every D pass: 20 → 7 ms a
 * paper-preset call), Floor and Square, the pooling gradients and Step (identity refinement back
 * through the recognizer). Upsampling was tried the same way and gained nothing.
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

/**
 * Every pooling window: its batch index, its rows and columns in the input (cut by the edges,
 * padding excluded) and the offset of its output pixel.
 */
function forEachWindow(info: tf.backend_util.Conv2DInfo, visit: (b: number, rows: [number, number], cols: [number, number], o: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - info.padInfo.top
      const rows: [number, number] = [Math.max(0, top), Math.min(inHeight, top + filterHeight)]
      for (let ox = 0; ox < outWidth; ox++) {
        const left = ox * strideWidth - info.padInfo.left
        visit(b, rows, [Math.max(0, left), Math.min(inWidth, left + filterWidth)], ((b * outHeight + oy) * outWidth + ox) * inChannels)
      }
    }
  }
}

/**
 * MaxPool's gradient: each output's dy goes to its window's first maximum, the position tfjs's own
 * kernel picks. tfjs instead searches, for every input pixel, all windows that cover it through
 * a TensorBuffer (the recognizer's pooling: 79 of a refinement step's 416 kernel ms).
 */
export function maxPoolGrad(original: Kernel): Kernel {
  return (args) => {
    const { dy, input } = args.inputs
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as {
      filterSize: number | [number, number]
      strides: number | [number, number]
      pad: 'valid' | 'same' | number
      dimRoundingMode?: 'floor' | 'round' | 'ceil'
    }
    if (input.dtype !== 'float32' || input.shape.length !== 4) return original(args)
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode)
    const { inHeight, inWidth, inChannels: channels } = info
    const x = values(args.backend, input)
    const g = values(args.backend, dy)
    const dx = new Float32Array(x.length)
    forEachWindow(info, (b, [r0, r1], [c0, c1], o) => {
      for (let ch = 0; ch < channels; ch++) {
        let best = -Infinity
        let at = -1
        for (let r = r0; r < r1; r++) {
          for (let c = c0, i = ((b * inHeight + r) * inWidth + c0) * channels + ch; c < c1; c++, i += channels) {
            if (x[i] > best) {
              best = x[i]
              at = i
            }
          }
        }
        if (at >= 0) dx[at] += g[o + ch]
      }
    })
    return args.backend.makeTensorInfo(input.shape, 'float32', dx)
  }
}

/**
 * AvgPool's gradient: each output's dy, over the window's area, back to every input of its window.
 * The same values as tfjs's kernel (which divides by the whole window even where padding cuts it),
 * which instead visits every input pixel and tests every filter tap through a TensorBuffer (the
 * recognizer's residual shortcuts: 10–45 ms of a 130 ms refinement step, for a 35 × 35 × 32 input).
 */
export function avgPoolGrad(original: Kernel): Kernel {
  return (args) => {
    const { dy, input } = args.inputs
    const { filterSize, strides, pad } = args.attrs as {
      filterSize: number | [number, number]
      strides: number | [number, number]
      pad: 'valid' | 'same' | number
    }
    if (input.dtype !== 'float32' || input.shape.length !== 4) return original(args)
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad)
    const { batchSize, inHeight, inWidth, inChannels: channels, filterHeight, filterWidth } = info
    const g = values(args.backend, dy)
    const dx = new Float32Array(batchSize * inHeight * inWidth * channels)
    const share = 1 / (filterHeight * filterWidth)
    forEachWindow(info, (b, [r0, r1], [c0, c1], o) => {
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const i = ((b * inHeight + r) * inWidth + c) * channels
          for (let ch = 0; ch < channels; ch++) dx[i + ch] += g[o + ch] * share
        }
      }
    })
    return args.backend.makeTensorInfo(input.shape, 'float32', dx)
  }
}

/** Step (ReLU's gradient is dy · step(x)): 1 where x > 0, else alpha, NaN kept; tfjs calls a closure per element. */
export function step(original: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs
    if (x.dtype !== 'float32') return original(args)
    const alpha = (args.attrs.alpha as number | undefined) ?? 0
    const xv = values(args.backend, x)
    const out = new Float32Array(xv.length)
    for (let i = 0; i < xv.length; i++) out[i] = xv[i] > 0 ? 1 : xv[i] !== xv[i] ? NaN : alpha
    return args.backend.makeTensorInfo(x.shape, 'float32', out)
  }
}
