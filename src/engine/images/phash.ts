/**
 * Perceptual hash for near-duplicate photos (a resized, re-encoded or re-toned copy): the DCT
 * pHash. The photo's greyscale at 32×32, its 2-D DCT, and of the 16×16 lowest frequencies one bit
 * each: above or below their median. Low frequencies survive rescaling and JPEG; a difference
 * hash of neighbouring pixels does not (UTKFace's smooth face chips flip many of its bits).
 * Computed on the whole photo, not the aligned crop: aligned faces all look alike. Compared by
 * Hamming distance. Stored as "dct1:" and 64 hex digits, so hashes of an older kind are told apart.
 */
import sharp from 'sharp'

export const HASH_PREFIX = 'dct1:'
const SIZE = 32
const BLOCK = 16

/**
 * Bits (of 256) two photos may differ by and still count as the same picture. Measured on 1,500
 * UTKFace faces (scratch experiment, numbers in issue 12's note): copies resized to 180, 120 or
 * 400 px and re-saved at JPEG 60–85, or brightened 15%, differ by 14 bits at most (the old
 * difference hash: up to 50); distinct pairs by 64 or more at the 0.001% quantile. 40 leaves room
 * on both sides and also catches most copies cropped by 2% a side.
 */
export const NEAR_DUPLICATE_BITS = 40

/** cos((2x + 1) k π / 2N) for the first BLOCK frequencies k. */
const COSINES = Float64Array.from({ length: BLOCK * SIZE }, (_, i) => Math.cos(((2 * (i % SIZE) + 1) * Math.floor(i / SIZE) * Math.PI) / (2 * SIZE)))

/** The low-frequency BLOCK×BLOCK corner of the 2-D DCT-II of a SIZE×SIZE image (separable: rows, then columns). */
export function lowFrequencies(pixels: ArrayLike<number>): Float64Array {
  const rows = new Float64Array(BLOCK * SIZE)
  for (let u = 0; u < BLOCK; u++) {
    for (let y = 0; y < SIZE; y++) {
      let sum = 0
      for (let x = 0; x < SIZE; x++) sum += pixels[y * SIZE + x] * COSINES[u * SIZE + x]
      rows[u * SIZE + y] = sum
    }
  }
  const out = new Float64Array(BLOCK * BLOCK)
  for (let v = 0; v < BLOCK; v++) {
    for (let u = 0; u < BLOCK; u++) {
      let sum = 0
      for (let y = 0; y < SIZE; y++) sum += rows[u * SIZE + y] * COSINES[v * SIZE + y]
      out[v * BLOCK + u] = sum
    }
  }
  return out
}

export async function perceptualHash(bytes: Uint8Array): Promise<string> {
  const { data } = await sharp(bytes, { failOn: 'none' })
    .rotate()
    .greyscale()
    .resize(SIZE, SIZE, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  const coefficients = lowFrequencies(data)
  // The DC term (overall brightness) is left out of the median; its own bit is then always set.
  const median = Array.from(coefficients.subarray(1)).sort((a, b) => a - b)[(coefficients.length - 1) >> 1]
  const words = new Uint32Array(8)
  coefficients.forEach((value, bit) => {
    if (value > median) words[bit >>> 5] |= 1 << (bit & 31)
  })
  return HASH_PREFIX + Array.from(words, (w) => w.toString(16).padStart(8, '0')).join('')
}

/** Whether a stored hash is of the current kind (older catalogs hold difference hashes). */
export const isCurrentHash = (hash: string) => hash.startsWith(HASH_PREFIX) && hash.length === HASH_PREFIX.length + 64

export function hashWords(hash: string): Uint32Array {
  const hex = hash.slice(hash.indexOf(':') + 1)
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

  /** Hashes of an older kind cannot be compared with current ones and are left out. */
  add(id: number, hash: string): void {
    if (!isCurrentHash(hash)) return
    this.ids.push(id)
    this.hashes.push(hashWords(hash))
  }

  /** The closest photo within NEAR_DUPLICATE_BITS, or null. */
  nearest(hash: string): { id: number; bits: number } | null {
    const words = hashWords(hash)
    let best: { id: number; bits: number } | null = null
    for (let i = 0; i < this.hashes.length; i++) {
      const bits = hammingDistance(words, this.hashes[i])
      if (bits <= NEAR_DUPLICATE_BITS && (!best || bits < best.bits)) best = { id: this.ids[i], bits }
    }
    return best
  }
}
