// Run kits as untrusted input: one hostile kit per attack (traversal in phase and step, links,
// hardlinks, a FIFO, a truncated older checkpoint, NaN weights, a step of 10^9, another kit's
// 128 px outputs, a non-PNG sample, a false checkpoint state), each refused with its reason while
// the data folder's files and rows and a watched sibling folder stay byte-identical. Then what a
// good kit does (imports once, is recognised the second time), and that deleting a run never
// touches another's files, whatever its catalog rows say. Kits are made with tfjs: no torch needed.
import { spawnSync } from 'node:child_process'
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/engine/api/handlers'
import { loadAgingModel } from '../../src/engine/aging/model'
import { importRunKit, RunKitError } from '../../src/engine/torch/runKit'
import { removeOwned, RunFolderError, writableRunFolder } from '../../src/engine/runFolders'
import { startRun } from '../../src/engine/training/runStatus'
import { CLI } from '../helpers/serve'
import { demoStudio } from '../helpers/training'
import { copyKit, dataFolderSnapshot, makeKit, readEvents, treeSnapshot, writeEvents } from '../helpers/kits'

let env: Awaited<ReturnType<typeof demoStudio>>
const root = mkdtempSync(join(tmpdir(), 'age-studio-kits-'))
const outside = join(root, 'outside') // the watched sibling folder
let goodKit: string
beforeAll(async () => {
  env = await demoStudio(12)
  mkdirSync(join(outside, 'victim', 'checkpoints'), { recursive: true })
  writeFileSync(join(outside, 'secret-00000004.png'), 'a text file, not a sample grid')
  writeFileSync(join(outside, 'victim', 'keep.txt'), 'not the studio’s')
  goodKit = await makeKit(join(root, 'good'))
}, 120_000)
afterAll(async () => {
  await env.close()
  rmSync(root, { recursive: true, force: true })
})

const importKit = (dir: string) => importRunKit(env.ctx.home, env.studio.catalog, env.studio.files, dir)
let spoiled = 0
const spoil = (change: (kit: string) => void | Promise<void>) => async () => {
  const kit = copyKit(goodKit, join(root, `spoiled-${++spoiled}`))
  await change(kit)
  return kit
}
const checkpoint = (kit: string, name: string) => join(kit, 'out', 'checkpoints', name)
const editEvents = (kit: string, edit: (events: Record<string, unknown>[]) => Record<string, unknown>[]) => writeEvents(kit, edit(readEvents(kit)))
const NAN = Buffer.from(new Float32Array(64).fill(NaN).buffer)

