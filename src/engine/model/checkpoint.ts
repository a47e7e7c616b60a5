/**
 * Checkpoint files: each network in tfjs layers format (model.json + weights.bin), each
 * optimizer's state, and the trainer's state (step, epoch, data order, RNG states). A checkpoint
 * is written to a temporary folder and renamed into place, so a kill at any moment leaves the
 * last good checkpoint intact.
 */
import * as tf from '@tensorflow/tfjs'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** A checkpoint's (or sample grid's) name: the phase and the step, zero-padded so names sort by step. */
export const checkpointName = (phase: string, step: number) => `${phase}-${String(step).padStart(8, '0')}`

export interface NamedWeights {
  specs: { name: string; shape: number[]; dtype: 'float32' }[]
  data: Float32Array
}

async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  return saved!
}

function weightBytes(data: tf.io.WeightData | undefined): Buffer {
  if (!data) return Buffer.alloc(0)
  const buffers = Array.isArray(data) ? data : [data]
  return Buffer.concat(buffers.map((b) => Buffer.from(b)))
}

export async function writeModel(model: tf.LayersModel, dir: string): Promise<void> {
  const artifacts = await modelArtifacts(model)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'weights.bin'), weightBytes(artifacts.weightData))
  writeModelJson(artifacts, dir)
}

function writeModelJson(artifacts: tf.io.ModelArtifacts, dir: string): void {
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    }),
  )
}

/** model.json alone (topology and weight manifest): what the PyTorch trainer needs to write weights in our format. */
export async function writeTopology(model: tf.LayersModel, dir: string): Promise<void> {
  const artifacts = await modelArtifacts(model)
  mkdirSync(dir, { recursive: true })
  writeModelJson(artifacts, dir)
}

/** A kill mid-write leaves `<checkpoint>.partial-*` folders behind; they are never a checkpoint. */
export function removePartials(dir: string): void {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) if (isPartial(name)) rmSync(join(dir, name), { recursive: true, force: true })
}

/** model.json as tf.io writes it: the topology and the weights' manifest. */
interface ModelJson {
  modelTopology: object
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
}

export async function readModel(dir: string): Promise<tf.LayersModel> {
  return modelFromBytes(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson, readFileSync(join(dir, 'weights.bin')))
}

/**
 * A model for inference and its folder's hash (as hashFolder gives it) from one read of its files
 * (weights run to 140 MB). Its weights are views of the bytes read, not copies (tfjs's loader
 * copies every weight out: ~1 s for the paper preset here), and its layers keep zero initializers,
 * so it is for use, never for saving again.
 */
export async function readModelHashed(dir: string): Promise<{ model: tf.LayersModel; hash: string }> {
  const files = new Map<string, Buffer>()
  const hash = hashFolder(dir, (path) => {
    const bytes = readFileSync(path)
    files.set(path, bytes)
    return bytes
  })
  const file = (name: string) => files.get(join(dir, name)) ?? readFileSync(join(dir, name)) // missing: the same error readModel gives
  const [json, bytes] = [JSON.parse(file('model.json').toString('utf8')) as ModelJson, file('weights.bin')]
  const specs = json.weightsManifest[0].weights
  const viewable = bytes.byteOffset % 4 === 0 && specs.every((spec) => spec.dtype === 'float32' && !spec.quantization)
  if (!viewable) return { model: await modelFromBytes(json, bytes), hash }
  const model = await tf.models.modelFromJSON({ modelTopology: zeroInitialized(json.modelTopology) as never })
  let offset = bytes.byteOffset
  const weights: tf.NamedTensorMap = {}
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1)
    if (offset + count * 4 > bytes.byteOffset + bytes.byteLength) throw new Error(`${join(dir, 'weights.bin')} is shorter than its manifest`)
    weights[spec.name] = tf.tensor(new Float32Array(bytes.buffer, offset, count), spec.shape, 'float32')
    offset += count * 4
  }
  try {
    model.loadWeights(weights)
  } finally {
    tf.dispose(Object.values(weights))
  }
  return { model, hash }
}

async function modelFromBytes(json: ModelJson, bytes: Buffer): Promise<tf.LayersModel> {
  // A large file gets its own ArrayBuffer: no copy (tfjs copies each weight out of it anyway).
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
  const weightData = whole ? (bytes.buffer as ArrayBuffer) : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }))
}

/** The topology with every initializer zeros: building the layers then costs nothing (their weights come next). */
export function zeroInitialized(topology: object): object {
  return JSON.parse(JSON.stringify(topology), (key, value: unknown) =>
    key.endsWith('_initializer') && value ? { class_name: 'Zeros', config: {} } : value,
  ) as object
}

export async function optimizerWeights(optimizer: tf.Optimizer): Promise<NamedWeights> {
  const named = await optimizer.getWeights()
  const arrays = await Promise.all(named.map((w) => w.tensor.data() as Promise<Float32Array>))
  // getWeights() makes a fresh scalar for the iteration count; the moments are the live variables.
  for (const w of named) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose()
  const data = new Float32Array(arrays.reduce((n, a) => n + a.length, 0))
  let offset = 0
  for (const array of arrays) {
    data.set(array, offset)
    offset += array.length
  }
  return { specs: named.map((w) => ({ name: w.name, shape: w.tensor.shape, dtype: 'float32' })), data }
}

export async function restoreOptimizer(optimizer: tf.Optimizer, weights: NamedWeights): Promise<void> {
  let offset = 0
  const named = weights.specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1)
    const tensor = tf.tensor(weights.data.slice(offset, offset + size), spec.shape)
    offset += size
    return { name: spec.name, tensor }
  })
  await optimizer.setWeights(named)
  named.forEach((w) => w.tensor.dispose())
}

export function writeNamedWeights(dir: string, name: string, weights: NamedWeights): void {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(weights.specs))
  writeFileSync(join(dir, `${name}.bin`), Buffer.from(weights.data.buffer, weights.data.byteOffset, weights.data.byteLength))
}

export function readNamedWeights(dir: string, name: string): NamedWeights {
  const bytes = readFileSync(join(dir, `${name}.bin`))
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  return { specs: JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as NamedWeights['specs'], data }
}

const PARTIAL = '.partial-'

/** A folder writeAtomically had not finished when its process died. */
export const isPartial = (name: string) => /\.partial-[0-9a-f]{8}$/.test(name)

/** Fills a temporary folder, hashes it, then renames it to `dir`. Returns the hash. */
export async function writeAtomically(dir: string, fill: (temporary: string) => Promise<void>): Promise<string> {
  const temporary = `${dir}${PARTIAL}${randomBytes(4).toString('hex')}`
  mkdirSync(dirname(dir), { recursive: true })
  try {
    mkdirSync(temporary)
    await fill(temporary)
    const hash = hashFolder(temporary)
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
    renameSync(temporary, dir)
    return hash
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true })
    throw error
  }
}

/** sha256 over every file's relative path and bytes, in a fixed order; `read` lets a caller keep the bytes. */
export function hashFolder(dir: string, read: (path: string) => Buffer = (path) => readFileSync(path)): string {
  const hash = createHash('sha256')
  const walk = (folder: string, prefix: string) => {
    for (const name of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (name.isDirectory()) walk(join(folder, name.name), `${prefix}${name.name}/`)
      else hash.update(`${prefix}${name.name}\0`).update(read(join(folder, name.name)))
    }
  }
  walk(dir, '')
  return hash.digest('hex')
}
