/** Creates the demo dataset: N procedural faces spread evenly over the six bins. */
import { ageToBin, BIN_COUNT, binAgeRange, emptyPerBin, type AgeBin } from '../../shared/ageBins'
import type { DemoResult, Split } from '../../shared/domain'
import { Rng } from '../../shared/rng'
import { sha256, type FileStore } from '../catalog/files'
import type { Catalog } from '../catalog/catalog'
import type { NewImage } from '../catalog/images'
import { resizeToPng, rgbToPng } from '../images/encode'
import { yieldToLoop, type Job } from '../workers/jobs'
import { renderFace, sampleFaceParams } from './demoFaces'

/** The master crop is drawn at 128 px; the 64 px training image is derived from it. */
export const DEMO_MASTER_SIZE = 128
export const TRAIN_SIZE = 64
const BATCH = 50

export interface DemoOptions {
  count: number
  seed: number
}

/** What the demo job made; the call adds its job id (DemoResult). */
export type DemoOutcome = Omit<DemoResult, 'jobId'>

/** One demo face's label and split. Draws happen in a fixed order, so a seed fixes everything. */
function drawLabel(rng: Rng, index: number): { age: number; bin: AgeBin; split: Split } {
  const bin = (index % BIN_COUNT) as AgeBin
  const [low, high] = binAgeRange(bin)
  const age = rng.int(low, high)
  const roll = rng.next()
  const split: Split = roll < 0.8 ? 'train' : roll < 0.9 ? 'val' : 'test'
  return { age, bin, split }
}

export async function createDemoDataset(catalog: Catalog, files: FileStore, job: Job, { count, seed }: DemoOptions): Promise<DemoOutcome> {
  const datasetId = catalog.datasets.ensure(`demo (seed ${seed})`, 'demo', null, { seed })
  const rng = new Rng(seed)
  const perBin = emptyPerBin()
  let pending: NewImage[] = []
  let created = 0
  let duplicates = 0
  const flush = () => {
    const outcome = catalog.images.insertMany(pending)
    created += outcome.inserted
    duplicates += outcome.duplicates
    pending = []
  }

  for (let index = 0; index < count; index++) {
    job.checkpoint()
    const { age, bin, split } = drawLabel(rng, index)
    if (ageToBin(age) !== bin) throw new Error(`demo age ${age} fell outside bin ${bin}`)
    const face = { data: renderFace(sampleFaceParams(rng, age), DEMO_MASTER_SIZE), width: DEMO_MASTER_SIZE, height: DEMO_MASTER_SIZE }
    const master = await rgbToPng(face)
    const [cropFile, trainFile] = await Promise.all([files.put(master, 'png'), resizeToPng(face, TRAIN_SIZE).then((png) => files.put(png, 'png'))])
    pending.push({
      datasetId,
      sha256: sha256(master),
      sourcePath: `demo://seed-${seed}/${index}`,
      cropFile,
      trainFile,
      width: DEMO_MASTER_SIZE,
      height: DEMO_MASTER_SIZE,
      age,
      ageSource: 'label',
      ageBin: bin,
      split,
    })
    perBin[bin]++
    if (pending.length >= BATCH) flush()
    job.progress(index + 1, count)
    if (index % 8 === 7) await yieldToLoop()
  }
  flush()
  return { datasetId, created, duplicates, perBin }
}
