/**
 * `npm run bench -- --near-duplicates DIR`: how well the near-duplicate hash separates copies
 * from different photos on a real folder (e.g. the UTKFace development set): every photo is
 * hashed and every pair compared (false positives), and a sample is copied four ways (false
 * negatives). Prints numbers only.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { hammingDistance, hashWords, NEAR_DUPLICATE_BITS, perceptualHash } from '../engine/images/phash'

const COPIES: [string, (bytes: Buffer) => Promise<Buffer>][] = [
  [
    'resized to 90% + JPEG 70',
    async (b) =>
      sharp(b)
        .resize({ width: Math.round(((await sharp(b).metadata()).width ?? 200) * 0.9) })
        .jpeg({ quality: 70 })
        .toBuffer(),
  ],
  [
    'resized to 60% + JPEG 60',
    async (b) =>
      sharp(b)
        .resize({ width: Math.round(((await sharp(b).metadata()).width ?? 200) * 0.6) })
        .jpeg({ quality: 60 })
        .toBuffer(),
  ],
  [
    'enlarged 2× + PNG',
    async (b) =>
      sharp(b)
        .resize({ width: ((await sharp(b).metadata()).width ?? 200) * 2 })
        .png()
        .toBuffer(),
  ],
  ['brightened 15% + JPEG 75', (b) => sharp(b).modulate({ brightness: 1.15 }).jpeg({ quality: 75 }).toBuffer()],
  [
    'cropped 2% a side + JPEG 80',
    async (b) => {
      const { width = 200, height = 200 } = await sharp(b).metadata()
      const dx = Math.round(width * 0.02),
        dy = Math.round(height * 0.02)
      return sharp(b)
        .extract({ left: dx, top: dy, width: width - 2 * dx, height: height - 2 * dy })
        .jpeg({ quality: 80 })
        .toBuffer()
    },
  ],
]

export async function benchNearDuplicates(dir: string, sample = 1000): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort()
  const started = performance.now()
  const hashes: Uint32Array[] = []
  for (const file of files) hashes.push(hashWords(await perceptualHash(readFileSync(join(dir, file)))))
  const hashSeconds = (performance.now() - started) / 1000
  const histogram = new Float64Array(257)
  const close: [number, number, number][] = []
  for (let i = 0; i < hashes.length; i++) {
    for (let j = i + 1; j < hashes.length; j++) {
      const bits = hammingDistance(hashes[i], hashes[j])
      histogram[bits]++
      if (bits <= NEAR_DUPLICATE_BITS) close.push([i, j, bits])
    }
  }
  const pairs = (hashes.length * (hashes.length - 1)) / 2
  const quantile = (q: number) => {
    let seen = 0
    for (let bits = 0; bits <= 256; bits++) if ((seen += histogram[bits]) >= q * pairs) return bits
    return 256
  }
  const lines = [
    `near-duplicates on ${files.length} photos in ${dir} (threshold ${NEAR_DUPLICATE_BITS} of 256 bits; ${((hashSeconds * 1000) / files.length).toFixed(1)} ms a photo to hash):`,
    `  ${pairs.toLocaleString('en')} distinct pairs: ${close.length} within the threshold (${((close.length / pairs) * 1e6).toFixed(3)} per million); ` +
      `closest ${close.length ? Math.min(...close.map((c) => c[2])) : quantile(0)} bits; quantiles 1e-6 ${quantile(1e-6)}, 1e-4 ${quantile(1e-4)}, 1% ${quantile(0.01)}, median ${quantile(0.5)}`,
    `  the pairs within it by distance: ${[0, 11, 21, 31].map((lo) => `${lo}–${lo === 31 ? NEAR_DUPLICATE_BITS : lo + 9} bits: ${close.filter((c) => c[2] >= lo && c[2] <= (lo === 31 ? NEAR_DUPLICATE_BITS : lo + 9)).length}`).join(', ')}`,
    // The pairs nearest the threshold are the likeliest false positives: look at them.
    ...close
      .sort((a, b) => b[2] - a[2])
      .slice(0, 8)
      .map(([i, j, bits]) => `    ${bits} bits: ${files[i]} ~ ${files[j]}`),
  ]
  const step = Math.max(1, Math.floor(files.length / sample))
  const picked = files.filter((_, i) => i % step === 0).slice(0, sample)
  for (const [name, copy] of COPIES) {
    const distances: number[] = []
    for (const file of picked) {
      const bytes = readFileSync(join(dir, file))
      distances.push(hammingDistance(hashWords(await perceptualHash(bytes)), hashWords(await perceptualHash(await copy(bytes)))))
    }
    const caught = distances.filter((d) => d <= NEAR_DUPLICATE_BITS).length
    lines.push(
      `  copies ${name}: ${caught} of ${picked.length} caught (${((caught / picked.length) * 100).toFixed(1)}%), at most ${Math.max(...distances)} bits apart`,
    )
  }
  return lines
}
