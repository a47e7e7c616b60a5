// `age-studio import` run as a user would: the built CLI on folders of real face crops.
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { windowFill } from '../../src/shared/framing'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faceCrops, writeFolder, type FaceCrop } from '../helpers/faces'
import { CLI, tempHome } from '../helpers/serve'

const dir = tempHome('age-studio-cli-import-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let crops: FaceCrop[] = []
beforeAll(async () => {
  crops = await faceCrops()
}, 120_000)

function run(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--home', join(dir, 'home'), ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('age-studio import', () => {
  it('imports a CACD folder with --json, then names every bad file of a mixed folder, and adds nothing twice', () => {
    const cacd = writeFolder(
      join(dir, 'cacd'),
      Object.fromEntries(crops.slice(0, 5).map((c, i) => [`${[8, 25, 35, 47, 66][i]}_Some_One_000${i}.jpg`, c.bytes])),
    )
    const first = run(['--json', 'import', cacd])
    expect(first.code, first.stderr).toBe(0)
    const lines = first.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0])).toMatchObject({ imported: 5, duplicates: 0, rejected: [], perBin: [1, 1, 1, 1, 0, 1], format: 'cacd' })

    const mixed = writeFolder(join(dir, 'mixed'), { 'ok.jpg': crops[6].bytes, 'broken.jpg': 'nope', 'again.jpg': crops[0].bytes })
    const second = run(['import', mixed, '--format', 'folder', '--dataset', 'case 7'])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('Imported 1 into dataset 2 (format folder); 1 already there')
    expect(second.stdout).toContain(`${join(mixed, 'broken.jpg')}: not an image (unknown or corrupt format)`)
    expect(second.stderr).toMatch(/imported 3\/3/)

    const again = JSON.parse(run(['--json', 'import', cacd, mixed]).stdout)
    expect(again).toMatchObject({ imported: 0, duplicates: 7, repeated: 0, rejected: [{ file: join(mixed, 'broken.jpg') }] })
  }, 300_000)

  it('counts an exact copy inside one import as repeated, not "already there", and lists estimated ages per bin', () => {
    const home = join(dir, 'copies-home')
    const copies = writeFolder(join(dir, 'copies'), { 'a.jpg': crops[1].bytes, 'b.jpg': crops[2].bytes, 'copy of a.jpg': crops[1].bytes })
    const imported = spawnSync(process.execPath, [CLI, '--home', home, 'import', copies, '--format', 'folder', '--estimate-ages'], { encoding: 'utf8' })
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.stdout).toContain('Imported 2 into dataset 1 (format folder); 0 already there; 1 repeated in this import (exact copies, kept once)')
    const listed = JSON.parse(spawnSync(process.execPath, [CLI, '--home', home, '--json', 'list'], { encoding: 'utf8' }).stdout)
    // Both faces have estimated ages: bin counts include them, as the Library's histogram does.
    expect(listed.estimatedPerBin.reduce((a: number, b: number) => a + b, 0)).toBe(2)
    expect(listed.perBin).toEqual(listed.estimatedPerBin)
    expect(listed.labelledPerBin).toEqual([0, 0, 0, 0, 0, 0])
  }, 300_000)

  it('refuses bad usage with exit 2 and a missing path with exit 1, changing nothing', () => {
    expect(run(['import']).code).toBe(2)
    expect(run(['import', dir, '--format', 'jpeg']).stderr).toMatch(/--format must be one of auto, utkface/)
    expect(run(['import', dir, '--split-seed', 'x']).code).toBe(2)
    const missing = run(['--json', 'import', join(dir, 'nowhere')])
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: 'bad_input', message: `${join(dir, 'nowhere')} does not exist.` } })
  })
})

