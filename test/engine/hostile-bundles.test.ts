// Model bundles as untrusted input: a bundle re-hashed after its G or E weights were set to NaN, a
// bundle.json that claims another configuration (kept hash, re-made hash, the old format without
// one), and the same networks under another configuration are each refused with the reason, the
// data folder unchanged. A model whose weights went bad after import fails at render time with a
// sentence, never as a black picture. And the CLI's small refusals read as sentences.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tar from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { configHash } from '../../src/engine/aging/bundle'
import { modelHash } from '../../src/engine/aging/model'
import { importRunKit } from '../../src/engine/torch/runKit'
import { CLI } from '../helpers/serve'
import { DEMO_PHOTOS } from '../helpers/photos'
import { demoStudio } from '../helpers/training'
import { dataFolderSnapshot, makeKit } from '../helpers/kits'

let env: Awaited<ReturnType<typeof demoStudio>>
let api: ReturnType<typeof createHandlers>
const root = mkdtempSync(join(tmpdir(), 'age-studio-bundles-'))
let runId: string
const clean = join(root, 'clean')
beforeAll(async () => {
  env = await demoStudio(12)
  api = createHandlers(env.studio)
  runId = (await importRunKit(env.ctx.home, env.studio.catalog, env.studio.files, await makeKit(join(root, 'kit')))).runId
  const good = join(root, 'good.agemodel')
  await api['models.export']({ runId, out: good, force: false })
  mkdirSync(clean)
  await tar.x({ file: good, cwd: clean })
}, 120_000)
afterAll(async () => {
  await env.close()
  rmSync(root, { recursive: true, force: true })
})

type Manifest = {
  formatVersion: number
  modelHash: string
  configHash?: string
  historySha256?: string
  run: { preset: string; config: Record<string, unknown> }
}
let made = 0
/** A copy of the clean bundle with `change` applied to its files and manifest; `rehash` re-makes both hashes as an attacker would. */
async function bundle(change: (dir: string, manifest: Manifest) => void, rehash: boolean): Promise<string> {
  const dir = join(root, `b${++made}`)
  cpSync(clean, dir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as Manifest
  change(dir, manifest)
  if (rehash) {
    manifest.modelHash = modelHash(dir)
    if (manifest.formatVersion >= 2) manifest.configHash = configHash(manifest.modelHash, manifest.run, manifest.historySha256)
  }
  writeFileSync(join(dir, 'bundle.json'), JSON.stringify(manifest))
  const file = `${dir}.agemodel`
  const history = manifest.formatVersion === 3 ? ['history.json', 'samples'] : []
  await tar.c({ gzip: true, file, cwd: dir }, ['bundle.json', ...history, 'generator', 'encoder'])
  return file
}
const nanWeights = (network: string) => (dir: string) => {
  const file = join(dir, network, 'weights.bin')
  const bytes = readFileSync(file)
  Buffer.from(new Float32Array(32).fill(NaN).buffer).copy(bytes, 128)
  writeFileSync(file, bytes)
}
const claim128 = (_dir: string, m: Manifest) => (m.run.config = { ...m.run.config, imageSize: 128 })

describe('a hostile bundle is refused and changes nothing', () => {
  it.each([
    ['NaN generator weights, re-hashed', () => bundle(nanWeights('generator'), true), /The generator has NaN weights/],
    ['NaN encoder weights, re-hashed', () => bundle(nanWeights('encoder'), true), /The encoder has NaN weights/],
    ['a bundle.json claiming 128 px, hashes kept', () => bundle(claim128, false), /bundle\.json was changed after export/],
    ['a bundle.json claiming 128 px, hashes re-made', () => bundle(claim128, true), /is for 64 px images, but its configuration says 128 px/],
    [
      'the old format (no configuration hash) claiming 128 px',
      () =>
        bundle((dir, m) => {
          claim128(dir, m)
          m.formatVersion = 1
          delete m.configHash
          delete m.historySha256
        }, true),
      /is for 64 px images, but its configuration says 128 px/,
    ],
    ['another preset than its configuration', () => bundle((_dir, m) => (m.run.preset = 'paper'), true), /run\.preset paper is not the configuration's tiny/],
  ] as const)(
    '%s',
    async (_name, make, reason) => {
      const file = await make()
      const before = dataFolderSnapshot(env.ctx.home)
      await expect(api['models.import']({ path: file })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(reason) })
      expect(dataFolderSnapshot(env.ctx.home)).toEqual(before)
    },
    60_000,
  )

  it('the same networks under another configuration than the one imported', async () => {
    const honest = await api['models.import']({ path: join(root, 'good.agemodel') })
    expect(honest.alreadyImported).toBe(false)
    const file = await bundle((_dir, m) => (m.run.config = { ...m.run.config, lrG: 0.5 }), true)
    const before = dataFolderSnapshot(env.ctx.home)
    await expect(api['models.import']({ path: file })).rejects.toMatchObject({
      message: expect.stringMatching(new RegExp(`already imported as ${honest.runId} with another configuration`)),
    })
    expect(dataFolderSnapshot(env.ctx.home)).toEqual(before)
    expect((await api['models.import']({ path: join(root, 'good.agemodel') })).alreadyImported).toBe(true)
  }, 60_000)
})

describe('a model that cannot make a picture', () => {
  it('fails at render time with a sentence, not a black image', async () => {
    const { checkpoints } = await api['runs.get']({ runId })
    const weights = join(env.ctx.home, checkpoints.at(-1)!.dir, 'generator', 'weights.bin')
    const good = readFileSync(weights)
    writeFileSync(weights, Buffer.from(new Float32Array(good.length / 4).fill(NaN).buffer)) // gone bad on disk after import
    try {
      const { sessionId } = await api['editor.open']({ path: DEMO_PHOTOS[0] })
      const made = (async () => {
        await api['editor.prepare']({ sessionId, faceIndex: 0, runId })
        return api['editor.render']({ sessionId, position: 5, variation: 0, spread: 0.35, mode: 'residual', strength: 1 })
      })()
      await expect(made).rejects.toThrow(/generator made a picture with NaN or infinite values/)
      await api['editor.close']({ sessionId })
    } finally {
      writeFileSync(weights, good)
    }
  }, 120_000)
})

describe('the CLI says it plainly', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, '--home', env.ctx.home, ...args], { encoding: 'utf8', timeout: 120_000 })
  it('eval --n 0 is a usage error with the range', () => {
    const result = cli(['eval', '--run', runId, '--n', '0'])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/--n must be from 1 to 2000, got 0\./)
  })
})
