import { rmSync } from 'node:fs'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ageToBin } from '../../src/shared/ageBins'
import { Rng } from '../../src/shared/rng'
import { createHandlers } from '../../src/engine/api/handlers'
import { demoAgeCue, renderFace, sampleFaceParams } from '../../src/engine/datasets/demoFaces'
import { Studio } from '../../src/engine/studio'
import { tempHome } from '../helpers/serve'

const SIZE = 64

function meanCue(ages: number[], seed: number): number {
  const rng = new Rng(seed)
  const cues = ages.map((age) => demoAgeCue(renderFace(sampleFaceParams(rng, age), SIZE), SIZE))
  return cues.reduce((a, b) => a + b, 0) / cues.length
}

describe('demo face generator', () => {
  it('shows a measurable age cue (hair greying) that rises with age, bin by bin from the thirties', () => {
    const perBin = [5, 24, 35, 45, 55, 75].map((age, i) => meanCue(new Array(40).fill(age), 100 + i))
    // Hair only starts to grey in the thirties: children and twenty-somethings differ in face
    // shape instead, so their cue is level within the spread of hair colours.
    expect(Math.abs(perBin[1] - perBin[0]), perBin.join(', ')).toBeLessThan(0.06)
    for (let bin = 2; bin < 6; bin++) expect(perBin[bin], `bin ${bin} vs ${bin - 1}: ${perBin.join(', ')}`).toBeGreaterThan(perBin[bin - 1] + 0.02)
    expect(perBin[5] - perBin[0]).toBeGreaterThan(0.4)
  })

  it('varies identity: faces of the same age differ', () => {
    const rng = new Rng(3)
    const a = renderFace(sampleFaceParams(rng, 30), SIZE)
    const b = renderFace(sampleFaceParams(rng, 30), SIZE)
    let differing = 0
    for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 20) differing++
    expect(differing / a.length).toBeGreaterThan(0.2)
  })

  it('is deterministic from its seed', () => {
    const draw = (seed: number) => renderFace(sampleFaceParams(new Rng(seed), 40), SIZE)
    expect(Buffer.from(draw(9)).equals(Buffer.from(draw(9)))).toBe(true)
    expect(Buffer.from(draw(9)).equals(Buffer.from(draw(10)))).toBe(false)
  })
})

describe('demo dataset in the catalog', () => {
  let home: string
  let studio: Studio
  beforeAll(() => {
    home = tempHome('age-studio-demo-')
    studio = Studio.open(home, { mode: 'cli' })
  })
  afterAll(async () => {
    await studio.close()
    rmSync(home, { recursive: true, force: true })
  })

  it('spreads N images evenly over the six bins with consistent labels and real files', async () => {
    const handlers = createHandlers(studio)
    const result = await handlers['library.createDemo']({ count: 120, seed: 4 })
    expect(result.created).toBe(120)
    expect(result.perBin).toEqual([20, 20, 20, 20, 20, 20])
    expect((await handlers['library.stats']({ status: 'all' })).perBin).toEqual([20, 20, 20, 20, 20, 20])

    const page = await handlers['library.list']({ bin: 3, status: 'all', sort: 'imported', offset: 0, limit: 500 })
    expect(page.total).toBe(20)
    for (const image of page.images) {
      expect(image.bin).toBe(3)
      expect(ageToBin(image.age!)).toBe(3)
      expect(image.ageSource).toBe('label')
    }
    const detail = await handlers['library.image']({ id: page.images[0].id })
    const master = await sharp(Buffer.from(detail.picture.split(',')[1], 'base64')).metadata()
    const thumb = await sharp(Buffer.from(detail.thumb.split(',')[1], 'base64')).metadata()
    expect([master.width, master.height, thumb.width, thumb.height]).toEqual([128, 128, 64, 64])
  })

  it('adds nothing when run again with the same seed', async () => {
    const result = await createHandlers(studio)['library.createDemo']({ count: 120, seed: 4 })
    expect(result).toMatchObject({ created: 0, duplicates: 120 })
    expect(studio.catalog.images.count()).toBe(120)
  })

  it('can be cancelled, keeping what was already written and reporting progress', async () => {
    const handlers = createHandlers(studio)
    const seen: string[] = []
    const stop = studio.events.subscribe((event, payload) => {
      seen.push(event)
      if (event === 'job.progress' && 'done' in payload && payload.done >= 60) void handlers['jobs.cancel']({ jobId: payload.jobId })
    })
    await expect(handlers['library.createDemo']({ count: 600, seed: 77 })).rejects.toThrow('cancelled')
    stop()
    expect(seen).toContain('job.progress')
    expect(seen.at(-1)).toBe('job.finished')
    const kept = studio.catalog.images.count() - 120
    expect(kept).toBeGreaterThanOrEqual(50)
    expect(kept).toBeLessThan(600)
  })
})
