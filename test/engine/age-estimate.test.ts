// One age estimate for the same pixels: import, batch and the editor agree, and a catalog age is
// used only for the face the catalog holds.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { createRun, trainRun } from '../../src/engine/training/trainer'
import type { Handlers } from '../../src/shared/contract'
import { demoStudio } from '../helpers/training'
import { DEMO_PHOTOS } from '../helpers/photos'

let env: Awaited<ReturnType<typeof demoStudio>>
let api: Handlers
let runId: string

beforeAll(async () => {
  env = await demoStudio(24)
  api = createHandlers(env.studio)
  runId = (await createRun(env.ctx.catalog, { preset: 'tiny', steps: 2, encoderSteps: 2, batch: 4, seed: 3, checkpointEvery: 2 })).runId
  await trainRun(env.ctx, runId, { paused: false, cancelled: false })
}, 300_000)
afterAll(() => env.close())

/** The source age a batch of one photo recorded. */
async function batchSource(photo: string, out: string) {
  await api['batch.run']({
    paths: [photo],
    ages: [60],
    strength: 1,
    variations: 1,
    optimize: 'none',
    iterations: 0,
    runId,
    outDir: out,
    force: false,
    paper: 'a4',
    ageTurned: false,
    spread: 0.35,
    mode: 'residual',
    format: 'png',
  })
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))
  const { sourceAge, sourceFrom } = manifest.outputs[0].parameters
  return { sourceAge, sourceFrom }
}

describe('the age estimate of a photo', () => {
  it('is the same at import, in batch (from the catalog or estimated again) and in the editor', async () => {
    const folder = join(env.ctx.home, 'photos')
    mkdirSync(folder)
    const photo = join(folder, 'group.jpg')
    copyFileSync(DEMO_PHOTOS[0], photo)
    // The same pixels in other bytes: a lossless PNG of the decoded JPEG, which no catalog row holds.
    const samePixels = join(env.ctx.home, 'group-copy.png')
    await sharp(photo).png().toFile(samePixels)

    await api['library.import']({ paths: [folder], format: 'folder', estimateAges: true, seed: 1, val: 0.1, test: 0.1 })
    const sha = createHash('sha256').update(readFileSync(photo)).digest('hex')
    const stored = env.studio.catalog.images.ageOf(sha)!
    expect(stored).toMatchObject({ ageSource: 'estimate', age: expect.any(Number) })

    expect(await batchSource(photo, join(env.ctx.home, 'out-1'))).toEqual({ sourceAge: stored.age, sourceFrom: 'catalog estimate' })
    expect(await batchSource(samePixels, join(env.ctx.home, 'out-2'))).toEqual({ sourceAge: stored.age, sourceFrom: 'estimated' })

    const { sessionId } = await api['editor.open']({ path: samePixels })
    const prepared = await api['editor.prepare']({ sessionId, faceIndex: 0, runId })
    expect(prepared.source).toMatchObject({ age: stored.age, from: 'estimated' })
    await api['editor.close']({ sessionId })
  }, 300_000)

  it('uses the catalog age only for the face it was given to', async () => {
    const photo = join(env.ctx.home, 'photos', 'group.jpg')
    const { sessionId, faces } = await api['editor.open']({ path: photo })
    expect(faces.length).toBeGreaterThan(1)
    const own = await api['editor.prepare']({ sessionId, faceIndex: 0, runId })
    expect(own.source.from).toBe('catalog estimate')
    const other = await api['editor.prepare']({ sessionId, faceIndex: 1, runId })
    expect(other.source.from).toBe('estimated')
    await api['editor.close']({ sessionId })
  }, 300_000)
})
