/** Import throughput (detection, alignment, hashing and catalog writes) on real faces. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { Catalog } from '../engine/catalog/catalog'
import { FileStore } from '../engine/catalog/files'
import { importPhotos } from '../engine/datasets/importer'
import { useInferenceBackend } from '../engine/tf/backends'
import { demoFaceCrops, demoPhoto } from './faceSamples'

async function timeImport(name: string, files: Buffer[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'age-studio-bench-import-'))
  try {
    files.forEach((bytes, i) => writeFileSync(join(dir, `${i}.jpg`), bytes))
    const catalog = Catalog.open(join(dir, 'home'))
    const start = performance.now()
    const outcome = await importPhotos(
      catalog,
      new FileStore(join(dir, 'home')),
      { paths: [dir], format: 'folder', estimateAges: false },
      { checkpoint: () => {}, progress: () => {} },
    )
    const seconds = (performance.now() - start) / 1000
    catalog.close()
    return `  ${name}: ${files.length} photos in ${seconds.toFixed(1)} s = ${(files.length / seconds).toFixed(2)} images/s (${outcome.imported} faces found)`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function benchImports(): Promise<string[]> {
  const backend = await useInferenceBackend()
  const crops = await demoFaceCrops(200)
  // Re-encoded at other qualities so each file is new to the catalog.
  const small = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      sharp(crops[i % crops.length].bytes)
        .jpeg({ quality: 80 + Math.floor(i / crops.length) })
        .toBuffer(),
    ),
  )
  const photos = [1, 2, 3, 4, 5, 6].map((n) => readFileSync(demoPhoto(n)))
  const big = await Promise.all(photos.map((bytes) => sharp(bytes).resize(4800).jpeg({ quality: 90 }).toBuffer()))
  return [
    `import on ${backend.name}:`,
    await timeImport('200×200 face crops', small),
    await timeImport('1920 px group photos', photos),
    await timeImport('4800 px (~15 MP) photos', big),
  ]
}
