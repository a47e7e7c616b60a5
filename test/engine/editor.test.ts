// The age editor through the contract's handlers (aging worker, real photos, a tiny trained run):
// upload, detect, prepare, render, refine, variations, export at full size with provenance.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { photoPixelUntouched } from '../../src/engine/aging/composite'
import { MASTER_SIZE } from '../../src/engine/aging/agePhoto'
import { createHandlers } from '../../src/engine/api/handlers'
import { readProvenance } from '../../src/engine/images/provenanceTag'
import { UPLOAD_CHUNK_BYTES, type Handlers } from '../../src/shared/contract'
import type { EditorProgress } from '../../src/shared/aging'
import { createRun, trainRun } from '../../src/engine/training/trainer'
import { demoStudio } from '../helpers/training'
import { DEMO_PHOTOS } from '../helpers/photos'
import { ProvenanceSchema, type Provenance } from '../../src/shared/provenance'
import { judgeExport } from '../../src/engine/aging/exportVerdict'
import { decodePhoto } from '../../src/engine/faces/photoFace'
import type { CropTransform } from '../../src/engine/faces/align'

let env: Awaited<ReturnType<typeof demoStudio>>
let api: Handlers
let runId: string

beforeAll(async () => {
  env = await demoStudio(60)
  api = createHandlers(env.studio)
  runId = (await createRun(env.ctx.catalog, { preset: 'tiny', steps: 6, encoderSteps: 6, batch: 8, seed: 2, checkpointEvery: 6 })).runId
  await trainRun(env.ctx, runId, { paused: false, cancelled: false })
}, 300_000)
afterAll(() => env.close())

/** Sends a file the way the UI does: begin, base64 chunks, finish. */
async function upload(path: string): Promise<string> {
  const bytes = readFileSync(path)
  const { uploadId } = await api['uploads.begin']({ name: 'sample1.jpg', size: bytes.length })
  for (let offset = 0; offset < bytes.length; offset += UPLOAD_CHUNK_BYTES) {
    await api['uploads.chunk']({ uploadId, offset, data: bytes.subarray(offset, offset + UPLOAD_CHUNK_BYTES).toString('base64') })
  }
  return (await api['uploads.finish']({ uploadId })).uploadId
}

const look = (sessionId: string, position: number) => ({ sessionId, position, variation: 0, spread: 0.35, mode: 'residual' as const, strength: 1 })

