/**
 * A correct ResizeNearestNeighborGrad. tfjs 4.22's CPU kernel gets every image after the first
 * wrong in a batch (checked by test/engine/kernels.test.ts), which silently breaks training of
 * any generator with UpSampling2D. This one is the exact adjoint of the CPU forward kernel: each
 * output pixel's gradient goes back to the source pixel the forward pass read.
 */
import * as tf from '@tensorflow/tfjs'
import type { KernelArgs } from './cpuKernel'

/** The forward kernel's source index for output index `i` along one axis. */
function sourceIndex(i: number, oldSize: number, newSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const ratio = (alignCorners && newSize > 1 ? oldSize - 1 : oldSize) / (alignCorners && newSize > 1 ? newSize - 1 : newSize)
  const fraction = halfPixelCenters ? ratio * (i + 0.5) : ratio * i
  const nearest = Math.min(oldSize - 1, alignCorners ? Math.round(fraction) : Math.floor(fraction))
  return halfPixelCenters ? Math.max(0, nearest) : nearest
}

function resizeNearestNeighborGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { images, dy } = inputs
  const alignCorners = Boolean(attrs.alignCorners)
  const halfPixelCenters = Boolean(attrs.halfPixelCenters)
  const [batch, oldH, oldW, channels] = images.shape
  const [, newH, newW] = dy.shape
  const dyValues = backend.data.get(dy.dataId).values as Float32Array
  const dx = new Float32Array(batch * oldH * oldW * channels)
  const rows = Array.from({ length: newH }, (_, r) => sourceIndex(r, oldH, newH, alignCorners, halfPixelCenters))
  const cols = Array.from({ length: newW }, (_, c) => sourceIndex(c, oldW, newW, alignCorners, halfPixelCenters))
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < newH; r++) {
      for (let c = 0; c < newW; c++) {
        const from = ((b * newH + r) * newW + c) * channels
        const to = ((b * oldH + rows[r]) * oldW + cols[c]) * channels
        for (let d = 0; d < channels; d++) dx[to + d] += dyValues[from + d]
      }
    }
  }
  return backend.makeTensorInfo([batch, oldH, oldW, channels], 'float32', dx)
}

/** Replaces the kernel on a CPU-family backend. */
export function fixResizeNearestNeighborGrad(backendName: string): void {
  if (tf.getKernel('ResizeNearestNeighborGrad', backendName)) tf.unregisterKernel('ResizeNearestNeighborGrad', backendName)
  tf.registerKernel({ kernelName: 'ResizeNearestNeighborGrad', backendName, kernelFunc: resizeNearestNeighborGrad as unknown as tf.KernelFunc })
}
