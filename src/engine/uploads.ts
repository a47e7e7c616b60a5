/**
 * Photos and bundles sent from the UI, in chunks: the contract carries JSON, and a web-mode
 * message is capped at 1 MiB, so a file arrives as base64 pieces appended in order. A finished
 * upload is a file under the data directory that editor.open and models.import read by id.
 */
import { randomUUID } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { StudioError } from '../shared/contract'
import { sha256 } from './catalog/files'

export const MAX_UPLOAD_BYTES = 256 * 1024 ** 2
/** Uploads in progress at once, and the bytes they may announce together (at most half the free disk). */
export const MAX_OPEN_UPLOADS = 8
const MAX_OPEN_BYTES = 1024 ** 3
/** Finished uploads older than this are removed when the studio opens. */
const STALE_MS = 24 * 3600 * 1000
/** An upload that received nothing for this long is abandoned: its slot and part file are freed. */
const IDLE_MS = 10 * 60 * 1000

interface Upload {
  name: string
  size: number
  received: number
  touched: number
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`

export class Uploads {
  private readonly open = new Map<string, Upload>()
  private readonly names = new Map<string, string>()
  private readonly dir: string

  constructor(home: string) {
    this.dir = join(home, 'uploads')
    mkdirSync(this.dir, { recursive: true })
    // A part file cannot be continued after a restart (the offsets lived in memory): all go.
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name)
      if (name.endsWith('.part') || Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true })
    }
  }

  /** Room for one more upload of `size` bytes, after dropping the abandoned ones. */
  private admit(name: string, size: number): void {
    for (const [id, upload] of this.open) if (Date.now() - upload.touched > IDLE_MS) this.drop(id)
    if (size > MAX_UPLOAD_BYTES) throw new StudioError('bad_input', `${name} is ${mib(size)}; uploads up to ${mib(MAX_UPLOAD_BYTES)} are accepted.`)
    if (this.open.size >= MAX_OPEN_UPLOADS) {
      throw new StudioError('bad_input', `${MAX_OPEN_UPLOADS} uploads are already in progress; wait for one to finish.`)
    }
    const announced = [...this.open.values()].reduce((sum, u) => sum + u.size, 0)
    const { bavail, bsize } = statfsSync(this.dir)
    const limit = Math.min(MAX_OPEN_BYTES, (bavail * bsize) / 2)
    if (announced + size > limit) {
      throw new StudioError(
        'bad_input',
        `No room for ${name} (${mib(size)}): uploads in progress may hold ${mib(limit)} together (the lesser of ${mib(MAX_OPEN_BYTES)} and half the free disk), and ${mib(announced)} are announced.`,
      )
    }
  }

  private drop(uploadId: string): void {
    this.open.delete(uploadId)
    rmSync(join(this.dir, `${uploadId}.part`), { force: true })
  }

  begin(name: string, size: number): { uploadId: string } {
    this.admit(name, size)
    const uploadId = randomUUID()
    this.open.set(uploadId, { name, size, received: 0, touched: Date.now() })
    return { uploadId }
  }

  chunk(uploadId: string, offset: number, data: string): { received: number } {
    const upload = this.open.get(uploadId)
    if (!upload) throw new StudioError('not_found', `There is no upload ${uploadId} in progress.`)
    if (offset !== upload.received) throw new StudioError('bad_input', `Upload ${uploadId} expected offset ${upload.received}, got ${offset}.`)
    const bytes = Buffer.from(data, 'base64')
    if (upload.received + bytes.length > upload.size)
      throw new StudioError('bad_input', `Upload ${uploadId} is longer than the ${upload.size} bytes announced.`)
    appendFileSync(join(this.dir, `${uploadId}.part`), bytes)
    upload.received += bytes.length
    upload.touched = Date.now()
    return { received: upload.received }
  }

  finish(uploadId: string): { uploadId: string; name: string; size: number; sha256: string } {
    const upload = this.open.get(uploadId)
    if (!upload) throw new StudioError('not_found', `There is no upload ${uploadId} in progress.`)
    if (upload.received !== upload.size) throw new StudioError('bad_input', `Upload ${uploadId} has ${upload.received} of ${upload.size} bytes.`)
    this.open.delete(uploadId)
    this.names.set(uploadId, upload.name)
    const part = join(this.dir, `${uploadId}.part`)
    if (upload.size === 0) appendFileSync(part, Buffer.alloc(0))
    renameSync(part, join(this.dir, uploadId))
    return { uploadId, name: upload.name, size: upload.size, sha256: sha256(readFileSync(join(this.dir, uploadId))) }
  }

  /** The finished upload's file and the name it was sent under. */
  file(uploadId: string): { path: string; name: string } {
    const path = join(this.dir, uploadId)
    if (!/^[0-9a-f-]{36}$/.test(uploadId) || !existsSync(path)) throw new StudioError('not_found', `There is no finished upload ${uploadId}.`)
    return { path, name: this.names.get(uploadId) ?? 'upload' }
  }
}
