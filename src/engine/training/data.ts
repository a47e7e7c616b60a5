/**
 * Training batches from the catalog: labelled images matching the run's filters (by default the
 * train split, not excluded). The order is a
 * permutation per epoch drawn from the run's seed, so a resumed run sees the same data in the
 * same order; images are flipped horizontally at random.
 */
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { Rng } from '../../shared/rng'
import type { Catalog } from '../catalog/catalog'
import type { FileStore } from '../catalog/files'
import type { TrainingRow, TrainingSelection } from '../catalog/images'
import { framingOf, windowRegion, type FramingName } from '../../shared/framing'

export interface TrainingImage {
  pixels: Uint8Array
  bin: number
}

export async function loadTrainingImages(catalog: Catalog, files: FileStore, size: number, selection: TrainingSelection): Promise<TrainingImage[]> {
  const rows = catalog.images.trainingRows(selection)
  const framing = framingOf(selection)
  // Decoded a few at a time: a 20,000-image dataset must not open 20,000 decoders at once.
  const images: TrainingImage[] = []
  for (let start = 0; start < rows.length; start += 64) {
    const decoded = await Promise.all(
      rows.slice(start, start + 64).map(async (row) => ({ pixels: await trainingPixels(files, row, size, framing), bin: row.bin })),
    )
    images.push(...decoded)
  }
  return images
}

/** The model's view of one catalog face: the run's window of the master crop, at the model's size. */
export async function trainingPixels(files: FileStore, row: TrainingRow, size: number, framing: FramingName): Promise<Uint8Array> {
  // The full master at 64 px is the stored training image; anything else is cut from the master.
  if (framing === 'full' && (size === 64 || !row.crop)) return rawPixels(sharp(files.resolve(row.file)), size)
  const master = sharp(files.resolve(row.crop ?? row.file))
  const { width = 0 } = await master.metadata()
  return rawPixels(master.extract(windowRegion(framing, width)), size)
}

async function rawPixels(image: sharp.Sharp, size: number): Promise<Uint8Array> {
  return new Uint8Array(await image.removeAlpha().resize(size, size).raw().toBuffer())
}

export function oneHot(bins: number[], count: number): tf.Tensor2D {
  const values = new Float32Array(bins.length * count)
  bins.forEach((bin, i) => (values[i * count + bin] = 1))
  return tf.tensor2d(values, [bins.length, count])
}

/** Where the sampler is; saved in checkpoints. */
export interface SamplerState {
  epoch: number
  position: number
}

export class BatchSampler {
  private order: number[] = []
  private byBin: number[][]

  constructor(
    private readonly images: TrainingImage[],
    private readonly size: number,
    private readonly bins: number,
    private readonly balance: boolean,
    private readonly seed: number,
    public state: SamplerState = { epoch: 0, position: 0 },
  ) {
    if (images.length === 0) throw new Error('No training images: the dataset has no labelled, included images in the train split.')
    this.byBin = Array.from({ length: bins }, () => [])
    images.forEach((image, i) => this.byBin[image.bin].push(i))
    this.shuffle()
  }

  /** The epoch's permutation depends only on (seed, epoch), so resuming mid-epoch is exact. */
  private shuffle(): void {
    const rng = new Rng((this.seed * 7919 + this.state.epoch) >>> 0)
    this.order = this.images.map((_, i) => i)
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1))
      ;[this.order[i], this.order[j]] = [this.order[j], this.order[i]]
    }
  }

  private nextIndex(rng: Rng): number {
    if (this.balance) {
      const filled = this.byBin.filter((list) => list.length > 0)
      const list = filled[Math.floor(rng.next() * filled.length)]
      return list[Math.floor(rng.next() * list.length)]
    }
    if (this.state.position >= this.order.length) {
      this.state = { epoch: this.state.epoch + 1, position: 0 }
      this.shuffle()
    }
    return this.order[this.state.position++]
  }

  /** Images scaled to [-1, 1] and their one-hot labels. */
  next(batch: number, rng: Rng): { images: tf.Tensor4D; labels: tf.Tensor2D; bins: number[] } {
    const s = this.size
    const pixels = new Float32Array(batch * s * s * 3)
    const bins: number[] = []
    for (let b = 0; b < batch; b++) {
      const image = this.images[this.nextIndex(rng)]
      bins.push(image.bin)
      const flip = rng.next() < 0.5
      const base = b * s * s * 3
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const from = (y * s + (flip ? s - 1 - x : x)) * 3
          const to = base + (y * s + x) * 3
          for (let c = 0; c < 3; c++) pixels[to + c] = image.pixels[from + c] / 127.5 - 1
        }
      }
    }
    return {
      images: tf.tensor4d(pixels, [batch, s, s, 3]),
      labels: oneHot(bins, this.bins),
      bins,
    }
  }

  /** How many images each bin contributes, for the run's record. */
  perBin(): number[] {
    return this.byBin.map((list) => list.length)
  }
}
