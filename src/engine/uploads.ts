/**
 * Photos and bundles sent from the UI, in chunks: the contract carries JSON, and a web-mode
 * message is capped at 1 MiB, so a file arrives as base64 pieces appended in order. A finished
 * upload is a file under the data directory that editor.open and models.import read by id.
 */
import { randomUUID } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { StudioError } from '../shared/contract'
import { sha256 } from './catalog/files'

export const MAX_UPLOAD_BYTES = 256 * 1024 ** 2
/** Uploads older than this are removed when the studio opens. */
const STALE_MS = 24 * 3600 * 1000

interface Upload {
  name: string
  size: number
  received: number
}

export class Uploads {
  private readonly open = new Map<string, Upload>()
  private readonly names = new Map<string, string>()
  private readonly dir: string

  constructor(home: string) {
    this.dir = join(home, 'uploads')
    mkdirSync(this.dir, { recursive: true })
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name)
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true })
    }
  }

  begin(name: string, size: number): { uploadId: string } {
    if (size > MAX_UPLOAD_BYTES) throw new StudioError('bad_input', `${name} is ${(size / 1024 ** 2).toFixed(0)} MiB; uploads up to 256 MiB are accepted.`)
    const uploadId = randomUUID()
    this.open.set(uploadId, { name, size, received: 0 })
    return { uploadId }
  }

  chunk(uploadId: string, offset: number, data: string): { received: number } {
    const upload = this.open.get(uploadId)
    if (!upload) throw new StudioError('not_found', `There is no upload ${uploadId} in progress.`)
    if (offset !== upload.received) throw new StudioError('bad_input', `Upload ${uploadId} expected offset ${upload.received}, got ${offset}.`)
    const bytes = Buffer.from(data, 'base64')
    if (upload.received + bytes.length > upload.size) throw new StudioError('bad_input', `Upload ${uploadId} is longer than the ${upload.size} bytes announced.`)
    appendFileSync(join(this.dir, `${uploadId}.part`), bytes)
    upload.received += bytes.length
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
