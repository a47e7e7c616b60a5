// What a run trains on under each framing: real SQLite, real crop files made here.
import { rmSync } from 'node:fs'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/engine/catalog/catalog'
import { FileStore } from '../../src/engine/catalog/files'
import { storeCrops } from '../../src/engine/datasets/importer'
import { eyeTransform } from '../../src/engine/faces/align'
import { loadTrainingImages } from '../../src/engine/training/data'
import { windowPixels } from '../../src/shared/framing'
import { TrainConfigSchema } from '../../src/shared/training'
import { tempHome } from '../helpers/serve'

const home = tempHome('age-studio-framing-')
afterAll(() => rmSync(home, { recursive: true, force: true }))

/** A 256 px master whose every pixel says where it is: red = column, green = row. */
const gradientMaster = () =>
  Uint8Array.from({ length: 256 * 256 * 3 }, (_, i) => (i % 3 === 0 ? Math.floor(i / 3) % 256 : i % 3 === 1 ? Math.floor(i / 3 / 256) : 90))

describe('framing', () => {
  it('a face-framed run trains on the window of each master, leaving out faces whose window lies outside their photo; an older run sees the whole master', async () => {
    const catalog = Catalog.open(home)
    const files = new FileStore(home)
    const datasetId = catalog.datasets.ensure('framing', 'folder', null)
    const { cropFile, trainFile } = await storeCrops(files, gradientMaster())
    // The same face in a big photo (nothing outside) and in a chip that ends just below the eyes.
    const eyes = (x: number, y: number) => eyeTransform({ x, y }, { x: x + 80, y }, 256)
    const face = (sha: string, width: number, height: number, age: number) => ({
      datasetId,
      sha256: sha,
      sourcePath: `/photos/${sha}.jpg`,
      cropFile,
      trainFile,
      width,
      height,
      age,
      ageSource: 'label' as const,
      ageBin: (age < 19 ? 0 : 1) as 0 | 1,
      split: 'train' as const,
      transform: eyes(500, 500),
    })
    catalog.images.insertMany([face('whole', 1200, 1200, 30), face('cut', 1200, 540, 10)])

    const config = (input: object) => TrainConfigSchema.parse({ datasetId, ...input })
    expect(catalog.images.trainingRows(config({ framing: 'face' })).map((r) => r.bin)).toEqual([1])
    expect(catalog.images.trainingRows(config({ framing: 'face', maxFill: 1 }))).toHaveLength(2)
    expect(catalog.images.trainingRows(config({}))).toHaveLength(2) // an older run: full framing, no limit

    const [faceFramed] = await loadTrainingImages(catalog, files, 64, config({ framing: 'face' }))
    const [full] = await loadTrainingImages(catalog, files, 64, config({}))
    const { left, top, side } = windowPixels('face', 256)
    // The window's top-left pixel is the master's (left, top); the full image's is (0, 0).
    expect(faceFramed.pixels[0]).toBeCloseTo(left, -1)
    expect(faceFramed.pixels[1]).toBeCloseTo(top, -1)
    expect(faceFramed.pixels[(63 * 64 + 63) * 3]).toBeCloseTo(left + side, -1)
    expect(full.pixels[0]).toBeLessThan(5)
    expect(full.pixels[(63 * 64 + 63) * 3]).toBeGreaterThan(250)
    // The full image is the stored 64 px training image itself.
    expect(Buffer.from(full.pixels).equals(await sharp(files.resolve(trainFile)).removeAlpha().raw().toBuffer())).toBe(true)
    catalog.close()
  })
})