const HOSTILE: [string, () => Promise<string>, RegExp][] = [
  [
    'a checkpoint phase that climbs into another run',
    spoil((kit) => editEvents(kit, (es) => es.map((e) => (e.event === 'checkpoint' ? { ...e, phase: '../../V/checkpoints/gan' } : e)))),
    /events\.jsonl line \d+ has a bad phase/,
  ],
  [
    'a checkpoint step that names the file store',
    spoil((kit) => editEvents(kit, (es) => es.map((e) => (e.event === 'checkpoint' ? { ...e, step: '/../../../../files' } : e)))),
    /bad step/,
  ],
  [
    'a sample phase that reads outside the kit',
    spoil((kit) => editEvents(kit, (es) => es.map((e) => (e.event === 'sample' ? { ...e, phase: '../../../secret' } : e)))),
    /bad phase/,
  ],
  [
    'a step of 10^9',
    spoil((kit) => editEvents(kit, (es) => es.map((e) => (e.event === 'progress' && e.step === 3 ? { ...e, step: 1e9 } : e)))),
    /line \d+ has a bad step/,
  ],
  [
    'a step past the spec',
    spoil((kit) => editEvents(kit, (es) => es.map((e) => (e.event === 'progress' && e.step === 3 ? { ...e, step: 40 } : e)))),
    /past the spec's 4/,
  ],
  [
    'an infinite loss',
    spoil((kit) => writeFileSync(join(kit, 'out', 'events.jsonl'), readFileSync(join(kit, 'out', 'events.jsonl'), 'utf8').replace('"g":0.81', '"g":1e999'))),
    /line 2 has a bad losses\.g/,
  ],
  [
    'a sample that is a symlink to /etc/passwd',
    spoil((kit) => {
      rmSync(join(kit, 'out', 'samples', 'gan-00000004.png'))
      symlinkSync('/etc/passwd', join(kit, 'out', 'samples', 'gan-00000004.png'))
    }),
    /gan-00000004\.png is a symlink/,
  ],
  [
    'a sample that is not a PNG',
    spoil((kit) => writeFileSync(join(kit, 'out', 'samples', 'gan-00000004.png'), 'plain text')),
    /gan-00000004\.png is not a PNG image/,
  ],
  [
    'a symlinked checkpoint folder',
    spoil((kit) => {
      renameSync(checkpoint(kit, 'gan-00000004'), join(root, `moved-${spoiled}`))
      symlinkSync(join(root, `moved-${spoiled}`), checkpoint(kit, 'gan-00000004'))
    }),
    /gan-00000004 is a symlink/,
  ],
  [
    'a symlinked out/checkpoints',
    spoil((kit) => {
      rmSync(join(kit, 'out', 'checkpoints'), { recursive: true })
      symlinkSync(join(outside, 'victim', 'checkpoints'), join(kit, 'out', 'checkpoints'))
    }),
    /out\/checkpoints is a symlink/,
  ],
  [
    'a weights file hardlinked to a file outside',
    spoil((kit) => {
      const weights = join(checkpoint(kit, 'gan-00000004'), 'encoder', 'weights.bin')
      const elsewhere = join(root, `hardlinked-${spoiled}.bin`)
      renameSync(weights, elsewhere)
      linkSync(elsewhere, weights)
    }),
    /weights\.bin is a hardlink/,
  ],
  [
    'a FIFO for a checkpoint state',
    spoil((kit) => {
      rmSync(join(checkpoint(kit, 'gan-00000004'), 'state.json'))
      expect(spawnSync('mkfifo', [join(checkpoint(kit, 'gan-00000004'), 'state.json')]).status).toBe(0)
    }),
    /state\.json is a named pipe/,
  ],
  [
    'a truncated older checkpoint',
    spoil((kit) => truncateSync(join(checkpoint(kit, 'gan-00000004'), 'generator', 'weights.bin'), 1000)),
    /generator of checkpoint gan-00000004: weights\.bin is 1000 bytes/,
  ],
  [
    'NaN weights in the newest encoder',
    spoil((kit) => {
      const weights = join(checkpoint(kit, 'encoder-00000002'), 'encoder', 'weights.bin')
      const bytes = readFileSync(weights)
      NAN.copy(bytes, 0)
      writeFileSync(weights, bytes)
    }),
    /encoder of checkpoint encoder-00000002 has NaN weights/,
  ],
  [
    "another kit's outputs (128 px weights under a 64 px spec)",
    async () => makeKit(join(root, 'wrong-size'), { networkSize: 128 }),
    /is for 128 px images, but its configuration says 64 px/,
  ],
  [
    'a stray file in a checkpoint',
    spoil((kit) => writeFileSync(join(checkpoint(kit, 'gan-00000004'), 'run-me.sh'), 'echo')),
    /holds "run-me\.sh", which a checkpoint never has/,
  ],
  [
    'a checkpoint whose own state names another step',
    spoil((kit) => writeFileSync(join(checkpoint(kit, 'gan-00000004'), 'state.json'), JSON.stringify({ phase: 'gan', step: 3, trainer: 'torch' }))),
    /own state says gan step 3; the events say gan step 4/,
  ],
]

describe('a hostile run kit is refused and changes nothing', () => {
  it.each(HOSTILE)(
    '%s',
    async (_name, make, reason) => {
      const kit = await make()
      const [before, outsideBefore] = [dataFolderSnapshot(env.ctx.home), treeSnapshot(outside)]
      const refused = await importKit(kit).then(
        () => null,
        (error: unknown) => error,
      )
      expect(refused).toBeInstanceOf(RunKitError)
      expect((refused as Error).message).toMatch(reason)
      expect(dataFolderSnapshot(env.ctx.home)).toEqual(before)
      expect(treeSnapshot(outside)).toEqual(outsideBefore)
      expect(existsSync(join(env.ctx.home, 'tmp')) ? readdirSync(join(env.ctx.home, 'tmp')) : []).toEqual([]) // no staging left
    },
    60_000,
  )
})

