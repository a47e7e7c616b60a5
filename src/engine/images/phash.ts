/**
 * Perceptual hash for near-duplicate photos (a re-encoded, resized or lightly edited copy):
 * a 256-bit difference hash of the whole photo's greyscale, 17×16 after a resize. Compares by
 * Hamming distance. Computed on the photo, not the aligned crop: aligned faces all look alike.
 */
import sharp from 'sharp'

const WIDTH = 17
const HEIGHT = 16
/**
 * Bits (of 256) two photos may differ by and still count as the same picture. On 1,500 UTKFace
 * faces a resized JPEG-60 copy differed by 12 on average (27 at most); only 30 of 1.1M distinct
 * pairs came within 30, most of them the dataset's own duplicates.
 */
export const NEAR_DUPLICATE_BITS = 28

export async function perceptualHash(bytes: Uint8Array): Promise<string> {
  const { data } = await sharp(bytes, { failOn: 'none' })
    .rotate()
    .greyscale()
    .resize(WIDTH, HEIGHT, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  const words = new Uint32Array(8)
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH - 1; x++) {
      const bit = y * (WIDTH - 1) + x
      if (data[y * WIDTH + x] < data[y * WIDTH + x + 1]) words[bit >>> 5] |= 1 << (bit & 31)
    }
  }
  return Array.from(words, (w) => w.toString(16).padStart(8, '0')).join('')
}

export function hashWords(hex: string): Uint32Array {
  return Uint32Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(i * 8, i * 8 + 8), 16))
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

export function hammingDistance(a: Uint32Array, b: Uint32Array): number {
  let bits = 0
  for (let i = 0; i < 8; i++) bits += popcount(a[i] ^ b[i])
  return bits
}

/** The catalog's hashes in memory, to find the nearest earlier photo for each new one. */
export class NearDuplicateIndex {
  private readonly ids: number[] = []
  private readonly hashes: Uint32Array[] = []

  add(id: number, hex: string): void {
    this.ids.push(id)
    this.hashes.push(hashWords(hex))
  }

  /** The closest photo within NEAR_DUPLICATE_BITS, or null. */
  nearest(hex: string): { id: number; bits: number } | null {
    const words = hashWords(hex)
    let best: { id: number; bits: number } | null = null
    for (let i = 0; i < this.hashes.length; i++) {
      const bits = hammingDistance(words, this.hashes[i])
      if (bits <= NEAR_DUPLICATE_BITS && (!best || bits < best.bits)) best = { id: this.ids[i], bits }
    }
    return best
  }
}
