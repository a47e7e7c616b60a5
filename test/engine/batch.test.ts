// Batch age progression and model bundles through the contract's handlers, on real photos.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import sharp from 'sharp'
import * as tar from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { readProvenance } from '../../src/engine/images/provenanceTag'
import { Studio } from '../../src/engine/studio'
import { createRun, trainRun } from '../../src/engine/training/trainer'
import type { Handlers } from '../../src/shared/contract'
import type { JobProgress } from '../../src/shared/domain'
import { demoStudio } from '../helpers/training'
import { DEMO_PHOTOS } from '../helpers/photos'
import { tempHome } from '../helpers/serve'

let env: Awaited<ReturnType<typeof demoStudio>>
let api: Handlers
let runId: string
let caseFolder: string

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

beforeAll(async () => {
  env = await demoStudio(60)
  api = createHandlers(env.studio)
  runId = (await createRun(env.ctx.catalog, { preset: 'tiny', steps: 6, encoderSteps: 6, batch: 8, seed: 3, checkpointEvery: 6 })).runId
  await trainRun(env.ctx, runId, { paused: false, cancelled: false })
  // A case folder: three photos, a note and a corrupt "photo".
  caseFolder = join(env.ctx.home, 'case')
  mkdirSync(caseFolder)
  DEMO_PHOTOS.slice(0, 3).forEach((photo, i) => copyFileSync(photo, join(caseFolder, `photo${i + 1}.jpg`)))
  writeFileSync(join(caseFolder, 'notes.txt'), 'seen near the station')
  writeFileSync(join(caseFolder, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]))
}, 300_000)
afterAll(() => env.close())

const request = (outDir: string) => ({
  paths: [caseFolder],
  ages: [15, 65],
  variations: 2,
  optimize: 'pixel' as const,
  iterations: 2,
  runId,
  outDir,
  force: false,
  paper: 'a4' as const,
  ageTurned: false,
  strength: 1,
})

/** What a poppler tool prints, or null (with the reason printed) where poppler-utils is not installed. */
function poppler(tool: string, args: string[]): string | null {
  const result = spawnSync(tool, args, { encoding: 'utf8' })
  if (result.error) {
    console.log(`skipping the ${tool} check: ${result.error.message} (apt-get install poppler-utils)`)
    return null
  }
  expect(result.status, result.stderr).toBe(0)
  return result.stdout
}

