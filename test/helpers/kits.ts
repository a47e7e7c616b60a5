/**
 * Run kits as the PyTorch trainer leaves them (spec.json, out/events.jsonl, sample grids and
 * checkpoints in the studio's format), made here with tfjs so no torch is needed; and snapshots of
 * a data folder (files and catalog rows) to prove a refused import changed nothing.
 */
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import sharp from 'sharp'
import { writeModel } from '../../src/engine/model/checkpoint'
import { NETWORK_BUILDERS } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'
import { CATALOG_FILE } from '../../src/engine/catalog/catalog'
import { TrainConfigSchema } from '../../src/shared/training'

export const KIT_CONFIG = TrainConfigSchema.parse({ preset: 'tiny', phase: 'all', steps: 4, encoderSteps: 2, batch: 8, checkpointEvery: 4, sampleEvery: 4 })

/** Writes G, D and E of `tiny` at `imageSize` (fresh random weights) into a checkpoint folder. */
async function writeCheckpoint(dir: string, phase: string, step: number, imageSize: 64 | 128, seed: number): Promise<void> {
  const p = preset('tiny', imageSize)
  for (const [name, build] of NETWORK_BUILDERS) {
    const model = build(p)
    await writeModel(model, join(dir, name))
    model.dispose()
  }
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ phase, step, sampler: { epoch: 0 }, dataRng: [1, 2, 3, 4], losses: {}, trainer: 'torch' }))
  writeFileSync(join(dir, 'torch-state.pt'), Buffer.from(`not a pickle the studio reads: ${seed}`))
}

/**
 * A finished kit: 4 cGAN steps (a sample and a checkpoint at 4), then 2 encoder steps (a checkpoint
 * at 2). `networkSize` other than the spec's 64 makes "another kit's outputs".
 */
export async function makeKit(dir: string, { seed = 1, networkSize = 64 as 64 | 128 } = {}): Promise<string> {
  mkdirSync(join(dir, 'out', 'checkpoints'), { recursive: true })
  mkdirSync(join(dir, 'out', 'samples'))
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ preset: preset('tiny'), config: { ...KIT_CONFIG, seed }, dataset: 'dataset.bin', out: 'out' }))
  const losses = (k: number) => ({ dReal: 0.7 - k / 100, dFake: 0.69, dMismatch: 0.7, g: 0.8 + k / 100 })
  const events: object[] = [{ event: 'started', world: 1, device: 'cpu', torch: '1.13.0' }]
  for (let step = 1; step <= 4; step++)
    events.push({ event: 'progress', phase: 'gan', step, totalSteps: 4, epoch: 0, losses: losses(step), imagesPerSecond: 20 })
  events.push({ event: 'sample', phase: 'gan', step: 4, file: join(dir, 'out', 'samples', 'gan-00000004.png') })
  await writeCheckpoint(join(dir, 'out', 'checkpoints', 'gan-00000004'), 'gan', 4, networkSize, seed)
  events.push({ event: 'checkpoint', phase: 'gan', step: 4, epoch: 0, dir: join(dir, 'out', 'checkpoints', 'gan-00000004') })
  for (let step = 1; step <= 2; step++)
    events.push({ event: 'progress', phase: 'encoder', step, totalSteps: 2, epoch: 0, losses: { e: 0.3 / step }, imagesPerSecond: 30 })
  await writeCheckpoint(join(dir, 'out', 'checkpoints', 'encoder-00000002'), 'encoder', 2, networkSize, seed + 1)
  events.push({ event: 'checkpoint', phase: 'encoder', step: 2, epoch: 0, dir: join(dir, 'out', 'checkpoints', 'encoder-00000002') })
  events.push({ event: 'done', status: 'done' })
  writeEvents(dir, events)
  const grid = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 120, g: 90 + seed, b: 60 } } })
    .png()
    .toBuffer()
  writeFileSync(join(dir, 'out', 'samples', 'gan-00000004.png'), grid)
  return dir
}

export const readEvents = (dir: string) =>
  readFileSync(join(dir, 'out', 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
export const writeEvents = (dir: string, events: object[]) =>
  writeFileSync(join(dir, 'out', 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')

/** A copy of a made kit, to spoil one thing in. */
export function copyKit(from: string, to: string): string {
  cpSync(from, to, { recursive: true })
  return to
}

/** Every file, link and folder under `root` (with content hashes and link targets); `skip` names top-level entries left out. */
export function treeSnapshot(root: string, skip: string[] = []): Record<string, string> {
  const found: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      const rel = relative(root, path)
      if (skip.includes(rel)) continue
      const stat = lstatSync(path)
      if (stat.isSymbolicLink()) found[rel] = `link → ${readlinkSync(path)}`
      else if (stat.isDirectory()) {
        found[rel] = 'folder'
        walk(path)
      } else found[rel] = createHash('sha256').update(readFileSync(path)).digest('hex')
    }
  }
  if (existsSync(root)) walk(root)
  return found
}

/** Every row of every table of a data folder's catalog, read through a second connection. */
export function catalogRows(home: string): Record<string, unknown[]> {
  const db = new Database(join(home, CATALOG_FILE), { readonly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]
    return Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}"`).all()]))
  } finally {
    db.close()
  }
}

/** The data folder as a refused import must leave it: files (not the database's own, nor the tmp folder) and rows. */
export const dataFolderSnapshot = (home: string) => ({
  files: treeSnapshot(home, [CATALOG_FILE, `${CATALOG_FILE}-wal`, `${CATALOG_FILE}-shm`, 'tmp']),
  rows: catalogRows(home),
})
