/**
 * One face being aged: its model-size input x, z0 = E(x) for the instant preview, the refined z
 * once identity-preserving latent optimisation has run, and G(z, y) at any age position, with
 * seeded variations around z, the recognizer's distance to the input (what refinement lowers) and
 * the independent judge's similarity (what no loss sees) as identity scores.
 */
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { DEFAULT_SPREAD } from '../../shared/aging'
import { framingOf, windowRegion, type FramingName } from '../../shared/framing'
import { Rng } from '../../shared/rng'
import { FaceRecognizer } from '../faces/recognizer'
import { Judges } from '../evaluation/judges'
import { conditionVector } from './condition'
import { judgeView, type JudgeView } from './judgeView'
import { LatentOptimizer, type OptimizeMode } from './latentOptimizer'
import { onGradient } from '../tf/inferenceSplit'
import { ModelError, type AgingModel } from './model'

export { DEFAULT_SPREAD }

/** G's two pictures for one look: all a composite needs. */
export interface FacePicture {
  /** G(z, y_target), model-size RGB in 0–255. */
  target: Float32Array
  /** G(z, y_source): what the residual composite subtracts. */
  source: Float32Array
}

/** The pictures with both identity scores, as every output and the settled editor view carry them. */
export interface RenderedFace extends FacePicture {
  /** Recognizer distance between the input face and G(z, y_target): what refinement lowers. */
  identityDistance: number
  /** The independent judge's cosine similarity between the same two: what no loss has seen. */
  independentSimilarity: number
}

export interface RefineOutcome {
  iterations: number
  losses: number[]
  /** Stopped by the user; ending before `iterations` because the loss stopped falling is done, not stopped. */
  stoppedEarly: boolean
}

/** The model's window of the master crop at the model's size (lanczos), RGB bytes. */
export async function modelWindow(master: Uint8Array, masterSize: number, size: number, framing: FramingName): Promise<Uint8Array> {
  const raw = { raw: { width: masterSize, height: masterSize, channels: 3 as const } }
  return new Uint8Array(await sharp(master, raw).extract(windowRegion(framing, masterSize)).resize(size, size, { kernel: 'lanczos3' }).raw().toBuffer())
}

/** That window in G's input range [-1, 1]. */
async function modelInput(master: Uint8Array, masterSize: number, size: number, framing: FramingName): Promise<tf.Tensor4D> {
  const pixels = await modelWindow(master, masterSize, size, framing)
  return tf.tidy(() => tf.tensor4d(pixels, [1, size, size, 3], 'float32').div(127.5).sub(1) as tf.Tensor4D)
}

/** Standard normal draws from the seeded generator (Box–Muller). */
function normals(seed: number, count: number): Float32Array {
  const rng = new Rng(seed)
  const out = new Float32Array(count)
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()))
    const t = 2 * Math.PI * rng.next()
    out[i] = r * Math.cos(t)
    if (i + 1 < count) out[i + 1] = r * Math.sin(t)
  }
  return out
}

/** One picture to render: an age position and a variation of z. */
export interface RenderItem {
  position: number
  variation: number
}

/**
 * G's pictures (pixels, `count` of them) must be pictures: NaN weights give NaN, which becomes an
 * all-black export that looks like a result. A constant picture is no face either.
 */
function refuseBlank(pixels: Float32Array, count: number): void {
  const size = pixels.length / count
  for (let i = 0; i < count; i++) {
    let [low, high] = [Infinity, -Infinity]
    for (let k = i * size; k < (i + 1) * size; k++) {
      const v = pixels[k]
      if (!Number.isFinite(v))
        throw new ModelError(
          "The model's generator made a picture with NaN or infinite values: its weights are broken, so nothing is aged. Import or train another model.",
        )
      if (v < low) low = v
      if (v > high) high = v
    }
    if (high - low < 1)
      throw new ModelError("The model's generator made a blank picture (one flat colour): it cannot age a face. Import or train another model.")
  }
}

