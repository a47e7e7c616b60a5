import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { perceptualHash, hashWords, hammingDistance } from '/work/main/src/engine/images/phash'

const DIR = '/work/shared/datasets/utkface'
const N = Number(process.argv[2] ?? 1500)
const files = readdirSync(DIR).sort().filter((_, i) => i % Math.floor(21419 / N) === 0).slice(0, N)

const COS: Record<number, Float64Array> = {}
function cos(n: number) {
  if (COS[n]) return COS[n]
  const t = new Float64Array(n * n)
  for (let k = 0; k < n; k++) for (let x = 0; x < n; x++) t[k * n + x] = Math.cos(((2 * x + 1) * k * Math.PI) / (2 * n))
  return (COS[n] = t)
}
async function dct(bytes: Buffer, size: number, block: number): Promise<Uint8Array> {
  const { data } = await sharp(bytes, { failOn: 'none' }).rotate().greyscale().resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true })
  const c = cos(size)
  const rows = new Float64Array(block * size)
  for (let k = 0; k < block; k++) for (let y = 0; y < size; y++) { let s = 0; for (let x = 0; x < size; x++) s += data[y * size + x] * c[k * size + x]; rows[k * size + y] = s }
  const coef: number[] = []
  for (let v = 0; v < block; v++) for (let u = 0; u < block; u++) { let s = 0; for (let y = 0; y < size; y++) s += rows[u * size + y] * c[v * size + y]; coef.push(s) }
  const ac = coef.slice(1)
  const median = [...ac].sort((a, b) => a - b)[Math.floor(ac.length / 2)]
  return Uint8Array.from(coef, (v, i) => (i === 0 ? 1 : v > median ? 1 : 0))
}
const ham = (a: Uint8Array, b: Uint8Array) => { let n = 0; for (let i = 0; i < a.length; i++) n += a[i] ^ b[i]; return n }

const copies = async (bytes: Buffer) => [
  await sharp(bytes).resize(180, 180).jpeg({ quality: 70 }).toBuffer(),
  await sharp(bytes).resize(120, 120).jpeg({ quality: 60 }).toBuffer(),
  await sharp(bytes).resize(400, 400).jpeg({ quality: 85 }).toBuffer(),
  await sharp(bytes).extract({ left: 4, top: 4, width: 192, height: 192 }).jpeg({ quality: 80 }).toBuffer(), // 4% crop
  await sharp(bytes).modulate({ brightness: 1.15 }).jpeg({ quality: 75 }).toBuffer(),
]
const variants = [ { name: 'dct32/16', size: 32, block: 16 } ]
;(async () => {
  const orig: Record<string, Uint8Array[]> = {}, cops: Record<string, Uint8Array[][]> = {}
  const dh: Uint32Array[] = [], dhc: Uint32Array[][] = []
  for (const v of variants) { orig[v.name] = []; cops[v.name] = [] }
  for (const f of files) {
    const bytes = readFileSync(join(DIR, f))
    const cs = await copies(bytes)
    for (const v of variants) { orig[v.name].push(await dct(bytes, v.size, v.block)); cops[v.name].push(await Promise.all(cs.map((c) => dct(c, v.size, v.block)))) }
    dh.push(hashWords(await perceptualHash(bytes))); dhc.push(await Promise.all(cs.map(async (c) => hashWords(await perceptualHash(c)))))
  }
  const report = (name: string, bits: number, copyD: number[][], pair: (i: number, j: number) => number) => {
    const perKind = copyD[0].map((_, k) => copyD.map((d) => d[k]))
    const pairs: number[] = []
    for (let i = 0; i < files.length; i++) for (let j = i + 1; j < files.length; j++) pairs.push(pair(i, j))
    pairs.sort((a, b) => a - b)
    const q = (arr: number[], p: number) => [...arr].sort((a, b) => a - b)[Math.floor(p * (arr.length - 1))]
    console.log(`${name} (${bits} bits): copies max per kind ${perKind.map((d) => Math.max(...d)).join('/')} p99 ${perKind.map((d) => q(d, 0.99)).join('/')}; distinct pairs min ${pairs[0]} p0.001% ${q(pairs, 0.00001)} p0.01% ${q(pairs, 0.0001)} p1% ${q(pairs, 0.01)}`)
    for (const t of bits === 256 ? [24, 28, 32, 36, 40, 44] : [10]) {
      const caught = copyD.flat().filter((d) => d <= t).length / copyD.flat().length
      const fp = pairs.filter((d) => d <= t).length
      const kinds = perKind.map((d) => ((d.filter((x) => x <= t).length / d.length) * 100).toFixed(1)).join('/')
      console.log(`   threshold ${t}: copies caught ${(caught * 100).toFixed(2)}% (per kind ${kinds}), distinct pairs within ${fp} of ${pairs.length}`)
    }
  }
  report('dhash17x16', 256, dhc.map((cs, i) => cs.map((c) => hammingDistance(dh[i], c))), (i, j) => hammingDistance(dh[i], dh[j]))
  for (const v of variants) report(v.name, v.block * v.block, cops[v.name].map((cs, i) => cs.map((c) => ham(orig[v.name][i], c))), (i, j) => ham(orig[v.name][i], orig[v.name][j]))
})()
