// Imports real faces (crops of face-api's demo photos, made at test time) into a real catalog:
// labels from names, alignment, every kind of bad file with its reason, duplicates, estimates,
// identity splits, EXIF orientation, and the same through the API's worker thread.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ageToBin } from '../../src/shared/ageBins'
import { DEFAULT_FRAMING, windowRegion } from '../../src/shared/framing'
import { Catalog } from '../../src/engine/catalog/catalog'
import { FileStore, sha256 } from '../../src/engine/catalog/files'
import { splitFor } from '../../src/engine/datasets/splits'
import { importPhotos, type ImportOptions } from '../../src/engine/datasets/importer'
import { useInferenceBackend } from '../../src/engine/tf/backends'
import { faceCrops, writeFolder, type FaceCrop } from '../helpers/faces'

const tmp = mkdtempSync(join(tmpdir(), 'age-studio-import-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let crops: FaceCrop[] = []
beforeAll(async () => {
  await useInferenceBackend()
  crops = await faceCrops()
}, 120_000)

const hooks = { checkpoint: () => {}, progress: () => {} }
function openHome(name: string) {
  const home = join(tmp, name)
  return { catalog: Catalog.open(home), files: new FileStore(home) }
}
const run = (name: string, options: Partial<ImportOptions> & { paths: string[] }) => {
  const { catalog, files } = openHome(name)
  return importPhotos(catalog, files, { format: 'auto', estimateAges: false, ...options }, hooks).finally(() => catalog.close())
}

/** A PNG whose header claims width×height pixels: a decompression bomb in a few bytes. */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), body.length + 4)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('importing photos', () => {
  it('finds the face in every CACD-named crop, reads each age from its name and bins it', async () => {
    expect(crops.length).toBeGreaterThanOrEqual(8)
    const ages = crops.map((_, i) => [4, 15, 23, 31, 38, 44, 52, 58, 63, 77, 85, 19][i % 12])
    const names = crops.map((_, i) => `${ages[i]}_Person_${String.fromCharCode(65 + (i % 5))}_${String(i + 1).padStart(4, '0')}.jpg`)
    const folder = writeFolder(join(tmp, 'cacd'), Object.fromEntries(crops.map((c, i) => [names[i], c.bytes])))
    const outcome = await run('cacd-home', { paths: [folder] })
    expect(outcome.format).toBe('cacd')
    expect(outcome.rejected).toEqual([])
    expect(outcome.imported).toBe(crops.length)
    const expected = [0, 0, 0, 0, 0, 0]
    for (const age of ages) expected[ageToBin(age)!]++
    expect(outcome.perBin).toEqual(expected)

    const { catalog, files } = openHome('cacd-home')
    const rows = catalog.images.list({}, 0, 100)
    for (const row of rows) {
      const index = names.findIndex((n) => row.sourcePath.endsWith(n))
      expect(row).toMatchObject({
        age: ages[index],
        bin: ageToBin(ages[index]),
        ageSource: 'filename',
        identity: `Person_${String.fromCharCode(65 + (index % 5))}`,
      })
      expect(row.landmarks).toHaveLength(68)
      expect(row.faceBox!.width).toBeGreaterThan(40)
      // The master crop is 256 px and the training image 64 px, both real PNGs.
      expect(await sharp(files.resolve(row.cropFile!)).metadata()).toMatchObject({ width: 256, height: 256 })
      expect(await sharp(files.resolve(row.trainFile!)).metadata()).toMatchObject({ width: 64, height: 64 })
      // The Library's thumbnail is the face window of that master (what new runs train on), not the whole master.
      const window = await sharp(files.resolve(row.cropFile!))
        .extract(windowRegion(DEFAULT_FRAMING, 256))
        .resize(64, 64, { kernel: 'lanczos3' })
        .raw()
        .toBuffer()
      expect((await sharp(files.resolve(row.thumbFile!)).raw().toBuffer()).equals(window)).toBe(true)
      expect((await sharp(files.resolve(row.trainFile!)).raw().toBuffer()).equals(window)).toBe(false)
    }
    // Splits go by person: nobody is in two of them.
    const splitsOf = new Map<string, Set<string>>()
    for (const row of rows) splitsOf.set(row.identity!, (splitsOf.get(row.identity!) ?? new Set()).add(row.split))
    for (const set of splitsOf.values()) expect(set.size).toBe(1)
    catalog.close()

    const again = await run('cacd-home', { paths: [folder] })
    expect(again).toMatchObject({ imported: 0, duplicates: crops.length, rejected: [] })
  }, 300_000)

  it('lists every bad file with its reason, imports every good one, and a second import adds nothing', async () => {
    const [a, b, c] = crops
    const faceless = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 90, g: 140, b: 200 } } })
      .jpeg()
      .toBuffer()
    const nearCopy = await sharp(b.bytes).resize(170, 170).jpeg({ quality: 70 }).toBuffer()
    const folder = writeFolder(join(tmp, 'mixed'), {
      'good1.jpg': a.bytes,
      'nested/good2.jpg': b.bytes,
      'good3.png': await sharp(c.bytes).png().toBuffer(),
      'copy-of-good1.jpg': a.bytes,
      'resized-good2.jpg': nearCopy,
      'corrupt.jpg': Buffer.from('this is not a JPEG at all, just text'),
      'truncated.jpg': a.bytes.subarray(0, Math.floor(a.bytes.length / 2)),
      'empty.jpg': Buffer.alloc(0),
      'notes.txt': 'some notes',
      'huge.png': pngBomb(60_000, 60_000),
      'sky.jpg': faceless,
      '.DS_Store': 'hidden',
    })
    const outcome = await run('mixed-home', { paths: [folder], format: 'folder' })
    const reasons = Object.fromEntries(outcome.rejected.map((r) => [r.file.slice(folder.length + 1), r.reason]))
    expect(reasons).toEqual({
      'corrupt.jpg': 'not an image (unknown or corrupt format)',
      'truncated.jpg': expect.stringMatching(/^cannot decode/),
      'empty.jpg': 'empty file',
      'notes.txt': 'not an image file (.txt)',
      'huge.png': 'too large: 60000×60000 is 3600 MP; the limit is 100 MP',
      'sky.jpg': 'no face found',
    })
    // The copy of good1 inside this import is a repeat; nothing was in the catalog before.
    expect(outcome).toMatchObject({ format: 'folder', imported: 4, duplicates: 0, repeated: 1, perBin: [0, 0, 0, 0, 0, 0] })

    const { catalog } = openHome('mixed-home')
    const near = catalog.images.list({}, 0, 100).find((r) => r.sourcePath.endsWith('resized-good2.jpg'))!
    const original = catalog.images.list({}, 0, 100).find((r) => r.sourcePath.endsWith('good2.jpg') && r.id !== near.id)!
    expect(near.flags).toContain('near-duplicate')
    expect(near.nearDuplicateOf).toBe(original.id)
    // Files that were read but refused stay in the catalog with their reason (the "rejected" filter).
    expect(catalog.images.stats()).toMatchObject({ total: 9, rejected: 5, unlabelled: 4 })
    // A catalog from before the DCT hash: its old hashes are redone from the files at the next import.
    catalog.images.setHash(near.id, 'ab'.repeat(32))
    catalog.db.prepare("UPDATE images SET phash = ?, source_path = '/nowhere/gone.jpg' WHERE id = ?").run('cd'.repeat(32), original.id)
    catalog.close()

    // Nothing new the second time, and the report still names every bad file.
    const again = await run('mixed-home', { paths: [folder], format: 'folder' })
    expect(again).toMatchObject({ imported: 0, duplicates: 5, repeated: 0 })
    expect(again.rejected.map((r) => [r.file.slice(folder.length + 1), r.reason]).sort()).toEqual(Object.entries(reasons).sort())
    const reopened = openHome('mixed-home').catalog
    const hashes = new Map(reopened.images.hashes().map((h) => [h.id, h.phash]))
    expect(hashes.get(near.id)).toMatch(/^dct1:[0-9a-f]{64}$/)
    expect(hashes.has(original.id)).toBe(false)
    expect([...hashes.values()].every((h) => h.startsWith('dct1:'))).toBe(true)
    reopened.close()
  }, 300_000)

  it('keeps a photo and its resized copy in one split, flagging the copy whatever the file order', async () => {
    const original = crops[1].bytes
    const copy = await sharp(original).resize(170, 170).jpeg({ quality: 70 }).toBuffer()
    // A split plan under which the two photos, drawn on their own, would land apart.
    const seed = Array.from({ length: 200 }, (_, k) => k).find((k) => {
      const plan = { seed: k, val: 0.3, test: 0.3 }
      return splitFor(`photo:${sha256(original)}`, plan) !== splitFor(`photo:${sha256(copy)}`, plan)
    })!
    const verdicts = []
    for (const [order, files] of [
      ['original first', { 'a.jpg': original, 'b.jpg': copy }],
      ['copy first', { 'a.jpg': copy, 'b.jpg': original }],
    ] as const) {
      const folder = writeFolder(join(tmp, `pair-${order}`), files)
      await run(`pair-home-${order}`, { paths: [folder], format: 'folder', splits: { seed, val: 0.3, test: 0.3 } })
      const { catalog } = openHome(`pair-home-${order}`)
      const rows = catalog.images.list({}, 0, 10)
      // Re-split with the same plan (the Library's "Re-split"): the copy follows its original.
      catalog.images.resplit(rows[0].datasetId, (key) => splitFor(key, { seed, val: 0.3, test: 0.3 }))
      expect(new Set(catalog.images.list({}, 0, 10).map((r) => r.split)).size, order).toBe(1)
      catalog.close()
      const [first, second] = rows.map((r) => ({ ...r, isCopy: r.sourcePath.endsWith(order === 'original first' ? 'b.jpg' : 'a.jpg') }))
      expect(first.split, order).toBe(second.split)
      const flagged = [first, second].filter((r) => r.flags.includes('near-duplicate'))
      expect(
        flagged.map((r) => r.isCopy),
        order,
      ).toEqual([true])
      const kept = [first, second].find((r) => !r.isCopy)!
      expect(flagged[0].nearDuplicateOf, order).toBe(kept.id)
      verdicts.push(first.split)
    }
    expect(verdicts[0]).toBe(verdicts[1]) // the split is the photos', not the order's
  }, 120_000)

  it('estimates ages for an unlabelled folder on request, marked as estimates, and flags unparsed names', async () => {
    const folder = writeFolder(join(tmp, 'unlabelled'), {
      'a.jpg': crops[0].bytes,
      'b.jpg': crops[3].bytes,
      '40_Jane_Doe_0001.jpg': crops[4].bytes,
      'IMG_9.jpg': crops[5].bytes,
    })
    const outcome = await run('estimate-home', { paths: [folder], format: 'cacd', estimateAges: true })
    expect(outcome.rejected).toEqual([])
    expect(outcome).toMatchObject({ imported: 4, estimated: 3 })
    expect(outcome.flagged).toBeGreaterThanOrEqual(3)
    const { catalog } = openHome('estimate-home')
    const rows = catalog.images.list({}, 0, 10)
    for (const row of rows) {
      if (row.sourcePath.endsWith('40_Jane_Doe_0001.jpg')) {
        expect(row).toMatchObject({ age: 40, ageSource: 'filename' })
        expect(row.flags).not.toContain('unparsed-name')
      } else {
        expect(row.ageSource).toBe('estimate')
        expect(row.age).toBeGreaterThanOrEqual(10)
        expect(row.age).toBeLessThanOrEqual(80)
        expect(row.flags).toContain('unparsed-name')
      }
    }
    expect(catalog.images.count({ ageSource: 'estimate' })).toBe(3)

    // Sorting: by file name (case-insensitive) and by age, ties on import order.
    expect(catalog.images.list({ sort: 'name' }, 0, 10).map((r) => r.sourcePath.split('/').pop())).toEqual([
      '40_Jane_Doe_0001.jpg',
      'a.jpg',
      'b.jpg',
      'IMG_9.jpg',
    ])
    const byAge = catalog.images.list({ sort: 'age' }, 0, 10).map((r) => r.age!)
    expect(byAge).toEqual([...byAge].sort((a, b) => a - b))
    expect(catalog.images.list({ sort: 'age-desc' }, 0, 10).map((r) => r.age!)).toEqual([...byAge].reverse())
    expect(catalog.images.ids({ sort: 'newest' }, 10)).toEqual(rows.map((r) => r.id).sort((a, b) => b - a))

    // A manual age answers the name parser's doubt and clears only that flag; "reviewed" clears them all.
    const unsure = rows.find((r) => r.sourcePath.endsWith('a.jpg'))!
    catalog.images.update([unsure.id], { age: 35 })
    const relabelled = catalog.images.get(unsure.id)!
    expect(relabelled).toMatchObject({ age: 35, ageSource: 'manual' })
    expect(relabelled.flags).toEqual(unsure.flags.filter((f) => f !== 'unparsed-name'))
    const other = rows.find((r) => r.sourcePath.endsWith('b.jpg'))!
    expect(other.flags.length).toBeGreaterThan(0)
    expect(catalog.images.update([other.id], { reviewed: true })).toBe(1)
    expect(catalog.images.get(other.id)!.flags).toEqual([])
    expect(catalog.images.count({ status: 'flagged' })).toBe(rows.filter((r) => r.flags.length).length - 1 - (relabelled.flags.length ? 0 : 1))
    expect(
      catalog.images
        .list({ sort: 'flagged' }, 0, 10)
        .slice(0, 2)
        .every((r) => r.flags.length > 0),
    ).toBe(true)
    catalog.close()
  }, 300_000)

  it('honours EXIF orientation, and takes labels and identities from a CSV', async () => {
    const upright = await sharp(crops[1].bytes).resize(200, 260, { fit: 'fill' }).jpeg().toBuffer()
    // Stored on its side with orientation 6 ("turn 90° clockwise to view"): viewers show it upright.
    const sideways = await sharp(upright).rotate(270).withMetadata({ orientation: 6 }).jpeg().toBuffer()
    const folder = writeFolder(join(tmp, 'csv'), {
      'photos/side.jpg': sideways,
      'photos/p1.jpg': crops[2].bytes,
      'photos/p2.jpg': crops[6].bytes,
      'labels.csv': 'path,age,gender,identity\nphotos/side.jpg,33,f,ann\nphotos/p1.jpg,61,m,bob\nphotos/p2.jpg,62,m,bob\nphotos/missing.jpg,20\n',
    })
    const outcome = await run('csv-home', { paths: [join(folder, 'labels.csv')] })
    expect(outcome.format).toBe('csv')
    expect(outcome.imported).toBe(3)
    expect(outcome.rejected).toEqual([{ file: join(folder, 'photos/missing.jpg'), reason: 'does not exist (moved or deleted?)' }])
    const { catalog } = openHome('csv-home')
    const rows = catalog.images.list({}, 0, 10)
    expect(rows.find((r) => r.sourcePath.endsWith('side.jpg'))).toMatchObject({
      width: 200,
      height: 260,
      age: 33,
      ageSource: 'label',
      gender: 'female',
      identity: 'ann',
    })
    const bob = rows.filter((r) => r.identity === 'bob')
    expect(bob).toHaveLength(2)
    expect(bob[0].split).toBe(bob[1].split)
    catalog.close()
  }, 300_000)

  it('follows symbolic links (a loop ends), and lists FIFOs, sockets and broken links as refused', async () => {
    const elsewhere = writeFolder(join(tmp, 'elsewhere'), { 'kept.jpg': crops[3].bytes, 'nested/inner.jpg': crops[4].bytes })
    const folder = writeFolder(join(tmp, 'links'), { 'plain.jpg': crops[0].bytes })
    symlinkSync(join(elsewhere, 'kept.jpg'), join(folder, 'linked.jpg'))
    symlinkSync(join(elsewhere, 'nested'), join(folder, 'linked-folder'))
    symlinkSync(folder, join(folder, 'loop')) // a link back up the tree
    symlinkSync(join(tmp, 'gone.jpg'), join(folder, 'broken.jpg'))
    expect(spawnSync('mkfifo', [join(folder, 'pipe.jpg')]).status).toBe(0)
    const socketServer = createServer().listen(join(folder, 'socket.jpg'))
    await new Promise((resolve) => socketServer.once('listening', resolve))
    try {
      const outcome = await run('links-home', { paths: [folder], format: 'folder' })
      expect(outcome.imported).toBe(3) // plain, the linked photo, and the one in the linked folder
      expect(outcome.rejected.sort((a, b) => a.file.localeCompare(b.file))).toEqual([
        { file: join(folder, 'broken.jpg'), reason: 'does not exist (moved or deleted?)' },
        { file: join(folder, 'pipe.jpg'), reason: 'a named pipe, not a regular file' },
        { file: join(folder, 'socket.jpg'), reason: 'a socket, not a regular file' },
      ])
    } finally {
      socketServer.close()
    }
  }, 120_000)

  it('refuses a path that does not exist before touching the catalog', async () => {
    await expect(run('missing-home', { paths: [join(tmp, 'nowhere')] })).rejects.toThrow(/does not exist/)
    const { catalog } = openHome('missing-home')
    expect(catalog.datasets.list()).toEqual([])
    catalog.close()
  })
})