export class FaceEdit {
  private z: tf.Tensor2D
  refinedIterations = 0
  /** G(z, y_source) per variation and spread, for the current z: the slider only changes y_target. */
  private sources = new Map<string, Float32Array>()

  private constructor(
    readonly model: AgingModel,
    private readonly recognizer: FaceRecognizer,
    readonly x: tf.Tensor4D,
    readonly sourcePosition: number,
    private readonly inputDescriptor: tf.Tensor2D,
    readonly z0: tf.Tensor2D,
    private readonly judges: Judges,
    private readonly inputEmbedding: tf.Tensor2D,
    private readonly judgeView: JudgeView,
  ) {
    this.z = z0.clone()
  }

  /** `framing` 'full' takes the whole image as the model's window (an aligned crop given as is). */
  static async create(
    model: AgingModel,
    recognizer: FaceRecognizer,
    master: Uint8Array,
    masterSize: number,
    sourcePosition: number,
    framing = framingOf(model.config),
  ): Promise<FaceEdit> {
    const x = await modelInput(master, masterSize, model.imageSize, framing)
    const z0 = onGradient(() => tf.tidy(() => model.encoder.apply(x, { training: false }) as tf.Tensor2D))
    const judges = await Judges.shared()
    const view = judgeView(framing, model.imageSize, [master], masterSize)
    const inputEmbedding = tf.tidy(() => judges.identity(view(x)))
    return new FaceEdit(model, recognizer, x, sourcePosition, recognizer.describe(x), z0, judges, inputEmbedding, view)
  }

  /**
   * Moves z to fit the input, starting again from z0, or going on from the current z (after a
   * Stop: its steps so far are kept and counted; Adam starts afresh). The preview uses z as it is
   * at every step.
   */
  async refine(
    mode: OptimizeMode,
    iterations: number,
    onProgress?: (iteration: number, loss: number) => void,
    signal?: AbortSignal,
    from: 'z0' | 'current' = 'z0',
  ): Promise<RefineOutcome> {
    const y0 = conditionVector(this.sourcePosition)
    const optimizer = new LatentOptimizer(this.model.generator, this.model.encoder, this.recognizer)
    const before = from === 'current' ? this.refinedIterations : 0
    const start = from === 'current' ? this.z.clone() : this.z0
    try {
      this.refinedIterations = before
      const onLatent = (z: tf.Tensor2D) => {
        this.setZ(z.clone())
        this.refinedIterations++
      }
      const progress = onProgress && ((i: number, loss: number) => onProgress(before + i, loss))
      const result = await optimizer.optimize(this.x, y0, { mode, iterations, onProgress: progress, onLatent, signal, z0: start })
      result.z0.dispose()
      this.setZ(result.z)
      this.refinedIterations = before + result.losses.length
      return { iterations: this.refinedIterations, losses: result.losses, stoppedEarly: signal?.aborted === true }
    } finally {
      y0.dispose()
      if (start !== this.z0) start.dispose()
    }
  }

  /** The model's input (its window of the face), RGB 0–255 at the model's size. */
  inputPixels(): Float32Array {
    const pixels = tf.tidy(() => this.x.add(1).mul(127.5).clipByValue(0, 255))
    const out = Float32Array.from(pixels.dataSync())
    pixels.dispose()
    return out
  }

  /** z for a variation: 0 is z itself; k > 0 adds seeded noise of the given spread. */
  private latent(variation: number, spread: number): tf.Tensor2D {
    if (variation === 0) return this.z.clone()
    const noise = normals(variation, this.z.size)
    return tf.tidy(() => this.z.add(tf.tensor2d(noise, this.z.shape).mul(spread)) as tf.Tensor2D)
  }

  private setZ(z: tf.Tensor2D): void {
    this.z.dispose()
    this.z = z
    this.sources.clear()
  }

