/**
 * Plain-JavaScript fast paths for the shapes GAN training hits most, where tfjs's CPU kernels
 * take a generic, index-arithmetic route: a channel vector broadcast over NHWC (batch norm,
 * biases), reductions over the leading axes (batch-norm statistics and their gradients), and
 * splitting along an axis (the gradient of D's label concat), and concatenation along the last
 * (loopKernels.ts). Anything else goes to the CPU backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs'
import { values, type Info, type KernelArgs } from './cpuKernel'
import { avgPoolGrad, concatLastAxis, maxPoolGrad, step, unary, UNARY_NAMES } from './loopKernels'

type Kernel = (args: KernelArgs) => Info

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1)

/** True when `small` broadcasts over `big` by repeating along leading axes only. */
function suffixBroadcast(big: number[], small: number[]): boolean {
  const trimmed = small.slice(small.findIndex((d) => d !== 1) === -1 ? small.length : small.findIndex((d) => d !== 1))
  if (trimmed.length > big.length) return false
  const tail = big.slice(big.length - trimmed.length)
  return trimmed.every((d, i) => d === tail[i]) && small.length <= big.length
}

/**
 * out = a ∘ b where one side may repeat along leading axes. One function per operator, so each
 * inner loop stays monomorphic and V8 compiles it tight.
 */
type Loop = (out: Float32Array, a: Float32Array, b: Float32Array, aRepeats: boolean) => void
const BINARY: Record<string, Loop> = {
  Add: (out, a, b, aRepeats) => {
    const n = aRepeats ? a.length : b.length
    if (aRepeats) for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[k] + b[o + k]
    else for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[o + k] + b[k]
  },
  Sub: (out, a, b, aRepeats) => {
    const n = aRepeats ? a.length : b.length
    if (aRepeats) for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[k] - b[o + k]
    else for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[o + k] - b[k]
  },
  Multiply: (out, a, b, aRepeats) => {
    const n = aRepeats ? a.length : b.length
    if (aRepeats) for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[k] * b[o + k]
    else for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[o + k] * b[k]
  },
  // Minimum and Maximum with a constant are how converted graphs spell ReLU6 (the judges' MobileNets).
  Minimum: (out, a, b, aRepeats) => {
    const n = aRepeats ? a.length : b.length
    if (aRepeats) for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = Math.min(a[k], b[o + k])
    else for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = Math.min(a[o + k], b[k])
  },
  Maximum: (out, a, b, aRepeats) => {
    const n = aRepeats ? a.length : b.length
    if (aRepeats) for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = Math.max(a[k], b[o + k])
    else for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = Math.max(a[o + k], b[k])
  },
  RealDiv: (out, a, b, aRepeats) => {
    const n = aRepeats ? a.length : b.length
    if (aRepeats) for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[k] / b[o + k]
    else for (let o = 0; o < out.length; o += n) for (let k = 0; k < n; k++) out[o + k] = a[o + k] / b[k]
  },
}
function binary(run: Loop, original: Kernel): Kernel {
  return (args) => {
    const { a, b } = args.inputs
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args)
    const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])
    const bRepeats = sameShape || suffixBroadcast(a.shape, b.shape)
    const aRepeats = !bRepeats && suffixBroadcast(b.shape, a.shape)
    if (!bRepeats && !aRepeats) return original(args)
    const av = values(args.backend, a)
    const bv = values(args.backend, b)
    if ((aRepeats ? av : bv).length === 0) return original(args)
    const outShape = aRepeats ? b.shape : a.shape
    const out = new Float32Array(size(outShape))
    run(out, av, bv, aRepeats)
    return args.backend.makeTensorInfo(outShape, 'float32', out)
  }
}

/** Sum or mean over leading axes (column sums) or trailing axes (row sums). */
function reduce(mean: boolean, original: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs
    if (x.dtype !== 'float32') return original(args)
    const rank = x.shape.length
    const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape).sort((p, q) => p - q)
    const leading = axes.every((axis, i) => axis === i)
    const trailing = axes.every((axis, i) => axis === rank - axes.length + i)
    if (!leading && !trailing) return original(args)
    const reduced = size(axes.map((axis) => x.shape[axis]))
    const kept = size(x.shape) / Math.max(1, reduced)
    const xv = values(args.backend, x)
    const out = new Float32Array(kept)
    if (leading) {
      for (let r = 0; r < reduced; r++) for (let k = 0, o = r * kept; k < kept; k++) out[k] += xv[o + k]
    } else {
      for (let k = 0; k < kept; k++) {
        let sum = 0
        for (let r = 0, o = k * reduced; r < reduced; r++) sum += xv[o + r]
        out[k] = sum
      }
    }
    if (mean && reduced > 0) for (let k = 0; k < kept; k++) out[k] /= reduced
    const outShape = args.attrs.keepDims ? x.shape.map((d, axis) => (axes.includes(axis) ? 1 : d)) : x.shape.filter((_, axis) => !axes.includes(axis))
    return args.backend.makeTensorInfo(outShape, 'float32', out)
  }
}

/**
 * SplitV along any axis: one contiguous copy per outer row and piece (the last axis: the gradient
 * of D's label concat; inner ones: of the recognizer's zero padding). Returns several tensors.
 */