describe('imports through the API', () => {
  it('run in a worker, report progress, and can be cancelled keeping what was done', async () => {
    const { Studio } = await import('../../src/engine/studio')
    const { createHandlers } = await import('../../src/engine/api/handlers')
    const studio = Studio.open(join(tmp, 'api-home'), { mode: 'web' })
    const handlers = createHandlers(studio)
    const folder = writeFolder(join(tmp, 'api'), Object.fromEntries(crops.slice(0, 6).map((c, i) => [`${20 + i}_Api_Person_000${i}.jpg`, c.bytes])))
    const progress: number[] = []
    studio.events.subscribe((event, payload) => event === 'job.progress' && progress.push((payload as { done: number }).done))
    const report = await handlers['library.import']({ paths: [folder], format: 'auto', estimateAges: false, seed: 0, val: 0.1, test: 0.1 })
    expect(report).toMatchObject({ format: 'cacd', imported: 6, rejected: [], perBin: [0, 6, 0, 0, 0, 0] })
    expect(report.jobId).toMatch(/^[0-9a-f-]{36}$/)
    expect(progress.at(-1)).toBe(6)
    await expect(
      handlers['library.import']({ paths: ['/definitely/not/here'], format: 'auto', estimateAges: false, seed: 0, val: 0.1, test: 0.1 }),
    ).rejects.toMatchObject({ code: 'bad_input' })

    // Cancel as soon as the job reports progress: what finished stays, the rest is not imported.
    const more = writeFolder(join(tmp, 'api-more'), Object.fromEntries(crops.slice(6).map((c, i) => [`photo${i}.jpg`, c.bytes])))
    const stop = studio.events.subscribe((event, payload) => {
      if (event === 'job.progress' && (payload as { kind: string }).kind === 'import')
        void handlers['jobs.cancel']({ jobId: (payload as { jobId: string }).jobId })
    })
    await expect(handlers['library.import']({ paths: [more], format: 'folder', estimateAges: false, seed: 0, val: 0.1, test: 0.1 })).rejects.toThrow(
      /cancelled/,
    )
    stop()
    expect(studio.catalog.images.count()).toBeLessThan(6 + crops.length - 6)
    await studio.close()
  }, 300_000)
})