  render(position: number, variation = 0, spread = DEFAULT_SPREAD): RenderedFace {
    return this.renderMany([{ position, variation }], spread)[0]
  }

  /** G alone, no scores: what the editor draws while the slider moves or refinement runs (about half a render). */
  picture(position: number, variation = 0, spread = DEFAULT_SPREAD): FacePicture {
    const drawn = this.draw([{ position, variation }], spread)
    const target = drawn.target.dataSync() as Float32Array
    tf.dispose([drawn.aged, drawn.target])
    refuseBlank(target, 1)
    return { target, source: drawn.sources[0] }
  }

  /** Several pictures in one batched pass of G, the recognizer and the judge (the strip, variations). */
  renderMany(items: RenderItem[], spread = DEFAULT_SPREAD): RenderedFace[] {
    const size = this.model.imageSize * this.model.imageSize * 3
    const { aged, target, sources } = this.draw(items, spread)
    const distance = onGradient(() => tf.tidy(() => FaceRecognizer.distance(this.inputDescriptor, this.recognizer.describe(aged))))
    // The judge sees the outputs (in the face's own crop when the model sees a window), outside any gradient.
    const similarity = tf.tidy(() => Judges.similarity(this.inputEmbedding, this.judges.identity(this.judgeView(target.div(127.5).sub(1) as tf.Tensor4D))))
    const [targets, distances, similarities] = [target.dataSync() as Float32Array, distance.dataSync(), similarity.dataSync()]
    tf.dispose([aged, target, distance, similarity])
    refuseBlank(targets, items.length)
    return items.map((_, i) => ({
      target: targets.slice(i * size, (i + 1) * size),
      source: sources[i],
      identityDistance: distances[i],
      independentSimilarity: similarities[i],
    }))
  }

  /**
   * G(z_variation, y_target) for every item in one batched call, in [-1, 1] (`aged`) and as pixels;
   * G(z, y_source) is drawn only for variations not yet cached. The caller disposes both tensors.
   */
  private draw(items: RenderItem[], spread: number): { aged: tf.Tensor4D; target: tf.Tensor4D; sources: Float32Array[] } {
    const size = this.model.imageSize * this.model.imageSize * 3
    const key = (variation: number) => `${variation}:${spread}`
    const missing = [...new Set(items.map((item) => item.variation))].filter((v) => !this.sources.has(key(v)))
    const zs = items.map((item) => this.latent(item.variation, spread))
    const G = (z: tf.Tensor2D[], positions: number[]) =>
      this.model.generator.apply([tf.concat(z), tf.concat(positions.map((p) => conditionVector(p)))], { training: false }) as tf.Tensor4D
    const toPixels = (images: tf.Tensor4D) => images.add(1).mul(127.5).clipByValue(0, 255) as tf.Tensor4D
    const { aged, target, own } = onGradient(() =>
      tf.tidy(() => {
        const aged = G(
          zs,
          items.map((item) => item.position),
        )
        const firstOf = (v: number) => zs[items.findIndex((item) => item.variation === v)]
        const own =
          missing.length === 0
            ? null
            : toPixels(
                G(
                  missing.map(firstOf),
                  missing.map(() => this.sourcePosition),
                ),
              )
        return { aged, target: toPixels(aged), ...(own && { own }) }
      }),
    ) as { aged: tf.Tensor4D; target: tf.Tensor4D; own?: tf.Tensor4D }
    if (own) {
      const values = own.dataSync() as Float32Array
      missing.forEach((v, i) => this.sources.set(key(v), values.slice(i * size, (i + 1) * size)))
    }
    tf.dispose([...zs, ...(own ? [own] : [])])
    return { aged, target, sources: items.map((item) => this.sources.get(key(item.variation))!) }
  }

  dispose(): void {
    tf.dispose([this.x, this.z, this.z0, this.inputDescriptor, this.inputEmbedding])
  }
}
