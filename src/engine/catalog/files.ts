/**
 * Content-addressed files beside the catalog (files/ab/abcd….png). A file is written to a
 * temporary name and renamed, so a half-written file never replaces a good one.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { dataUrl } from '../images/encode'

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Writes bytes atomically: temporary file in the same folder, then rename. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temporary, bytes)
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

export class FileStore {
  constructor(readonly root: string) {}

  /** Stores bytes under their hash; returns the path relative to the store root. */
  async put(bytes: Uint8Array, extension: string): Promise<string> {
    const hash = sha256(bytes)
    const relative = join('files', hash.slice(0, 2), `${hash}.${extension}`)
    const absolute = this.resolve(relative)
    if (!existsSync(absolute)) await writeFileAtomic(absolute, bytes)
    return relative
  }

  resolve(relative: string): string {
    return join(this.root, relative)
  }

  read(relative: string): Promise<Buffer> {
    return readFile(this.resolve(relative))
  }

  async dataUrl(relative: string | null, mime = 'image/png'): Promise<string> {
    if (!relative) return ''
    return dataUrl(await this.read(relative), mime)
  }
}
