// Uploads from the browser: bounded in number and in the bytes announced together, abandoned ones
// freed, and part files a restart cannot continue removed when the studio opens.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_OPEN_UPLOADS, MAX_UPLOAD_BYTES, Uploads } from '../../src/engine/uploads'
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
})
