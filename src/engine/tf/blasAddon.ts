/**
 * Loads the optional native BLAS addon (native/blas, built at npm install when a system BLAS is
 * there). Absent or broken, the studio falls back to tfjs's plain CPU kernels and says why once.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

export interface ConvShape {
  batch: number
  inH: number
  inW: number
  inC: number
  kH: number
  kW: number
  outC: number
  outH: number
  outW: number
  strideH: number
  strideW: number
  dilationH: number
  dilationW: number
  padTop: number
  padLeft: number
}

export interface MatMulShape {
  batch: number
  m: number
  n: number
  k: number
  transposeA: boolean
  transposeB: boolean
  batchA: number
  batchB: number
}

export interface AdamParams {
  learningRate: number
  beta1: number
  beta2: number
  epsilon: number
  correction1: number
  correction2: number
}

export interface BlasAddon {
  conv2d(x: Float32Array, filter: Float32Array, shape: ConvShape): Float32Array
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, shape: ConvShape): Float32Array
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, shape: ConvShape): Float32Array
  matMul(a: Float32Array, b: Float32Array, shape: MatMulShape): Float32Array
  /** One Adam step: m and v updated in place; the new weights go to out (may be value itself) or a new array. */
  adam(value: Float32Array, gradient: Float32Array, m: Float32Array, v: Float32Array, params: AdamParams, out?: Float32Array): Float32Array
  info(): { library: string; threads: number }
  setThreads(n: number): void
}

export type AddonLoad = { addon: BlasAddon; error: null } | { addon: null; error: string }

/** The project root, found from this file whether it runs from src/ or out/main/. */
export function projectRoot(start = __dirname): string {
  let dir = start
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'native'))) {
    const parent = join(dir, '..')
    if (parent === dir) return start
    dir = parent
  }
  return dir
}

let cached: AddonLoad | undefined

/** AGE_STUDIO_NO_BLAS=1 forces the plain kernels (tests run both paths). */
export function loadBlasAddon(): AddonLoad {
  if (cached) return cached
  if (process.env.AGE_STUDIO_NO_BLAS === '1') return (cached = { addon: null, error: 'turned off by AGE_STUDIO_NO_BLAS=1' })
  const file = join(projectRoot(), 'native', 'blas', 'build', 'Release', 'age_blas.node')
  if (!existsSync(file)) {
    return (cached = { addon: null, error: 'native/blas is not built (install libopenblas-dev, then npm run build:native)' })
  }
  try {
    return (cached = { addon: createRequire(__filename)(file) as BlasAddon, error: null })
  } catch (error) {
    return (cached = { addon: null, error: `native/blas failed to load: ${(error as Error).message.split('\n')[0]}` })
  }
}