describe('a good kit', () => {
  it('imports once with everything it holds, and is named, not duplicated, the second time (CLI)', async () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, '--home', env.ctx.home, ...args], { encoding: 'utf8', timeout: 120_000 })
    const first = cli(['import-run', goodKit, '--json'])
    expect(first.status, first.stderr).toBe(0)
    const imported = JSON.parse(first.stdout.trim().split('\n').at(-1)!)
    expect(imported).toMatchObject({ status: 'done', checkpoints: 2, steps: { gan: 4, encoder: 2 }, alreadyImported: false, missing: [] })
    const api = createHandlers(env.studio)
    const detail = await api['runs.get']({ runId: imported.runId })
    expect(detail.checkpoints.map((c) => c.dir)).toEqual([
      `runs/${imported.runId}/checkpoints/gan-00000004`,
      `runs/${imported.runId}/checkpoints/encoder-00000002`,
    ])
    expect(detail.samples).toEqual([{ phase: 'gan', step: 4 }])
    const model = await loadAgingModel(env.ctx.home, env.studio.catalog, imported.runId)
    expect(model.imageSize).toBe(64)
    model.dispose()

    const before = dataFolderSnapshot(env.ctx.home)
    const again = cli(['import-run', goodKit])
    expect(again.status, again.stderr).toBe(0)
    expect(again.stdout).toContain(`This kit was imported before, as ${imported.runId} (done: 4 cGAN and 2 encoder steps, 2 checkpoints); nothing was added.`)
    expect(dataFolderSnapshot(env.ctx.home)).toEqual(before)
  }, 120_000)

  it('a checkpoint deleted from the kit is left out and said so', async () => {
    const kit = copyKit(goodKit, join(root, 'pruned'))
    editEvents(kit, (es) => es.map((e) => (e.event === 'started' ? { ...e, device: 'cuda:0' } : e)))
    rmSync(checkpoint(kit, 'gan-00000004'), { recursive: true })
    const imported = await importKit(kit)
    expect(imported).toMatchObject({ checkpoints: 1, missing: ['checkpoint gan-00000004'], alreadyImported: false })
    expect(env.studio.catalog.runs.get(imported.runId)!.backend).toBe('torch-cuda')
  }, 60_000)
})

describe('deleting and writing run folders', () => {
  it("delete-run of one run never touches another run's files or the file store, whatever its rows say", async () => {
    const api = createHandlers(env.studio)
    const a = await importKit(await makeKit(join(root, 'run-a'), { seed: 11 }))
    const b = await importKit(await makeKit(join(root, 'run-b'), { seed: 12 }))
    // Rows a hostile import on an older studio could have left: b's checkpoint pointing at a's folder, at the file store and at the home.
    for (const [step, dir] of [
      [100, `runs/${a.runId}/checkpoints/gan-00000004`],
      [101, 'files'],
      [102, `runs/${b.runId}/../${a.runId}`],
      [103, '.'],
    ] as const) {
      env.studio.catalog.runs.addCheckpoint(b.runId, 'gan', step, 0, dir, 'x')
    }
    const keep = { a: treeSnapshot(join(env.ctx.home, 'runs', a.runId)), files: treeSnapshot(join(env.ctx.home, 'files')) }
    expect(Object.keys(keep.files).length).toBeGreaterThan(10)
    await api['runs.delete']({ runId: b.runId })
    expect(existsSync(join(env.ctx.home, 'runs', b.runId))).toBe(false)
    expect(treeSnapshot(join(env.ctx.home, 'runs', a.runId))).toEqual(keep.a)
    // b's sample grid is gone from the store; every other stored file stays.
    const after = treeSnapshot(join(env.ctx.home, 'files'))
    expect(Object.keys(keep.files).filter((f) => !(f in after))).toHaveLength(1)
    const model = await loadAgingModel(env.ctx.home, env.studio.catalog, a.runId)
    model.dispose()
  }, 120_000)

  it('a run folder that links elsewhere is neither written into nor removed through', async () => {
    const kit = copyKit(goodKit, join(root, 'interrupted'))
    editEvents(kit, (es) => es.filter((e) => e.event !== 'done'))
    const run = await importKit(kit)
    expect(run.status).toBe('interrupted')
    const checkpoints = join(env.ctx.home, 'runs', run.runId, 'checkpoints')
    renameSync(checkpoints, join(root, 'kept-checkpoints'))
    symlinkSync(join(outside, 'victim', 'checkpoints'), checkpoints)
    const outsideBefore = treeSnapshot(outside)
    // startRun is where both backends begin a resume: refused before the trainer starts.
    expect(() => startRun(env.ctx, run.runId, true)).toThrow(RunFolderError)
    expect(() => writableRunFolder(env.ctx.home, run.runId, 'checkpoints')).toThrow(/is a link; a run writes only into its own folder/)
    // Removing a checkpoint through the link is refused; removing the run folder takes only the link.
    expect(removeOwned(env.ctx.home, run.runId, null, `runs/${run.runId}/checkpoints/gan-00000004`)).toBe(false)
    expect(removeOwned(env.ctx.home, run.runId, null, `runs/${run.runId}/../../files`)).toBe(false)
    await createHandlers(env.studio)['runs.delete']({ runId: run.runId })
    expect(treeSnapshot(outside)).toEqual(outsideBefore)
    expect(existsSync(join(env.ctx.home, 'runs', run.runId))).toBe(false)
  }, 60_000)
})