describe('batch age progression', () => {
  it('ages three photos into an output folder with contact sheets, a PDF and manifests, all in the catalog', async () => {
    const out = join(env.ctx.home, 'out')
    const report = await api['batch.run']({ ...request(out), spread: 0.35, mode: 'residual', format: 'png' })
    expect(report.inputs).toBe(4) // three photos and the broken one; the note is no image
    expect(report.outputs).toBe(3 * 2 * 2)
    expect(report.failed.map((f) => f.path.split('/').pop()).sort()).toEqual(['broken.jpg', 'notes.txt'])
    expect(report.failed.find((f) => f.path.endsWith('broken.jpg'))!.reason).toMatch(/not an image Age Studio can read|cannot decode/)
    expect(report.contactSheets).toHaveLength(1)
    // Print-friendly: an A4 page at 150 dpi, mostly white.
    const sheet = await sharp(report.contactSheets[0]).stats()
    expect(await sharp(report.contactSheets[0]).metadata()).toMatchObject({ width: 1240, height: 1754 })
    // (blue measured 198 here: the photos' cells fill most of the page, and the refused inputs add text.)
    expect(sheet.channels.slice(0, 3).every((c) => c.mean > 190)).toBe(true)
    expect(readFileSync(report.pdf!).subarray(0, 5).toString()).toBe('%PDF-')
    // The case information is real text in the PDF: file names, their hashes, model, job, ages.
    const text = poppler('pdftotext', ['-layout', report.pdf!, '-'])
    if (text !== null) {
      for (const name of ['photo1.jpg', 'photo2.jpg', 'photo3.jpg']) {
        expect(text).toContain(name)
        expect(text).toContain(sha(join(caseFolder, name)))
      }
      expect(text).toContain(report.modelHash)
      expect(text).toContain(report.jobId)
      expect(text).toContain(runId)
      expect(text).toContain('Target ages 15, 65 years')
      // Each caption is the verdict on the exported photo (laid out in columns, it may wrap).
      expect(text).toMatch(/65 y v1 · (same|NOT\s+same)\s+person/)
      expect(text).toMatch(/person \d\.\d\d/)
      expect(text).toMatch(/looks\s+\d+\s+·\s+dirt\s+\d+\.\d/)
      expect(text).toMatch(/Each\s+caption\s+judges\s+the\s+exported\s+photo\s+itself/)
      expect(text).toContain('no loss sees')
      // face-api's distance (refinement's progress) is no verdict on the person, and is not printed as one.
      expect(text).not.toMatch(/ id \d\.\d\d/)
      expect(text).not.toMatch(/under 0\.6\s+reads as the same person/)
      // Every input is accounted for: the refused ones with their hash (when readable) and reason.
      expect(text).toContain('5 input file(s): 3 aged, 2 refused')
      expect(text).toContain(join(caseFolder, 'broken.jpg'))
      expect(text).toContain(sha(join(caseFolder, 'broken.jpg')))
      expect(text).toMatch(/Refused, no outputs: not an image file \(\.txt\)/)
      expect(poppler('pdfinfo', [report.pdf!])).toMatch(/Page size:\s+595\.28 x 841\.89 pts \(A4\)/)
      // Every face prints at 150 dpi or more.
      const images = poppler('pdfimages', ['-list', report.pdf!])!.trim().split('\n').slice(2)
      expect(images).toHaveLength(3 * 5)
      for (const line of images) expect(Math.min(Number(line.trim().split(/\s+/)[12]), Number(line.trim().split(/\s+/)[13]))).toBeGreaterThanOrEqual(150)
    }

    const manifest = JSON.parse(readFileSync(report.manifestJson, 'utf8'))
    expect(manifest.outputs).toHaveLength(12)
    for (const entry of manifest.outputs) {
      expect(entry.outputSha256).toBe(sha(entry.output))
      expect(entry.inputSha256).toBe(sha(entry.input))
      expect(entry.modelHash).toBe(report.modelHash)
      expect(typeof entry.identityDistance).toBe('number')
      // Both identity scores: face-api's (refined against) and the independent judge's.
      expect(entry.independentSimilarity).toBeGreaterThanOrEqual(-1)
      expect(entry.independentSimilarity).toBeLessThanOrEqual(1)
      expect(entry.independentSamePerson).toBe(entry.independentSimilarity >= 0.61)
      // The verdict on the exported photo: the residual composite keeps the photo's own pixels, so
      // it is far closer to the input than a tiny G's noisy window is.
      expect(entry.exportSamePerson).toBe(entry.exportSimilarity >= 0.61)
      expect(entry.exportSimilarity).toBeGreaterThan(entry.independentSimilarity)
      expect(entry.exportJudgedAge).toBeGreaterThan(0)
      expect(entry.inputJudgedAge).toBeGreaterThan(0)
      expect(entry.exportArtifacts).toBeGreaterThanOrEqual(0)
      const size = await sharp(entry.output).metadata()
      const original = await sharp(entry.input).metadata()
      expect([size.width, size.height]).toEqual([original.width, original.height])
    }
    expect(new Set(manifest.outputs.map((e: { targetAge: number; variation: number }) => `${e.targetAge}/${e.variation}`))).toEqual(
      new Set(['15/0', '15/1', '65/0', '65/1']),
    )
    const csv = readFileSync(report.manifestCsv, 'utf8').trim().split('\n')
    expect(csv[0]).toMatch(
      /^input,inputSha256,face,headYaw,targetAge,variation,output,outputSha256,modelHash.*,identityDistance,samePerson,independentSimilarity,independentSamePerson,exportSimilarity,exportSamePerson,exportJudgedAge,inputJudgedAge,exportArtifacts,time,refused$/,
    )
    expect(csv).toHaveLength(15)
    expect(csv.at(-1)).toMatch(/notes\.txt,[0-9a-f]{64},.*,not an image file \(\.txt\)$/)
    expect(manifest.refused).toEqual([
      { input: join(caseFolder, 'broken.jpg'), inputSha256: sha(join(caseFolder, 'broken.jpg')), reason: expect.stringMatching(/cannot decode|not an image/) },
      { input: join(caseFolder, 'notes.txt'), inputSha256: sha(join(caseFolder, 'notes.txt')), reason: 'not an image file (.txt)' },
    ])
    const provenance = (await readProvenance(readFileSync(manifest.outputs[0].output))) as Record<string, any>
    expect(provenance).toMatchObject({ kind: 'batch', jobId: report.jobId, model: { hash: report.modelHash } })
    const job = env.studio.catalog.db.prepare('SELECT status, kind FROM aging_jobs WHERE id = ?').get(report.jobId)
    expect(job).toEqual({ status: 'done', kind: 'batch' })

    // Another batch into the same folder is refused before any work; nothing there changes.
    const sheetBefore = readFileSync(report.contactSheets[0])
    await expect(api['batch.run']({ ...request(out), spread: 0.35, mode: 'residual', format: 'png', iterations: 0 })).rejects.toMatchObject({
      code: 'exists',
      message: expect.stringMatching(/manifest\.json already exists/),
    })
    expect(readFileSync(report.contactSheets[0]).equals(sheetBefore)).toBe(true)
  }, 600_000)

  it('a face turned past what the model learned from is said in the editor, and left unchanged by batch unless asked', async () => {
    // The left woman of face-api's second demo photo, in near-profile, cropped so she is the largest face.
    const meta = await sharp(DEMO_PHOTOS[1]).metadata()
    const folder = join(env.ctx.home, 'turned')
    mkdirSync(folder)
    await sharp(DEMO_PHOTOS[1])
      .extract({ left: 0, top: 0, width: Math.round(0.45 * meta.width!), height: Math.round(0.7 * meta.height!) })
      .jpeg()
      .toFile(join(folder, 'profile.jpg'))

    const { sessionId } = await api['editor.open']({ path: join(folder, 'profile.jpg') })
    const turned = await api['editor.prepare']({ sessionId, faceIndex: 0, runId })
    expect(turned.pose).toMatchObject({
      turned: true,
      warning: expect.stringMatching(/^The face is turned about \d+° \(the model learned from faces within ±30°\)/),
    })
    await api['editor.close']({ sessionId })
    const frontal = await api['editor.open']({ path: DEMO_PHOTOS[0] })
    expect((await api['editor.prepare']({ sessionId: frontal.sessionId, faceIndex: 0, runId })).pose).toMatchObject({ turned: false, warning: null })
    await api['editor.close']({ sessionId: frontal.sessionId })

    const turnedBatch = (out: string, ageTurned: boolean) =>
      api['batch.run']({
        ...request(join(env.ctx.home, out)),
        paths: [folder],
        ages: [65],
        variations: 1,
        spread: 0.35,
        mode: 'residual',
        format: 'png',
        ageTurned,
      })
    const left = await turnedBatch('turned-out', false)
    expect(left.outputs).toBe(0)
    expect(left.failed).toEqual([
      {
        path: join(folder, 'profile.jpg'),
        reason: expect.stringMatching(/turned about \d+°.*Left unchanged; "age turned faces too" \(--age-turned\) ages it anyway\./),
      },
    ])
    expect(JSON.parse(readFileSync(left.manifestJson, 'utf8')).refused).toHaveLength(1)
    expect(readdirSync(join(env.ctx.home, 'turned-out')).filter((name) => name.startsWith('profile'))).toEqual([])

    const aged = await turnedBatch('turned-aged', true)
    expect(aged.outputs).toBe(1)
    const entry = JSON.parse(readFileSync(aged.manifestJson, 'utf8')).outputs[0]
    expect(entry.headYaw).toBeLessThan(-30)
    expect(readFileSync(aged.manifestCsv, 'utf8').split('\n')[0]).toContain(',face,headYaw,targetAge,')
  }, 300_000)

  it('given no output folder, writes into a new one under the data directory (web mode)', async () => {
    const report = await api['batch.run']({ ...request(''), ages: [40], variations: 1, iterations: 0, spread: 0.35, mode: 'residual', format: 'png' })
    expect(report.outDir.startsWith(join(env.studio.home, 'batches', ''))).toBe(true)
    expect(report.outDir).toMatch(/batches\/\d{4}-\d\d-\d\d \d{4} case-[0-9a-f]{4}$/)
    expect(report.outputs).toBe(3)
    const listed = await api['batch.files']({ jobId: report.jobId })
    expect(listed.outDir).toBe(report.outDir)
    expect(listed.files.map((f) => f.path)).toEqual(expect.arrayContaining(['manifest.json', 'manifest.csv', 'contact-sheet.pdf']))
  }, 300_000)

  it('cancels, then resumes without redoing what was written', async () => {
    const out = join(env.ctx.home, 'out-resumed')
    let jobId = ''
    const stop = env.studio.events.subscribe((event, payload) => {
      const progress = payload as JobProgress
      if (event === 'job.progress' && progress.kind === 'batch' && progress.done === 2) {
        // broken.jpg, then photo1.jpg
        jobId = progress.jobId
        void api['jobs.cancel']({ jobId })
      }
    })
    await expect(api['batch.run']({ ...request(out), paths: [caseFolder], spread: 0.35, mode: 'residual', format: 'jpeg' })).rejects.toMatchObject({
      name: 'JobCancelled',
    })
    stop()
    const written = (env.studio.catalog.db.prepare('SELECT COUNT(*) AS n FROM aging_outputs WHERE job_id = ?').get(jobId) as { n: number }).n
    expect(written).toBeGreaterThanOrEqual(4)
    expect(written).toBeLessThan(12)
    expect(env.studio.catalog.db.prepare('SELECT status FROM aging_jobs WHERE id = ?').get(jobId)).toEqual({ status: 'cancelled' })

    const resumed = await api['batch.resume']({ jobId })
    expect(resumed.jobId).toBe(jobId)
    expect(resumed.reused).toBe(written)
    expect(resumed.outputs).toBe(12)
    expect(JSON.parse(readFileSync(resumed.manifestJson, 'utf8')).outputs).toHaveLength(12)
    await expect(api['batch.resume']({ jobId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'bad_input' })
  }, 600_000)
})

describe('model bundles', () => {
  it('an exported bundle imported into a fresh home gives identical outputs', async () => {
    const file = join(env.ctx.home, 'bundles', 'tiny.agemodel')
    const exported = await api['models.export']({ runId, out: file, force: false })
    expect(exported.modelHash).toMatch(/^[0-9a-f]{64}$/)
    expect(exported.sha256).toBe(sha(file))

    const home = tempHome('age-studio-offline-')
    const offline = Studio.open(home, { mode: 'cli' })
    const offlineApi = createHandlers(offline)
    try {
      const imported = await offlineApi['models.import']({ path: file })
      expect(imported).toMatchObject({ modelHash: exported.modelHash, alreadyImported: false })
      expect(await offlineApi['models.import']({ path: file })).toMatchObject({ runId: imported.runId, alreadyImported: true })
      expect((await offlineApi['editor.models']({})).map((m) => m.runId)).toEqual([imported.runId])

      const exportFrom = async (handlers: Handlers, run: string) => {
        const { sessionId } = await handlers['editor.open']({ path: DEMO_PHOTOS[2] })
        const prepared = await handlers['editor.prepare']({ sessionId, faceIndex: 0, runId: run, sourceAge: 30 })
        await handlers['editor.variations']({ sessionId, position: 4, spread: 0.35, mode: 'residual', strength: 1, count: 2 })
        const output = await handlers['editor.export']({ sessionId, position: 4.2, variation: 1, spread: 0.35, mode: 'replace', strength: 1, format: 'png' })
        return {
          prepared,
          pixels: await sharp(output.file).raw().toBuffer(),
          provenance: (await readProvenance(readFileSync(output.file))) as Record<string, any>,
        }
      }
      const here = await exportFrom(api, runId)
      const there = await exportFrom(offlineApi, imported.runId)
      expect(there.prepared.model.modelHash).toBe(here.prepared.model.modelHash)
      expect(there.pixels.equals(here.pixels)).toBe(true)
      expect(there.provenance.model.hash).toBe(here.provenance.model.hash)
      expect(there.provenance.model.origin).toBe(`bundle:${exported.modelHash}`)
    } finally {
      await offline.close()
    }
  }, 300_000)

  it('refuses empty, corrupt, tampered and hostile bundles without touching the catalog', async () => {
    const dir = join(env.ctx.home, 'bad-bundles')
    mkdirSync(dir, { recursive: true })
    const runsBefore = (await api['runs.list']({})).length
    const empty = join(dir, 'empty.agemodel')
    writeFileSync(empty, '')
    await expect(api['models.import']({ path: empty })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/empty/) })
    const garbage = join(dir, 'garbage.agemodel')
    writeFileSync(garbage, Buffer.alloc(4096, 7))
    await expect(api['models.import']({ path: garbage })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/not a model bundle/) })
    await expect(api['models.import']({ path: join(dir, 'missing.agemodel') })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/missing.agemodel does not exist/),
    })

    // A bundle with an entry that climbs out of the folder.
    const staging = join(dir, 'staging')
    mkdirSync(join(staging, 'generator'), { recursive: true })
    writeFileSync(join(staging, 'bundle.json'), '{}')
    writeFileSync(join(staging, 'evil.sh'), 'rm -rf /')
    const hostile = join(dir, 'hostile.agemodel')
    await tar.c({ gzip: true, file: hostile, cwd: staging }, ['bundle.json', 'evil.sh'])
    await expect(api['models.import']({ path: hostile })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/holds "evil.sh", which a model bundle never has/),
    })

    // A real bundle whose weights were altered after export.
    const good = join(dir, 'good.agemodel')
    await api['models.export']({ runId, out: good, force: false })
    const unpacked = join(dir, 'unpacked')
    mkdirSync(unpacked)
    await tar.x({ file: good, cwd: unpacked })
    mkdirSync(join(dir, 'unpacked-clean'))
    await tar.x({ file: good, cwd: join(dir, 'unpacked-clean') })
    const weights = join(unpacked, 'generator', 'weights.bin')
    const bytes = readFileSync(weights)
    bytes[10] ^= 0xff
    writeFileSync(weights, bytes)
    const tampered = join(dir, 'tampered.agemodel')
    await tar.c({ gzip: true, file: tampered, cwd: unpacked }, ['bundle.json', 'generator', 'encoder'])
    await expect(api['models.import']({ path: tampered })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/damaged/) })

    // A gzip bomb: a header claiming a 2 GiB weights file, then zeros. Refused at the header, with
    // the real reason, and nothing of it written.
    const header = new tar.Header({ path: 'generator/weights.bin', type: 'File', size: 2 * 1024 ** 3, mode: 0o644, mtime: new Date(0) })
    const block = Buffer.alloc(512)
    header.encode(block)
    const bomb = join(dir, 'bomb.agemodel')
    writeFileSync(bomb, gzipSync(Buffer.concat([block, Buffer.alloc(64 * 1024 ** 2)])))
    await expect(api['models.import']({ path: bomb })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/generator\/weights\.bin is over the 1 GiB limit \(2 GiB\)/),
    })
    expect(readdirSync(join(env.ctx.home, 'tmp'))).toEqual([])

    expect(await api['runs.list']({})).toHaveLength(runsBefore)
    expect(existsSync(join(env.ctx.home, 'evil.sh'))).toBe(false)

    // What `tar -C dir -czf b.tgz .` writes (./-prefixed entries) is a bundle too.
    const dotted = join(dir, 'dotted.agemodel')
    await tar.c({ gzip: true, file: dotted, cwd: join(dir, 'unpacked-clean') }, ['.'])
    const imported = await api['models.import']({ path: dotted })
    expect(imported.runId).toMatch(/^run-model-/)

    // Exports never replace a file unless asked.
    const before = readFileSync(good)
    await expect(api['models.export']({ runId, out: good, force: false })).rejects.toMatchObject({
      code: 'exists',
      message: expect.stringMatching(/already exists/),
    })
    expect(readFileSync(good).equals(before)).toBe(true)
    await expect(api['models.export']({ runId, out: good, force: true })).resolves.toMatchObject({ file: good })
  }, 120_000)
})
