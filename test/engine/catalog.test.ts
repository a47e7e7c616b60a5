import Database from 'better-sqlite3'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Catalog, CATALOG_FILE, migrate } from '../../src/engine/catalog/catalog'
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/engine/catalog/migrations'
import { LEASE_STALE_MS } from '../../src/engine/catalog/leases'
import { hostname } from 'node:os'
import type { NewImage } from '../../src/engine/catalog/images'
import { tempHome } from '../helpers/serve'

const homes: string[] = []
const home = () => {
  const dir = tempHome('age-studio-catalog-')
  homes.push(dir)
  return dir
}
afterEach(() => homes.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const image = (datasetId: number, sha256: string, age: number | null): NewImage => ({
  datasetId,
  sha256,
  sourcePath: `/photos/${sha256}.jpg`,
  cropFile: null,
  trainFile: null,
  width: 10,
  height: 10,
  age,
  ageSource: age === null ? null : 'label',
  ageBin: age === null ? null : age < 19 ? 0 : 5,
  split: 'train',
})

describe('catalog migrations on a real database file', () => {
  it('creates schema v1 with every table, in WAL mode', () => {
    const dir = home()
    const catalog = Catalog.open(dir)
    expect(existsSync(join(dir, CATALOG_FILE))).toBe(true)
    expect(catalog.schemaVersion()).toBe(SCHEMA_VERSION)
    const tables = (catalog.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name)
    expect(tables).toEqual(['aging_jobs', 'aging_outputs', 'checkpoints', 'datasets', 'evaluations', 'images', 'metrics', 'runs', 'samples'])
    expect(catalog.db.pragma('journal_mode', { simple: true })).toBe('wal')
    catalog.close()
  })

  it('keeps data across reopen and does not re-run applied migrations', () => {
    const dir = home()
    const first = Catalog.open(dir)
    const id = first.datasets.ensure('faces', 'folder', '/photos')
    first.images.insertMany([image(id, 'a'.repeat(64), 30)])
    first.close()
    const second = Catalog.open(dir)
    expect(second.images.count()).toBe(1)
    expect(second.datasets.ensure('faces', 'folder', '/photos')).toBe(id)
    second.close()
  })

  it('rolls a failing migration back whole and leaves the version where it was', () => {
    const db = new Database(join(home(), 'broken.sqlite'))
    migrate(db, MIGRATIONS)
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'half good', sql: 'CREATE TABLE extra (x); SELECT * FROM no_such_table;' }]
    expect(() => migrate(db, broken)).toThrow(/no_such_table/)
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'extra'").get()).toBeUndefined()
    db.close()
  })

  it('refuses a catalog from a newer Age Studio', () => {
    const dir = home()
    const db = new Database(join(dir, CATALOG_FILE))
    db.pragma('user_version = 99')
    db.close()
    expect(() => Catalog.open(dir)).toThrow(/schema version 99, newer than/)
  })

  it('says so clearly when the catalog file is not a database', () => {
    const dir = home()
    writeFileSync(join(dir, CATALOG_FILE), Buffer.from('this is not sqlite at all, just some bytes'.repeat(100)))
    expect(() => Catalog.open(dir)).toThrow(/is not an Age Studio catalog/)
  })
})

