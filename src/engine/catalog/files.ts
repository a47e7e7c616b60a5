/**
 * Content-addressed files beside the catalog (files/ab/abcd….png). A file is written to a
 * temporary name and renamed, so a half-written file never replaces a good one.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { dataUrl } from '../images/encode'
import { OutputExistsError } from '../errors'

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Moves a finished temporary file to its name. Without `overwrite` a hard link places it, which
 * fails if the name exists: no check-then-write race can replace a user's file.
 */
export function placeFile(temporary: string, path: string, overwrite: boolean): void {
  if (overwrite) return renameSync(temporary, path)
  try {
    linkSync(temporary, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new OutputExistsError(path)
    throw error
  } finally {
    rmSync(temporary, { force: true })
  }
}

/** Refuses before any work is done when one of these outputs is already there. */
export function refuseExisting(paths: string[], overwrite: boolean): void {
  if (overwrite) return
  const taken = paths.find((path) => existsSync(path))
  if (taken) throw new OutputExistsError(taken)
}

/**
 * Writes bytes atomically: temporary file in the same folder, then into place. `overwrite: false`
 * for files a user names or owns (exports, outputs); the catalog's own files are replaced freely.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array | string | Iterable<string>,
  { overwrite = true, createFolder = true } = {},
): Promise<void> {
  // A file the user names goes into a folder that exists: a typo is refused, not created.
  if (createFolder) mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temporary, bytes)
    placeFile(temporary, path, overwrite)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/**
 * A file of the store (`files/ab/<sha256>.<ext>`, or an older catalog's `files/<name>.<ext>`), never
 * a folder or a path that climbs out: the only kind a delete may remove.
 */
export const isStoredFile = (relative: string) => /^files\/(?:[0-9a-f]{2}\/)?[\w-][\w.-]*\.[a-z0-9]{1,8}$/.test(relative.split('\\').join('/'))

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