describe('the age editor', () => {
  it('opens an uploaded photo, ages the picked face and exports it at full size with provenance', async () => {
    const opened = await api['editor.open']({ uploadId: await upload(DEMO_PHOTOS[0]) })
    expect([opened.width, opened.height]).toEqual([1920, 1280])
    expect(opened.faces.length).toBeGreaterThan(1)
    expect(opened.name).toBe('sample1.jpg')
    const { sessionId } = opened

    const prepared = await api['editor.prepare']({ sessionId, faceIndex: 1, runId })
    expect(prepared.source.from).toBe('estimated')
    expect(prepared.model.runId).toBe(runId)
    expect(prepared.model.modelHash).toMatch(/^[0-9a-f]{64}$/)

    const young = await api['editor.render'](look(sessionId, 0))
    const old = await api['editor.render'](look(sessionId, 5))
    // While the slider moves: the very same pictures, without the recognizer and the judge.
    const { identityDistance, samePerson, independentSimilarity, independentSamePerson, exported: _exported, ...pictures } = old
    expect(await api['editor.preview'](look(sessionId, 5))).toEqual(pictures)
    expect([identityDistance, independentSimilarity].every(Number.isFinite) && [samePerson, independentSamePerson].every((b) => typeof b === 'boolean')).toBe(
      true,
    )
    expect(old.after).not.toBe(young.after)
    expect(old.before).toBe(young.before)
    expect(old.identityDistance).toBeGreaterThan(0)
    // A tiny model barely trained draws noise: the independent judge, which no loss sees, says so
    // (face-api's distance, which refinement lowers, once called such noise "same person").
    for (const render of [young, old]) {
      expect(render.independentSimilarity).toBeLessThan(0.61)
      expect(render.independentSamePerson).toBe(false)
    }

    // Refinement in the background: progress events, then done; the preview moves with z.
    const events: EditorProgress[] = []
    const finished = new Promise<EditorProgress>((resolve) => {
      const stop = env.studio.events.subscribe((event, payload) => {
        if (event !== 'editor.progress') return
        events.push(payload as EditorProgress)
        if ((payload as EditorProgress).state === 'running') return
        stop()
        resolve(payload as EditorProgress)
      })
    })
    expect(await api['editor.refine']({ sessionId, mode: 'identity', iterations: 4, from: 'start' })).toEqual({ started: true })
    expect((await finished).state).toBe('done')
    expect(events.filter((e) => e.state === 'running').map((e) => e.iteration)).toEqual([1, 2, 3, 4])
    const refined = await api['editor.render'](look(sessionId, 5))
    expect(refined.refinedIterations).toBe(4)
    expect(refined.face).not.toBe(old.face)

    const strip = await api['editor.strip']({ sessionId, variation: 0, spread: 0.35, mode: 'residual', strength: 1 })
    expect(strip.map((s) => s.label)).toEqual(['0–18', '19–29', '30–39', '40–49', '50–59', '60+'])
    expect(new Set(strip.map((s) => s.face)).size).toBe(6)
    // The strip shows each age composited into the photo, not the raw 64×64 generator output.
    expect(new Set(strip.map((s) => s.after)).size).toBe(6)
    const stripFace = await sharp(Buffer.from(strip[5].after.split(',')[1], 'base64')).metadata()
    expect([stripFace.width, stripFace.height]).toEqual([192, 192])

    // The photo view: the whole photo by default, or any part of it at its own pixels (1:1).
    const decode = (url: string) => sharp(Buffer.from(url.split(',')[1], 'base64')).metadata()
    expect(refined.photo).toMatchObject({ width: 1920, height: 1280, region: { x: 0, y: 0, width: 1920, height: 1280 }, scale: 0.625 })
    expect([(await decode(refined.photo.after)).width, (await decode(refined.photo.after)).height]).toEqual([1200, 800])
    const zoomed = await api['editor.render']({ ...look(sessionId, 5), view: { x: 700, y: 300, width: 640, height: 460, maxSide: 640 } })
    expect(zoomed.photo).toMatchObject({ region: { x: 700, y: 300, width: 640, height: 460 }, scale: 1 })
    expect([(await decode(zoomed.photo.before)).width, (await decode(zoomed.photo.after)).height]).toEqual([640, 460])
    expect(zoomed.photo.after).not.toBe(zoomed.photo.before)
    // A region past the photo's edge is cut to the photo.
    const edge = await api['editor.render']({ ...look(sessionId, 5), view: { x: 1900, y: 5000, width: 400, height: 400, maxSide: 2048 } })
    expect(edge.photo.region).toEqual({ x: 1900, y: 1279, width: 20, height: 1 })
    const variations = await api['editor.variations']({ sessionId, position: 4, spread: 0.5, mode: 'residual', strength: 1, count: 3 })
    expect(new Set(variations.map((v) => v.face)).size).toBe(3)
    // Variations and the strip age only the face region; the pixels are the full-photo composite's.
    const whole = await api['editor.render']({ sessionId, position: 4, spread: 0.5, mode: 'residual', strength: 1, variation: 0 })
    expect(variations[0].after).toBe(whole.after)

    for (const format of ['png', 'jpeg'] as const) {
      const exported = await api['editor.export']({ ...look(sessionId, 4.5), format })
      const bytes = readFileSync(exported.file)
      const meta = await sharp(bytes).metadata()
      expect([meta.width, meta.height, meta.format]).toEqual([1920, 1280, format])
      const provenance = (await readProvenance(bytes)) as Record<string, any>
      // The embedded record is exactly the shared schema every reader uses.
      expect(() => ProvenanceSchema.strict().parse(provenance)).not.toThrow()
      expect(provenance.model.hash).toBe(prepared.model.modelHash)
      expect(provenance.input.sha256).toBe(sha256Of(DEMO_PHOTOS[0]))
      expect(provenance.parameters.position).toBe(4.5)
      expect(provenance.parameters.optimize).toMatchObject({ mode: 'identity', iterationsDone: 4 })
      expect(provenance.identity.independent).toMatchObject({ threshold: 0.61, samePerson: false })
      expect(provenance.identity.independent.similarity).toBeGreaterThanOrEqual(-1)
      const row = env.studio.catalog.db
        .prepare('SELECT output_sha256 AS sha, target_age AS age FROM aging_outputs WHERE output_file = ?')
        .get(exported.file) as { sha: string; age: number }
      expect(row.sha).toBe(exported.sha256)

      if (format === 'png') {
        // Every pixel the composite may not touch is the original's, and the face did change.
        const original = await sharp(DEMO_PHOTOS[0]).removeAlpha().raw().toBuffer()
        const aged = await sharp(bytes).removeAlpha().raw().toBuffer()
        const transform = provenance.input.face.transform
        let untouched = 0,
          changed = 0
        for (let y = 0; y < 1280; y++) {
          for (let x = 0; x < 1920; x++) {
            const j = (y * 1920 + x) * 3
            const same = original[j] === aged[j] && original[j + 1] === aged[j + 1] && original[j + 2] === aged[j + 2]
            if (photoPixelUntouched(x, y, transform, MASTER_SIZE)) {
              untouched++
              if (!same) throw new Error(`pixel ${x},${y} outside the face mask changed`)
            } else if (!same) changed++
          }
        }
        expect(untouched).toBeGreaterThan(1920 * 1280 * 0.9)
        expect(changed).toBeGreaterThan(500)
      }
    }
    // The photo view draws the change straight into the shown (scaled-down) photo: it is the export
    // scaled down, up to JPEG's own error. 'replace' puts G's whole face in, a change far above that error.
    const replace = { ...look(sessionId, 4.5), mode: 'replace' as const }
    const replacedExport = await api['editor.export']({ ...replace, format: 'png' })
    const replaced = readFileSync(replacedExport.file)
    const shown = await api['editor.render'](replace)

    // The verdict follows the exported pixels, not G's window: the same G picture (same z, age and
    // variation) composited two ways gives two exports, two verdicts, and one window score.
    const residualExport = await api['editor.export']({ ...look(sessionId, 4.5), format: 'png' })
    const [residualRecord, replacedRecord] = (await Promise.all([readProvenance(readFileSync(residualExport.file)), readProvenance(replaced)])) as Provenance[]
    expect(residualRecord.identity.independent!.similarity).toBe(replacedRecord.identity.independent!.similarity)
    expect(residualRecord.identity.exported).toEqual(residualExport.verdict)
    expect(replacedRecord.identity.exported).toEqual(replacedExport.verdict)
    console.log(
      `judge similarity: G's window ${residualRecord.identity.independent!.similarity.toFixed(3)}, residual export ${residualExport.verdict.similarity.toFixed(3)}, replace export ${replacedExport.verdict.similarity.toFixed(3)}; judged age input ${residualExport.verdict.inputJudgedAge}, residual ${residualExport.verdict.judgedAge}, replace ${replacedExport.verdict.judgedAge}; artifacts residual ${residualExport.verdict.artifacts}, replace ${replacedExport.verdict.artifacts}`,
    )
    // The residual composite keeps the photo's own pixels; 'replace' pastes a tiny G's noisy face.
    expect(residualExport.verdict.similarity).toBeGreaterThan(replacedExport.verdict.similarity + 0.1)
    expect(residualExport.verdict.similarity).toBeGreaterThan(residualRecord.identity.independent!.similarity)
    // …and pasting that noisy face in adds more colour dirt than its small residual change does.
    expect(replacedExport.verdict.artifacts).toBeGreaterThan(residualExport.verdict.artifacts)
    // Judged again here from the written file and the input photo, the judges say the same.
    const transform = residualRecord.input.face!.transform as CropTransform
    const again = await judgeExport(await decodePhoto(readFileSync(DEMO_PHOTOS[0])), await decodePhoto(readFileSync(residualExport.file)), transform)
    expect(again.similarity).toBeCloseTo(residualExport.verdict.similarity, 4)
    // Strength scales the change: 0 gives the photo's own pixels back exactly, 2 about twice the change of 1.
    const none = await api['editor.export']({ ...look(sessionId, 4.5), strength: 0, format: 'png' })
    const double = await api['editor.export']({ ...look(sessionId, 4.5), strength: 2, format: 'png' })
    const [inputPixels, nonePixels, onePixels, twoPixels] = await Promise.all(
      [DEMO_PHOTOS[0], none.file, residualExport.file, double.file].map(async (file) => (await decodePhoto(readFileSync(file))).rgb),
    )
    expect(Buffer.from(nonePixels).equals(Buffer.from(inputPixels))).toBe(true)
    expect(((await readProvenance(readFileSync(none.file))) as Provenance).parameters.strength).toBe(0)
    expect(((await readProvenance(readFileSync(double.file))) as Provenance).parameters.strength).toBe(2)
    expect([none.verdict.similarity, none.verdict.artifacts]).toEqual([expect.closeTo(1, 3), 0])
    const moved = (rgb: Uint8Array) => rgb.reduce((sum, v, i) => sum + Math.abs(v - inputPixels[i]), 0)
    expect(moved(twoPixels) / moved(onePixels)).toBeGreaterThan(1.5)
    expect(moved(twoPixels) / moved(onePixels)).toBeLessThan(2.1)
    // The editor's settled render carries the verdict on that same export.
    expect(shown.exported.similarity).toBeCloseTo(replacedExport.verdict.similarity, 4)
    const raw = (image: Buffer | string) =>
      sharp(typeof image === 'string' ? Buffer.from(image.split(',')[1], 'base64') : image)
        .resize(1200, 800)
        .removeAlpha()
        .raw()
        .toBuffer()
    const [exportShown, originalShown, viewAfter, viewBefore] = await Promise.all([
      raw(replaced),
      raw(readFileSync(DEMO_PHOTOS[0])),
      raw(shown.photo.after),
      raw(shown.photo.before),
    ])
    const box = ((await readProvenance(replaced)) as { input: { face: { box: { x: number; y: number; width: number; height: number } } } }).input.face.box
    const meanDiff = (p: Buffer, q: Buffer) => {
      let sum = 0,
        n = 0
      for (let y = Math.floor(box.y * 0.625); y < (box.y + box.height) * 0.625; y++)
        for (let x = Math.floor(box.x * 0.625); x < (box.x + box.width) * 0.625; x++)
          for (let k = 0; k < 3; k++, n++) sum += Math.abs(p[(y * 1200 + x) * 3 + k] - q[(y * 1200 + x) * 3 + k])
      return sum / n
    }
    const [change, drift, jpegNoise] = [meanDiff(exportShown, originalShown), meanDiff(viewAfter, exportShown), meanDiff(viewBefore, originalShown)]
    console.log(
      `face box, mean |difference|: export vs original ${change.toFixed(2)}, view vs export ${drift.toFixed(2)}, JPEG of the original ${jpegNoise.toFixed(2)}`,
    )
    expect(change).toBeGreaterThan(4 * jpegNoise)
    expect(drift).toBeLessThan(1.5 * jpegNoise)
    expect(await api['editor.close']({ sessionId })).toEqual({ closed: true })
    await expect(api['editor.render'](look(sessionId, 1))).rejects.toMatchObject({ code: 'not_found' })
    await expect(api['editor.preview'](look(sessionId, 1))).rejects.toMatchObject({ code: 'not_found' })
  }, 300_000)

  it('stops the refinement early when asked, keeping z as it is then', async () => {
    const { sessionId } = await api['editor.open']({ path: DEMO_PHOTOS[2] })
    await api['editor.prepare']({ sessionId, faceIndex: 0, runId, sourceAge: 40 })
    const finished = new Promise<EditorProgress>((resolve) => {
      const stop = env.studio.events.subscribe((event, payload) => {
        const progress = payload as EditorProgress
        if (event !== 'editor.progress' || progress.sessionId !== sessionId) return
        if (progress.state === 'running' && progress.iteration === 2) void api['editor.stop']({ sessionId })
        if (progress.state === 'running') return
        stop()
        resolve(progress)
      })
    })
    await api['editor.refine']({ sessionId, mode: 'identity', iterations: 2000, from: 'start' })
    const outcome = await finished
    expect(outcome.state).toBe('stopped')
    expect(outcome.iteration).toBeLessThan(2000)
    expect((await api['editor.render'](look(sessionId, 3))).refinedIterations).toBe(outcome.iteration)
    expect(await api['editor.stop']({ sessionId })).toEqual({ stopped: false })

    // Continue goes on from the z it stopped at: its steps count on from there, up to the total asked.
    const seen: EditorProgress[] = []
    const continued = new Promise<EditorProgress>((resolve) => {
      const stop = env.studio.events.subscribe((event, payload) => {
        const progress = payload as EditorProgress
        if (event !== 'editor.progress' || progress.sessionId !== sessionId) return
        seen.push(progress)
        if (progress.state === 'running') return
        stop()
        resolve(progress)
      })
    })
    const total = outcome.iteration + 3
    await api['editor.refine']({ sessionId, mode: 'identity', iterations: total, from: 'continue' })
    expect(await continued).toMatchObject({ state: 'done', iteration: total, total })
    expect(seen[0]).toMatchObject({ state: 'running', iteration: outcome.iteration + 1 })
    expect((await api['editor.render'](look(sessionId, 3))).refinedIterations).toBe(total)
    await expect(api['editor.refine']({ sessionId, mode: 'identity', iterations: total, from: 'continue' })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(new RegExp(`already taken ${total} of ${total} steps`)),
    })

    // Closing the studio mid-refinement: the editor's thread ends itself between steps (exit 0),
    // never terminated from outside inside a native kernel, which would abort the process.
    await api['editor.refine']({ sessionId, mode: 'identity', iterations: 2000, from: 'start' })
    expect(await env.studio.aging.stop()).toBe(0)
    await expect(api['editor.render'](look(sessionId, 3))).rejects.toMatchObject({ code: 'not_found' })
  }, 120_000)

  it('refuses what it cannot use, clearly', async () => {
    await expect(api['editor.open']({ path: join(env.ctx.home, 'missing.jpg') })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/missing.jpg does not exist/),
    })
    const notPhoto = join(env.ctx.home, 'notes.jpg')
    writeFileSync(notPhoto, 'not an image')
    await expect(api['editor.open']({ path: notPhoto })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/not an image/) })
    const blank = join(env.ctx.home, 'blank.png')
    await sharp({ create: { width: 300, height: 200, channels: 3, background: '#777' } })
      .png()
      .toFile(blank)
    await expect(api['editor.open']({ path: blank })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/No face found/) })
    const { sessionId } = await api['editor.open']({ path: DEMO_PHOTOS[1] })
    await expect(api['editor.render'](look(sessionId, 2))).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/Pick a face/) })
    await expect(api['editor.prepare']({ sessionId, faceIndex: 99, runId })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/no face 100/),
    })
    await expect(api['editor.prepare']({ sessionId, faceIndex: 0, runId: 'run-nope' })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/no run run-nope/),
    })
    const { uploadId } = await api['uploads.begin']({ name: 'x.jpg', size: 4 })
    await expect(api['uploads.chunk']({ uploadId, offset: 0, data: Buffer.from('12345').toString('base64') })).rejects.toMatchObject({ code: 'bad_input' })
    await expect(api['uploads.finish']({ uploadId })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/0 of 4 bytes/) })
    rmSync(notPhoto)
    // Only regular files are read: a device, a FIFO or a folder gets a reason, not a hang or a 500.
    const fifo = join(env.ctx.home, 'pipe.jpg')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    for (const [path, message] of [
      ['/dev/zero', /is a device, not a regular file/],
      [fifo, /is a named pipe, not a regular file/],
      [env.ctx.home, /is a folder, not a regular file/],
    ] as const) {
      await expect(api['editor.open']({ path })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(message) })
    }
  }, 120_000)
})

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}