describe('catalog writes', () => {
  it('skips an sha256 it already has, in one transaction', () => {
    const catalog = Catalog.open(home())
    const id = catalog.datasets.ensure('faces', 'folder', null)
    expect(catalog.images.insertMany([image(id, 'a'.repeat(64), 10), image(id, 'b'.repeat(64), 70)])).toMatchObject({ inserted: 2, duplicates: 0 })
    expect(catalog.images.insertMany([image(id, 'b'.repeat(64), 70), image(id, 'c'.repeat(64), null)])).toMatchObject({
      inserted: 1,
      duplicates: 1,
      ids: [null, 3],
    })
    expect(catalog.images.stats()).toEqual({
      perBin: [1, 0, 0, 0, 0, 1],
      estimatedPerBin: [0, 0, 0, 0, 0, 0],
      unlabelled: 1,
      total: 3,
      rejected: 0,
      flagged: 0,
      excluded: 0,
    })
    catalog.close()
  })

  it("lists the judges' calibration faces: cropped ones only, in id order, up to the limit", () => {
    const catalog = Catalog.open(home())
    const id = catalog.datasets.ensure('faces', 'folder', null)
    const cropped = (sha: string, age: number) => ({ ...image(id, sha.repeat(64), age), cropFile: `files/${sha}c.png`, trainFile: `files/${sha}t.png` })
    catalog.images.insertMany([cropped('a', 30), image(id, 'b'.repeat(64), 40), cropped('c', 70), cropped('d', 10)])
    expect(catalog.images.calibrationFaces(2)).toEqual([
      { id: 1, crop: 'files/ac.png', train: 'files/at.png', age: 30, identity: null, duplicateOf: null },
      { id: 3, crop: 'files/cc.png', train: 'files/ct.png', age: 70, identity: null, duplicateOf: null },
    ])
    expect(catalog.images.calibrationFaces(10).map((f) => f.id)).toEqual([1, 3, 4])
    catalog.close()
  })

  it('rejects a whole batch when one row breaks a constraint', () => {
    const catalog = Catalog.open(home())
    const id = catalog.datasets.ensure('faces', 'folder', null)
    const bad = { ...image(id, 'e'.repeat(64), 10), age: 300 }
    expect(() => catalog.images.insertMany([image(id, 'd'.repeat(64), 10), bad])).toThrow(/CHECK constraint/)
    expect(catalog.images.count()).toBe(0)
    catalog.close()
  })

  it('refuses an age without a bin, so a label is never half there', () => {
    const catalog = Catalog.open(home())
    const id = catalog.datasets.ensure('faces', 'folder', null)
    expect(() => catalog.images.insertMany([{ ...image(id, 'f'.repeat(64), 10), ageBin: null }])).toThrow(/CHECK constraint/)
    catalog.close()
  })
})

describe('curating images', () => {
  it('filters by source, split and status, edits in bulk and re-splits by person, reproducibly', async () => {
    const { splitFor } = await import('../../src/engine/datasets/splits')
    const catalog = Catalog.open(home())
    const id = catalog.datasets.ensure('people', 'csv', null)
    const rows: NewImage[] = Array.from({ length: 40 }, (_, i) => ({
      ...image(id, i.toString(16).padStart(64, '0'), i % 4 === 0 ? null : 20 + i),
      ageSource: i % 4 === 0 ? null : i % 4 === 1 ? 'estimate' : 'label',
      identity: `p${i % 8}`,
      flags: i === 5 ? ['several-faces'] : [],
      importError: i === 6 ? 'no face found' : null,
    }))
    for (const row of rows) row.ageBin = row.age === null ? null : (Math.min(5, Math.max(0, Math.floor((row.age - 10) / 10))) as NewImage['ageBin'])
    rows[6] = { ...rows[6], age: null, ageSource: null, ageBin: null }
    catalog.images.insertMany(rows)
    expect(catalog.images.count({ ageSource: 'estimate' })).toBe(10)
    expect(catalog.images.count({ ageSource: 'none' })).toBe(11)
    expect(catalog.images.count({ status: 'rejected' })).toBe(1)
    expect(catalog.images.count({ status: 'flagged' })).toBe(1)
    const stats = catalog.images.stats()
    expect(stats.estimatedPerBin.reduce((a, b) => a + b)).toBe(10)
    expect(stats.perBin.reduce((a, b) => a + b)).toBe(19)
    expect(stats).toMatchObject({ total: 40, rejected: 1, flagged: 1, unlabelled: 10 })

    // A manual age replaces an estimate and counts as a real label; a rejected image keeps no age.
    const estimated = catalog.images.ids({ ageSource: 'estimate' }, 100)
    expect(catalog.images.update([...estimated, 7, 999], { age: 70 })).toBe(10)
    expect(catalog.images.update([7], { age: 3 })).toBe(0) // id 7 is the rejected one
    expect(catalog.images.stats()).toMatchObject({ estimatedPerBin: [0, 0, 0, 0, 0, 0] })
    expect(catalog.images.count({ bin: 5, ageSource: 'manual' })).toBe(10)
    expect(catalog.images.update([1, 2, 3], { excluded: true })).toBe(3)
    expect(catalog.images.count({ status: 'excluded' })).toBe(3)
    expect(catalog.images.count({ status: 'usable' })).toBe(36)

    const plan = { seed: 9, val: 0.25, test: 0.25 }
    expect(catalog.images.resplit(id, (key) => splitFor(key, plan))).toBe(40)
    const first = catalog.images.list({}, 0, 100).map((r) => [r.identity, r.split])
    for (const [person, split] of first) expect(first.filter(([p]) => p === person).every(([, s]) => s === split)).toBe(true)
    expect(new Set(first.map(([, s]) => s)).size).toBeGreaterThan(1)
    catalog.images.resplit(id, (key) => splitFor(key, { ...plan, seed: 10 }))
    catalog.images.resplit(id, (key) => splitFor(key, plan))
    expect(catalog.images.list({}, 0, 100).map((r) => [r.identity, r.split])).toEqual(first)
    catalog.close()
  })
})

