// The near-duplicate hash on real photos (face-api's demo samples, cut into 200 px chips here):
// copies that were rescaled, re-encoded or re-toned stay within the threshold, different photos
// stay far outside it. The false-positive rate on the development set is in issue 12's note.
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import {
  hammingDistance,
  hashWords,
  HASH_PREFIX,
  isCurrentHash,
  lowFrequencies,
  NEAR_DUPLICATE_BITS,
  NearDuplicateIndex,
  perceptualHash,
} from '../../src/engine/images/phash'
import { DEMO_PHOTOS } from '../helpers/photos'

const chip = (photo: string) => sharp(photo).resize(200, 200, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer()
const distance = async (a: Uint8Array, b: Uint8Array) => hammingDistance(hashWords(await perceptualHash(a)), hashWords(await perceptualHash(b)))

describe('perceptual hash', () => {
  it('keeps rescaled, re-encoded and re-toned copies within the threshold', async () => {
    for (const photo of DEMO_PHOTOS) {
      const original = await chip(photo)
      const copies = [
        await sharp(original).resize(180, 180).jpeg({ quality: 70 }).toBuffer(), // the case: 37 bits apart before
        await sharp(original).resize(120, 120).jpeg({ quality: 60 }).toBuffer(),
        await sharp(original).resize(400, 400).png().toBuffer(),
        await sharp(original).modulate({ brightness: 1.15 }).jpeg({ quality: 75 }).toBuffer(),
      ]
      for (const copy of copies) expect(await distance(original, copy), photo).toBeLessThanOrEqual(NEAR_DUPLICATE_BITS / 2)
    }
  })

  it('keeps different photos far apart', async () => {
    const chips = await Promise.all(DEMO_PHOTOS.map(chip))
    for (let i = 0; i < chips.length; i++) {
      for (let j = i + 1; j < chips.length; j++) expect(await distance(chips[i], chips[j])).toBeGreaterThan(NEAR_DUPLICATE_BITS + 20)
    }
  })

  it('is the DCT of the image: a flat image has only a DC term, a horizontal ramp only horizontal ones', () => {
    const flat = lowFrequencies(new Array(32 * 32).fill(100))
    expect(Math.abs(flat[0])).toBeGreaterThan(1000)
    expect(Math.max(...Array.from(flat.subarray(1), Math.abs))).toBeLessThan(1e-6)
    const ramp = lowFrequencies(Array.from({ length: 32 * 32 }, (_, i) => i % 32))
    for (let v = 1; v < 16; v++) for (let u = 0; u < 16; u++) expect(Math.abs(ramp[v * 16 + u])).toBeLessThan(1e-6)
    expect(Math.abs(ramp[1])).toBeGreaterThan(100)
  })

  it('tells hashes of an older kind apart and leaves them out of comparisons', async () => {
    const hash = await perceptualHash(await chip(DEMO_PHOTOS[0]))
    expect(hash.startsWith(HASH_PREFIX) && isCurrentHash(hash)).toBe(true)
    const index = new NearDuplicateIndex()
    index.add(1, 'f'.repeat(64)) // a difference hash from an older catalog
    index.add(2, hash)
    expect(index.nearest(hash)).toEqual({ id: 2, bits: 0 })
    const other = new NearDuplicateIndex()
    other.add(1, hash.slice(HASH_PREFIX.length))
    expect(other.nearest(hash)).toBeNull()
  })
})
