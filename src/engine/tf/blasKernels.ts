/**
 * The `cpu-blas` tfjs backend: tfjs's CPU backend with its convolution and matrix-multiply
 * kernels (forward and both gradients) replaced by im2col + sgemm in the native addon. Every
 * other kernel is the CPU backend's own, so model code never knows the difference.
 */
import * as tf from '@tensorflow/tfjs'
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'
import { values, type Info, type KernelArgs } from './cpuKernel'
import type { BlasAddon, ConvShape } from './blasAddon'
import { registerFastKernels } from './fastKernels'

export const BLAS_BACKEND = 'cpu-blas'

function convShape(info: tf.backend_util.Conv2DInfo): ConvShape {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    outC: info.outChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  }
}

function conv2dInfo(xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations as [number, number]) ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'round' | undefined,
  )
}

const isNHWC = (attrs: Record<string, unknown>) => (attrs.dataFormat ?? 'NHWC') === 'NHWC'

/** Bias add and the common fused activations, in place. Others go to the original kernel. */
const ACTIVATIONS: Record<string, ((v: number, alpha: number) => number) | undefined> = {
  linear: undefined,
  relu: (v) => (v > 0 ? v : 0),
  relu6: (v) => Math.min(6, Math.max(0, v)),
  leakyrelu: (v, alpha) => (v > 0 ? v : v * alpha),
  elu: (v) => (v >= 0 ? v : Math.exp(v) - 1),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
}

function biasAndActivation(out: Float32Array, bias: Float32Array | null, attrs: Record<string, unknown>): void {
  const activation = ACTIVATIONS[(attrs.activation as string) ?? 'linear']
  const alpha = (attrs.leakyreluAlpha as number) ?? 0.2
  if (bias) {
    const channels = bias.length
    for (let i = 0; i < out.length; i++) out[i] += bias[i % channels]
  }
  if (activation) for (let i = 0; i < out.length; i++) out[i] = activation(out[i], alpha)
}

const fusable = (args: KernelArgs) =>
  ((args.attrs.activation as string | undefined) ?? 'linear') in ACTIVATIONS &&
  !args.inputs.preluActivationWeights &&
  (!args.inputs.bias || args.inputs.bias.shape.length <= 1)

export function registerBlasBackend(addon: BlasAddon): void {
  if (tf.findBackendFactory(BLAS_BACKEND)) return
  tf.registerBackend(BLAS_BACKEND, () => new MathBackendCPU(), 3)
  tf.copyRegisteredKernels('cpu', BLAS_BACKEND)
  registerFastKernels(BLAS_BACKEND)
  const original = (name: string) => tf.getKernel(name, 'cpu').kernelFunc as unknown as (args: KernelArgs) => Info
  const register = (kernelName: string, kernelFunc: (args: KernelArgs) => Info) => {
    tf.unregisterKernel(kernelName, BLAS_BACKEND)
    tf.registerKernel({ kernelName, backendName: BLAS_BACKEND, kernelFunc: kernelFunc as unknown as tf.KernelFunc })
  }

  const conv = (args: KernelArgs, fused: boolean): Info => {
    const { x, filter, bias } = args.inputs
    if (!isNHWC(args.attrs) || (fused && !fusable(args))) return original(fused ? 'FusedConv2D' : 'Conv2D')(args)
    const info = conv2dInfo(x.shape, filter.shape, args.attrs)
    const out = addon.conv2d(values(args.backend, x), values(args.backend, filter), convShape(info))
    if (fused) biasAndActivation(out, bias ? values(args.backend, bias) : null, args.attrs)
    return args.backend.makeTensorInfo(info.outShape, 'float32', out)
  }
  register('Conv2D', (args) => conv(args, false))
  register('FusedConv2D', (args) => conv(args, true))

  register('Conv2DBackpropInput', (args) => {
    const { dy, filter } = args.inputs
    if (!isNHWC(args.attrs)) return original('Conv2DBackpropInput')(args)
    const info = conv2dInfo(args.attrs.inputShape as number[], filter.shape, args.attrs)
    const dx = addon.conv2dBackpropInput(values(args.backend, dy), values(args.backend, filter), convShape(info))
    return args.backend.makeTensorInfo(info.inShape, 'float32', dx)
  })

  register('Conv2DBackpropFilter', (args) => {
    const { x, dy } = args.inputs
    if (!isNHWC(args.attrs)) return original('Conv2DBackpropFilter')(args)
    const filterShape = args.attrs.filterShape as number[]
    const info = conv2dInfo(x.shape, filterShape, args.attrs)
    const dw = addon.conv2dBackpropFilter(values(args.backend, x), values(args.backend, dy), convShape(info))
    return args.backend.makeTensorInfo(filterShape, 'float32', dw)
  })

  const matMul = (args: KernelArgs, fused: boolean): Info => {
    const { a, b, bias } = args.inputs
    const transposeA = Boolean(args.attrs.transposeA)
    const transposeB = Boolean(args.attrs.transposeB)
    const batchA = a.shape.slice(0, -2).reduce((p, v) => p * v, 1)
    const batchB = b.shape.slice(0, -2).reduce((p, v) => p * v, 1)
    const broadcastable = batchA === batchB || batchA === 1 || batchB === 1
    if (!broadcastable || a.shape.length > 3 || b.shape.length > 3 || (fused && !fusable(args))) {
      return original(fused ? '_FusedMatMul' : 'BatchMatMul')(args)
    }
    const m = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!
    const k = transposeA ? a.shape.at(-2)! : a.shape.at(-1)!
    const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!
    const batch = Math.max(batchA, batchB)
    const out = addon.matMul(values(args.backend, a), values(args.backend, b), { batch, m, n, k, transposeA, transposeB, batchA, batchB })
    if (fused) biasAndActivation(out, bias ? values(args.backend, bias) : null, args.attrs)
    const outShape = a.shape.length === 2 && b.shape.length === 2 ? [m, n] : [batch, m, n]
    return args.backend.makeTensorInfo(outShape, 'float32', out)
  }
  register('BatchMatMul', (args) => matMul(args, false))
  register('_FusedMatMul', (args) => matMul(args, true))
}