describe('run leases: one process trains a run at a time', () => {
  const other = process.pid + 100_000 // no such process on this machine

  function leased(): { catalog: Catalog; set: (fields: Record<string, unknown>) => void } {
    const catalog = Catalog.open(home())
    catalog.runs.create('run-lease', 'tiny', {}, 1, 'cpu')
    const set = (fields: Record<string, unknown>) => {
      const columns = Object.keys(fields)
        .map((k) => `${k} = @${k}`)
        .join(', ')
      catalog.db.prepare(`UPDATE runs SET ${columns} WHERE id = 'run-lease'`).run(fields)
    }
    return { catalog, set }
  }

  it('refuses a run another live process on this host trains, and takes over a dead one', () => {
    const { catalog, set } = leased()
    set({ pid: other, status: 'running' })
    expect(() => catalog.runs.claim('run-lease', () => true)).toThrow(new RegExp(`being trained by process ${other} \\(running\\)`))
    set({ status: 'paused' })
    expect(() => catalog.runs.claim('run-lease', () => true)).toThrow(/\(paused\)/)
    expect(catalog.runs.markInterrupted(() => true)).toBe(0)
    // The holder died: its lease is stale and taken over.
    catalog.runs.claim('run-lease', () => false)
    const row = catalog.db.prepare("SELECT status, pid FROM runs WHERE id = 'run-lease'").get()
    expect(row).toEqual({ status: 'running', pid: process.pid })
    // A finished run holds no lease, whoever trained it.
    set({ pid: other, status: 'cancelled' })
    expect(() => catalog.runs.claim('run-lease', () => true)).not.toThrow()
    catalog.close()
  })

  it('trusts a holder on another host while its heartbeat is fresh', () => {
    const { catalog, set } = leased()
    set({ pid: other, status: 'running', host: 'render-node-7', heartbeat_at: new Date().toISOString() })
    expect(() => catalog.runs.claim('run-lease', () => false)).toThrow(/on render-node-7/)
    expect(catalog.runs.markInterrupted(() => false)).toBe(0)
    set({ heartbeat_at: new Date(Date.now() - LEASE_STALE_MS - 1000).toISOString() })
    expect(catalog.runs.markInterrupted(() => true)).toBe(1)
    set({ status: 'running' })
    catalog.runs.claim('run-lease', () => true)
    expect(catalog.db.prepare("SELECT host FROM runs WHERE id = 'run-lease'").get()).toEqual({ host: hostname() })
    catalog.close()
  })
})

describe("a run's trained-for clock", () => {
  it('counts running time only: paused and cancelled time add nothing', () => {
    const catalog = Catalog.open(home())
    const backdate = (seconds: number) =>
      catalog.db.prepare(`UPDATE runs SET running_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE id = 'run-clock'`).run(`-${seconds} seconds`)
    catalog.runs.create('run-clock', 'tiny', {}, 1, 'cpu')
    catalog.runs.setStatus('run-clock', 'running')
    backdate(100) // as if it had trained 100 s
    catalog.runs.setStatus('run-clock', 'paused')
    const afterFirst = catalog.runs.get('run-clock')!
    expect(afterFirst.runningSince).toBeNull()
    expect(afterFirst.trainedSeconds).toBeGreaterThan(99.9)
    expect(afterFirst.trainedSeconds).toBeLessThan(130)
    catalog.runs.setStatus('run-clock', 'paused')
    catalog.runs.setStatus('run-clock', 'cancelled')
    expect(catalog.runs.get('run-clock')!.trainedSeconds).toBe(afterFirst.trainedSeconds)

    catalog.runs.setStatus('run-clock', 'running')
    expect(catalog.runs.get('run-clock')!.runningSince).not.toBeNull()
    backdate(50)
    catalog.runs.setStatus('run-clock', 'done')
    expect(catalog.runs.get('run-clock')!.trainedSeconds! - afterFirst.trainedSeconds!).toBeGreaterThan(49.9)
    expect(catalog.runs.get('run-clock')!.trainedSeconds! - afterFirst.trainedSeconds!).toBeLessThan(80)
    catalog.close()
  })
})