function split(original: (args: KernelArgs) => Info[]): (args: KernelArgs) => Info[] {
  return (args) => {
    const { x } = args.inputs
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0]
    if (x.dtype !== 'float32') return original(args)
    const sizes = tf.backend_util.prepareSplitSize(x, args.attrs.numOrSizeSplits as number | number[], axis)
    const inner = size(x.shape.slice(axis + 1))
    const width = x.shape[axis] * inner
    const rows = size(x.shape.slice(0, axis))
    const xv = values(args.backend, x)
    let offset = 0
    return sizes.map((piece) => {
      const block = piece * inner
      const out = new Float32Array(rows * block)
      for (let r = 0; r < rows; r++) out.set(xv.subarray(r * width + offset, r * width + offset + block), r * block)
      offset += block
      return args.backend.makeTensorInfo(
        x.shape.map((d, i) => (i === axis ? piece : d)),
        'float32',
        out,
      )
    })
  }
}

/** Tile, one axis at a time from the last: each pass copies contiguous blocks. */
function tile(original: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs
    if (x.dtype !== 'float32') return original(args)
    const reps = args.attrs.reps as number[]
    let shape = [...x.shape]
    let current = values(args.backend, x)
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (reps[axis] === 1) continue
      const outer = size(shape.slice(0, axis))
      const block = size(shape.slice(axis))
      const next = new Float32Array(current.length * reps[axis])
      for (let o = 0; o < outer; o++) {
        const source = current.subarray(o * block, (o + 1) * block)
        for (let r = 0; r < reps[axis]; r++) next.set(source, (o * reps[axis] + r) * block)
      }
      shape = shape.map((d, i) => (i === axis ? d * reps[axis] : d))
      current = next
    }
    return args.backend.makeTensorInfo(shape, 'float32', current === values(args.backend, x) ? current.slice() : current)
  }
}

const LEAKY_RELU_GRAD = 'AgeStudioLeakyReluGrad'

/**
 * 1 where x ≤ 0 (or −0), else 0, from x's bits. A comparison per element costs a branch that
 * random signs mispredict half the time (four times slower on this machine).
 */
const notPositive = (bits: number) => (((bits - 1) | 0) >>> 31) | (bits >>> 31)

/** y = x where x > 0, else alpha·x; the same values as tfjs's kernel, which calls a closure per element. */
function leakyRelu({ inputs, backend, attrs }: KernelArgs): Info {
  const x = values(backend, inputs.x)
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length)
  const factor = Float64Array.of(1, attrs.alpha as number) // a lookup, not 1 − (1 − alpha), which is not alpha exactly
  const y = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) y[i] = x[i] * factor[notPositive(bits[i])]
  return backend.makeTensorInfo(inputs.x.shape, 'float32', y)
}

/** dx = dy where x > 0, else alpha·dy: one pass instead of Greater, Multiply and Select. */
function leakyReluGrad({ inputs, backend, attrs }: KernelArgs): Info {
  const dy = values(backend, inputs.dy)
  const x = values(backend, inputs.x)
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length)
  const factor = Float64Array.of(1, attrs.alpha as number)
  const dx = new Float32Array(dy.length)
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * factor[notPositive(bits[i])]
  return backend.makeTensorInfo(inputs.x.shape, 'float32', dx)
}

/**
 * LeakyRelu's and Relu's (alpha 0) gradients through the one-pass kernel on `backendName`;
 * tfjs's own formulas on every other backend (the gradient registry is global, kernels are per
 * backend).
 */
function registerOnePassGradient(backendName: string, kernelName: 'LeakyRelu' | 'Relu'): void {
  const original = tf.getGradient(kernelName)
  tf.registerGradient({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== backendName || (dy as tf.Tensor).dtype !== 'float32') return original.gradFunc(dy, saved, attrs)
      const [x] = saved
      const alpha = kernelName === 'Relu' ? { alpha: 0 } : attrs
      return { x: () => tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: dy as tf.Tensor, x }, alpha) as tf.Tensor }
    },
  })
}

export function registerFastKernels(backendName: string): void {
  const original = (name: string) => tf.getKernel(name, 'cpu').kernelFunc as unknown as Kernel
  const register = (kernelName: string, kernelFunc: unknown) => {
    tf.unregisterKernel(kernelName, backendName)
    tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as tf.KernelFunc })
  }
  for (const [name, run] of Object.entries(BINARY)) register(name, binary(run, original(name)))
  register('Tile', tile(original('Tile')))
  register('Sum', reduce(false, original('Sum')))
  register('Mean', reduce(true, original('Mean')))
  register('SplitV', split(original('SplitV') as unknown as (args: KernelArgs) => Info[]))
  register('Concat', concatLastAxis(original('Concat')))
  for (const name of UNARY_NAMES) register(name, unary(name, original(name)))
  register('MaxPoolGrad', maxPoolGrad(original('MaxPoolGrad')))
  register('AvgPoolGrad', avgPoolGrad(original('AvgPoolGrad')))
  register('Step', step(original('Step')))
  const leaky = original('LeakyRelu')
  register('LeakyRelu', (args: KernelArgs) => (args.inputs.x.dtype === 'float32' ? leakyRelu(args) : leaky(args)))
  tf.registerKernel({ kernelName: LEAKY_RELU_GRAD, backendName, kernelFunc: leakyReluGrad as unknown as tf.KernelFunc })
  registerOnePassGradient(backendName, 'LeakyRelu')
  registerOnePassGradient(backendName, 'Relu')
}
