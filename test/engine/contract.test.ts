import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CALL_NAMES, calls, createClient } from '../../src/shared/contract'
import { dispatch } from '../../src/engine/api/dispatch'
import { createHandlers } from '../../src/engine/api/handlers'
import { Studio } from '../../src/engine/studio'
import { SCHEMA_VERSION } from '../../src/engine/catalog/migrations'
import { tempHome } from '../helpers/serve'

let home: string
let studio: Studio
beforeAll(() => {
  home = tempHome('age-studio-contract-')
  studio = Studio.open(home, { mode: 'web' })
})
afterAll(async () => {
  await studio.close()
  rmSync(home, { recursive: true, force: true })
})

const call = (name: unknown, input: unknown) => dispatch(createHandlers(studio), name, input)

describe('the contract', () => {
  it('has a handler for every call and no handler outside it', () => {
    expect(Object.keys(createHandlers(studio)).sort()).toEqual([...CALL_NAMES].sort())
    expect(CALL_NAMES.length).toBe(Object.keys(calls).length)
  })

  it('rejects unknown and hostile call names without running anything', async () => {
    for (const name of ['nope', '', '__proto__', 'constructor', 'toString', 42, null, { a: 1 }, 'x'.repeat(10_000)]) {
      const reply = await call(name, {})
      expect(reply.ok, JSON.stringify(name)?.slice(0, 20)).toBe(false)
      if (!reply.ok) {
        expect(reply.error.code).toBe('unknown_call')
        expect(reply.error.message.length).toBeLessThan(200)
      }
    }
  })

  it('rejects bad inputs with a clear error naming the call and the field', async () => {
    const bad: [string, unknown, RegExp][] = [
      ['library.list', { limit: 'ten' }, /library\.list[\s\S]*limit/],
      ['library.list', { limit: 100_000 }, /limit/],
      ['library.list', { offset: -1 }, /offset/],
      ['library.list', { bin: 6 }, /bin/],
      ['library.list', { bin: 2.5 }, /bin/],
      ['library.list', { evil: true }, /evil/],
      ['library.list', [1, 2], /expected object/i],
      ['library.list', 'drop table images', /expected object/i],
      ['library.image', { id: -3 }, /id/],
      ['library.image', { id: Number.NaN }, /id/],
      ['library.image', {}, /id/],
      ['library.createDemo', { count: 1e9 }, /count/],
      ['library.createDemo', { count: 0 }, /count/],
      ['library.createDemo', { seed: -1 }, /seed/],
      ['jobs.cancel', { jobId: 'x'.repeat(1000) }, /jobId/],
      ['library.list', { status: 'deleted' }, /status/],
      ['library.list', { ageSource: 'guess' }, /ageSource/],
      ['library.stats', { bin: 2 }, /bin/],
      ['library.import', { paths: [] }, /paths/],
      ['library.import', {}, /paths/],
      ['library.import', { paths: ['x'.repeat(5000)] }, /paths/],
      ['library.import', { paths: ['/a'], format: 'jpeg' }, /format/],
      ['library.import', { paths: ['/a'], val: 0.9 }, /val/],
      ['library.import', { paths: ['/a'], dataset: '   ' }, /dataset/],
      ['library.update', { ids: [1], patch: { age: 200 } }, /age/],
      ['library.update', { ids: [1], patch: { age: 30, excluded: true } }, /patch/],
      ['library.update', { ids: [], patch: { excluded: true } }, /ids/],
      ['library.update', { ids: [1], patch: { split: 'holdout' } }, /patch/],
      ['library.update', { ids: ['1; DROP TABLE images'], patch: { excluded: true } }, /ids/],
      ['library.resplit', { datasetId: 1, test: 2 }, /test/],
      ['library.list', { sort: 'random()' }, /sort/],
      ['library.update', { ids: [1], patch: { reviewed: false } }, /patch/],
      ['runs.describe', { runId: 'run-a', name: 'x'.repeat(101) }, /name/],
      ['runs.delete', { runId: '../../home' }, /runId/],
      ['runs.exportMetrics', { runId: 'run-a', out: '' }, /out/],
      ['runs.evaluate', { runId: 'run-a', split: 'train' }, /split/],
      ['runs.evaluate', { runId: 'run-a', faces: 1e9 }, /faces/],
      ['runs.evaluate', { runId: 'run-a', iterations: -1 }, /iterations/],
      ['runs.evaluate', { runId: 'run-a', checkpointId: 'latest' }, /checkpointId/],
      ['runs.evaluate', { runId: "run-a'; DROP TABLE evaluations" }, /runId/],
      ['runs.evaluations', { runId: 'run-a', extra: 1 }, /extra|Unrecognized/],
      ['batch.files', { jobId: '../x' }, /jobId/],
      ['uploads.collect', { folder: 'a', files: [] }, /files/],
      ['uploads.collect', { folder: 'a', files: [{ uploadId: 'nope', path: 'a.jpg' }] }, /uploadId/],
      ['uploads.collect', { folder: 'x'.repeat(101), files: [{ uploadId: '00000000-0000-4000-8000-000000000000', path: 'a.jpg' }] }, /folder/],
      ['editor.render', { sessionId: '00000000-0000-4000-8000-000000000000', position: 1, view: { x: -1, y: 0, width: 10, height: 10 } }, /view/],
      [
        'editor.render',
        { sessionId: '00000000-0000-4000-8000-000000000000', position: 1, view: { x: 0, y: 0, width: 10, height: 10, maxSide: 4096 } },
        /maxSide/,
      ],
      ['batch.run', { paths: ['/a'], ages: [40], runId: 'run-a', outDir: '/o', paper: 'a3' }, /paper/],
      ['uploads.begin', { name: '', size: 3 }, /name/],
      ['uploads.begin', { name: 'a.jpg', size: -1 }, /size/],
      ['uploads.chunk', { uploadId: '../../etc/passwd', offset: 0, data: '' }, /uploadId/],
      ['uploads.chunk', { uploadId: '00000000-0000-4000-8000-000000000000', offset: 0, data: '<script>' }, /data/],
      ['uploads.chunk', { uploadId: '00000000-0000-4000-8000-000000000000', offset: 0, data: 'A'.repeat(800_000) }, /data/],
      ['editor.open', {}, /editor\.open/],
      ['editor.open', { path: '/a', uploadId: '00000000-0000-4000-8000-000000000000' }, /editor\.open/],
      ['editor.open', { uploadId: '../x' }, /uploadId|editor\.open/],
      ['editor.render', { sessionId: 'x', position: 1 }, /sessionId/],
      ['editor.render', { sessionId: '00000000-0000-4000-8000-000000000000', position: 7 }, /position/],
      ['editor.render', { sessionId: '00000000-0000-4000-8000-000000000000', position: 1, mode: 'paste' }, /mode/],
      ['editor.preview', { sessionId: 'x', position: 1 }, /sessionId/],
      ['editor.preview', { sessionId: '00000000-0000-4000-8000-000000000000', position: -1 }, /position/],
      ['editor.preview', { sessionId: '00000000-0000-4000-8000-000000000000', position: 1, view: { x: 0, y: 0, width: 0, height: 10, maxSide: 64 } }, /width/],
      ['editor.export', { sessionId: '00000000-0000-4000-8000-000000000000', position: 1, format: 'gif' }, /format/],
      ['editor.variations', { sessionId: '00000000-0000-4000-8000-000000000000', position: 1, count: 100 }, /count/],
      ['editor.prepare', { sessionId: '00000000-0000-4000-8000-000000000000', faceIndex: 0, runId: 'nope' }, /runId/],
      ['editor.refine', { sessionId: '00000000-0000-4000-8000-000000000000', iterations: 1e6 }, /iterations/],
      ['batch.run', { paths: ['/a'], ages: [], runId: 'run-x', outDir: '/o' }, /ages/],
      ['batch.run', { paths: ['/a'], ages: [500], runId: 'run-x', outDir: '/o' }, /ages/],
      ['batch.run', { paths: ['/a'], ages: [40], runId: 'run-x', outDir: '/o', variations: 9 }, /variations/],
      ['batch.run', { paths: ['/a'], ages: [40], runId: 'run-x', outDir: '/'.repeat(5000) }, /outDir/],
      ['batch.resume', { jobId: 'x' }, /jobId/],
      ['models.export', { runId: 'run-x' }, /out/],
      ['models.import', { path: '' }, /models\.import/],
      ['app.info', { extra: 1 }, /extra/],
      ['app.info', null, /expected object/i],
    ]
    for (const [name, input, message] of bad) {
      const reply = await call(name, input)
      expect(reply.ok, `${name} ${JSON.stringify(input)}`).toBe(false)
      if (!reply.ok) {
        expect(reply.error.code).toBe('bad_input')
        expect(reply.error.message).toMatch(message)
      }
    }
    expect(studio.catalog.images.count()).toBe(0)
  })

  it("takes only absolute paths outside the CLI: a relative one would mean the server's working directory", async () => {
    const relative: [string, unknown, RegExp][] = [
      ['editor.open', { path: 'photo.jpg' }, /The photo must be an absolute path/],
      ['models.import', { path: 'model.agemodel' }, /The bundle file must be an absolute path/],
      ['models.export', { runId: 'run-x', out: 'model.agemodel' }, /The bundle file must be an absolute path/],
      ['library.import', { paths: ['/abs', 'photos'] }, /Each folder, photo or CSV must be an absolute path.*"photos"/],
      ['batch.run', { paths: ['cases'], ages: [40], runId: 'run-x', outDir: '/o' }, /Each photo or folder must be an absolute path/],
      ['batch.run', { paths: ['/cases'], ages: [40], runId: 'run-x', outDir: 'aged' }, /The output folder must be an absolute path/],
      ['editor.export', { sessionId: '00000000-0000-4000-8000-000000000000', position: 1, outDir: '../out' }, /The export folder must be an absolute path/],
    ]
    for (const [name, input, message] of relative) {
      const reply = await call(name, input)
      expect(reply, name).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringMatching(message) } })
    }
  })

  it('applies defaults and answers not_found for missing rows', async () => {
    const list = await call('library.list', undefined)
    expect(list).toEqual({ ok: true, result: { total: 0, offset: 0, images: [] } })
    const missing = await call('library.image', { id: 12345 })
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } })
    const noDataset = await call('library.stats', { datasetId: 9 })
    expect(noDataset).toMatchObject({ ok: false, error: { code: 'not_found', message: 'There is no dataset with id 9.' } })
  })

  it('client unwraps replies and raises StudioError with the code', async () => {
    const client = createClient({ call: (name, input) => call(name, input) as never, subscribe: () => () => {} })
    expect((await client.call('app.info', {})).schemaVersion).toBe(SCHEMA_VERSION)
    await expect(client.call('library.image', { id: 777 })).rejects.toMatchObject({ name: 'StudioError', code: 'not_found' })
  })
})
