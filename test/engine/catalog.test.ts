import Database from 'better-sqlite3'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Catalog, CATALOG_FILE, migrate } from '../../src/engine/catalog/catalog'
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/engine/catalog/migrations'
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
  datasetId, sha256, sourcePath: `/photos/${sha256}.jpg`, cropFile: null, trainFile: null, width: 10, height: 10,
  age, ageSource: age === null ? null : 'label', ageBin: age === null ? null : age < 19 ? 0 : 5, split: 'train',
})

describe('catalog migrations on a real database file', () => {
  it('creates schema v1 with every table, in WAL mode', () => {
    const dir = home()
    const catalog = Catalog.open(dir)
    expect(existsSync(join(dir, CATALOG_FILE))).toBe(true)
    expect(catalog.schemaVersion()).toBe(SCHEMA_VERSION)
    const tables = (catalog.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name)
    expect(tables).toEqual(['aging_jobs', 'aging_outputs', 'checkpoints', 'datasets', 'images', 'metrics', 'runs', 'samples'])
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
    expect(catalog.images.insertMany([image(id, 'b'.repeat(64), 70), image(id, 'c'.repeat(64), null)])).toMatchObject({ inserted: 1, duplicates: 1, ids: [null, 3] })
    expect(catalog.images.stats()).toEqual({ perBin: [1, 0, 0, 0, 0, 1], estimatedPerBin: [0, 0, 0, 0, 0, 0], unlabelled: 1, total: 3, rejected: 0, flagged: 0, excluded: 0 })
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
