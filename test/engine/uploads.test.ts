// Uploads from the browser: bounded in number and in the bytes announced together, abandoned ones
// freed, and part files a restart cannot continue removed when the studio opens.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_OPEN_UPLOADS, MAX_UPLOAD_BYTES, Uploads } from '../../src/engine/uploads'
import { collectUploads } from '../../src/engine/uploadedFolders'
import { tempHome } from '../helpers/serve'

const homes: string[] = []
const fresh = () => {
  const home = tempHome('age-studio-uploads-')
  homes.push(home)
  return home
}
afterEach(() => {
  vi.restoreAllMocks()
  homes.splice(0).forEach((home) => rmSync(home, { recursive: true, force: true }))
})

describe('uploads', () => {
  it('caps uploads in progress and the bytes they announce together', () => {
    const uploads = new Uploads(fresh())
    expect(() => uploads.begin('huge.jpg', MAX_UPLOAD_BYTES + 1)).toThrow(/uploads up to 256 MiB/)
    // Four at the per-file limit fill the 1 GiB that may be announced at once (free disk permitting).
    const big = Array.from({ length: 4 }, (_, i) => uploads.begin(`big${i}.jpg`, MAX_UPLOAD_BYTES))
    expect(() => uploads.begin('one-more.jpg', 1024)).toThrow(/No room for one-more\.jpg.*1024 MiB are announced/)
    // Finishing one frees its share.
    const small = new Uploads(fresh())
    const open = Array.from({ length: MAX_OPEN_UPLOADS }, (_, i) => small.begin(`p${i}.jpg`, 3))
    expect(() => small.begin('ninth.jpg', 3)).toThrow(/8 uploads are already in progress/)
    small.chunk(open[0].uploadId, 0, Buffer.from('abc').toString('base64'))
    small.finish(open[0].uploadId)
    expect(() => small.begin('ninth.jpg', 3)).not.toThrow()
    expect(big).toHaveLength(4)
  })

  it('frees the slot and the part file of an upload abandoned for ten minutes', () => {
    const home = fresh()
    const uploads = new Uploads(home)
    const now = Date.now()
    const open = Array.from({ length: MAX_OPEN_UPLOADS }, (_, i) => uploads.begin(`p${i}.jpg`, 10))
    uploads.chunk(open[0].uploadId, 0, Buffer.from('12345').toString('base64'))
    expect(existsSync(join(home, 'uploads', `${open[0].uploadId}.part`))).toBe(true)
    vi.spyOn(Date, 'now').mockReturnValue(now + 11 * 60 * 1000)
    expect(() => uploads.begin('later.jpg', 10)).not.toThrow()
    expect(existsSync(join(home, 'uploads', `${open[0].uploadId}.part`))).toBe(false)
    expect(() => uploads.chunk(open[0].uploadId, 5, Buffer.from('67890').toString('base64'))).toThrow(/no upload .* in progress/)
  })

  it('removes part files on start, keeps recent finished uploads', () => {
    const home = fresh()
    const first = new Uploads(home)
    const { uploadId } = first.begin('done.jpg', 3)
    first.chunk(uploadId, 0, Buffer.from('abc').toString('base64'))
    first.finish(uploadId)
    writeFileSync(join(home, 'uploads', '00000000-0000-4000-8000-000000000000.part'), 'half')
    new Uploads(home)
    expect(readdirSync(join(home, 'uploads'))).toEqual([uploadId])
  })

  it('collects uploads into a managed folder, keeping the structure and refusing hostile names', () => {
    const home = fresh()
    const uploads = new Uploads(home)
    const send = (name: string, text: string) => {
      const { uploadId } = uploads.begin(name, Buffer.byteLength(text))
      uploads.chunk(uploadId, 0, Buffer.from(text).toString('base64'))
      return uploads.finish(uploadId).uploadId
    }
    const a = send('a.jpg', 'A')
    const b = send('b.jpg', 'B')
    // NFD "Zoë" arrives as NFC; backslashes and doubled separators are separators.
    const placed = collectUploads(home, uploads, 'case 117', [
      { uploadId: a, path: 'CACD/17_Zoe\u0308_Kravitz_0017.jpg' },
      { uploadId: b, path: 'CACD\\\\sub//b.jpg' },
    ])
    expect(placed).toEqual({ folder: join(home, 'imports', 'case 117'), placed: 2 })
    expect(readFileSync(join(placed.folder, 'CACD', '17_Zoë_Kravitz_0017.jpg'), 'utf8')).toBe('A')
    expect(readFileSync(join(placed.folder, 'CACD', 'sub', 'b.jpg'), 'utf8')).toBe('B')
    expect(() => uploads.file(a)).toThrow(/no finished upload/)

    const c = send('c.jpg', 'C')
    const hostile = ['../c.jpg', 'x/../../c.jpg', '.', 'a/./..', 'nul\u0000.jpg', 'q?.jpg', '/'.repeat(3), 'd/'.repeat(40) + 'c.jpg', 'x'.repeat(256)]
    for (const path of hostile) expect(() => collectUploads(home, uploads, 'case 117', [{ uploadId: c, path }]), path).toThrow(/not a name|empty or too deep/)
    for (const folder of ['..', '.', 'a/b', 'a\\b', '']) expect(() => collectUploads(home, uploads, folder, [{ uploadId: c, path: 'c.jpg' }]), folder).toThrow()
    // Never over an existing file; two files to one name are refused before anything moves.
    expect(() => collectUploads(home, uploads, 'case 117', [{ uploadId: c, path: 'CACD/sub/b.jpg' }])).toThrow(/already exists/)
    expect(readFileSync(join(placed.folder, 'CACD', 'sub', 'b.jpg'), 'utf8')).toBe('B')
    const d = send('d.jpg', 'D')
    expect(() =>
      collectUploads(home, uploads, 'new', [
        { uploadId: c, path: 'x.jpg' },
        { uploadId: d, path: 'x.jpg' },
      ]),
    ).toThrow(/Two files/)
    expect(existsSync(join(home, 'imports', 'new'))).toBe(false)
    expect(() => collectUploads(home, uploads, 'new', [{ uploadId: '00000000-0000-4000-8000-000000000000', path: 'x.jpg' }])).toThrow(/no finished upload/)
    expect(readdirSync(join(home, 'imports'))).toEqual(['case 117'])
  })
})