describe('age-studio recrop', () => {
  it('crops every face again from its photo as a fresh import does, with mirrored borders, and keeps a face whose photo is gone or changed', async () => {
    const home = join(dir, 'home-recrop')
    // Tight face crops, as UTKFace's chips are: the wide master reaches past them.
    const tight = await Promise.all(
      crops.slice(0, 3).map((c) => sharp(c.bytes).extract({ left: 45, top: 55, width: 110, height: 110 }).jpeg({ quality: 95 }).toBuffer()),
    )
    const folder = writeFolder(join(dir, 'recrop'), { 'a.jpg': tight[0], 'b.jpg': tight[1], 'c.jpg': tight[2] })
    const recrop = (args: string[] = []) => spawnSync(process.execPath, [CLI, '--home', home, '--json', 'recrop', ...args], { encoding: 'utf8' })
    expect(spawnSync(process.execPath, [CLI, '--home', home, 'import', folder, '--format', 'folder'], { encoding: 'utf8' }).status).toBe(0)
    const db = new Database(join(home, 'catalog.sqlite'))
    const rows = () =>
      db.prepare('SELECT source_path AS path, crop_file AS crop, train_file AS train, transform, width, height FROM images ORDER BY source_path').all() as {
        path: string
        crop: string
        train: string
        transform: string
        width: number
        height: number
      }[]
    const fresh = rows()
    expect(fresh).toHaveLength(3)
    // Each face is flagged exactly when more of its face window than a run trains on lies outside its photo.
    const flags = db.prepare('SELECT flags FROM images ORDER BY source_path').pluck().all() as string[]
    const fills = fresh.map((row) => windowFill(JSON.parse(row.transform), row.width, row.height, 'face'))
    expect(new Set(fills.map((fill) => fill > 0.05)).size).toBe(2) // these crops give both cases
    expect(flags.map((f) => JSON.parse(f).includes('outside-photo'))).toEqual(fills.map((fill) => fill > 0.05))

    // The fresh crop of a tight crop reaches past its photo, and that border is mirrored, not streaked:
    // in the rows above the photo, hardly a column repeats one pixel all the way down.
    const master = await sharp(join(home, fresh[0].crop)).raw().toBuffer()
    expect(windowFill(JSON.parse(fresh[0].transform), fresh[0].width, fresh[0].height, 'full')).toBeGreaterThan(0.1)
    const top = Math.floor(256 * 0.04)
    const constant = Array.from({ length: 256 }, (_, u) =>
      Array.from({ length: top }, (_, v) => master[(v * 256 + u) * 3]).every((value, _, all) => Math.abs(value - all[0]) <= 2),
    )
    expect(constant.filter(Boolean).length).toBeLessThan(64)

    // An older catalog: each face's master is a file of its own, made before the mirror, and no thumbnail.
    const freshThumbs = db.prepare('SELECT thumb_file FROM images ORDER BY source_path').pluck().all() as string[]
    expect(freshThumbs.every((file) => typeof file === 'string')).toBe(true)
    const stale = fresh.map((row, i) => {
      const name = `files/stale-${i}.png`
      writeFileSync(join(home, name), `stale ${i}`)
      db.prepare('UPDATE images SET crop_file = ?, thumb_file = NULL WHERE source_path = ?').run(name, row.path)
      return name
    })
    rmSync(join(folder, 'c.jpg'))
    writeFileSync(join(folder, 'b.jpg'), Buffer.concat([tight[1], Buffer.from('changed')]))
    const result = recrop()
    expect(result.status, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.recropped).toBe(1)
    expect(report.kept).toEqual([
      { file: join(folder, 'b.jpg'), reason: expect.stringMatching(/changed since it was imported/) },
      { file: join(folder, 'c.jpg'), reason: expect.stringMatching(/does not exist/) },
    ])
    const after = rows()
    expect(after[0].crop).toBe(fresh[0].crop) // the same bytes a fresh import made
    expect(after.slice(1).map((r) => r.crop)).toEqual(stale.slice(1))
    expect(existsSync(join(home, stale[0]))).toBe(false) // nothing uses it any more
    expect(existsSync(join(home, stale[1]))).toBe(true)
    // A face imported before thumbnails had one gets the face-window thumbnail a fresh import makes.
    const thumbs = db.prepare('SELECT thumb_file FROM images ORDER BY source_path').pluck().all() as (string | null)[]
    expect(thumbs[0]).toBe(freshThumbs[0])
    expect(thumbs.slice(1)).toEqual([null, null])
    db.close()

    expect(recrop(['--dataset', 'nowhere']).status).toBe(2)
    expect(JSON.parse(recrop(['some/path']).stdout).error.message).toMatch(/recrop takes no paths/)
  }, 300_000)
})
