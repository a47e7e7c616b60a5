/**
 * Photos and folders sent from a browser land in a managed folder under the data directory
 * (<home>/imports/<name>/…, keeping the folder structure they were dropped with), where the
 * importer reads them like any folder and the Library keeps showing their originals.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { StudioError } from '../shared/contract'
import { placeFile, refuseExisting } from './catalog/files'
import type { Uploads } from './uploads'

const MAX_DEPTH = 32
// Separators, control characters, and what Windows or macOS refuse in a name.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\\/\u0000-\u001f\u007f<>:"|?*]/

/** One name: NFC (so NFD and NFC spellings are one file), never '.', '..', empty or a separator. */
function safeName(name: string, what: string): string {
  const clean = name.normalize('NFC').trim()
  if (!clean || clean === '.' || clean === '..' || UNSAFE.test(clean) || Buffer.byteLength(clean) > 255) {
    throw new StudioError('bad_input', `${what} ${JSON.stringify(name.slice(0, 80))} is not a name a file can have here.`)
  }
  return clean
}

/** A relative path as a browser gives it (webkitRelativePath, dropped entries): its safe segments. */
export function safeRelativePath(path: string): string[] {
  const segments = path.split(/[\\/]+/).filter((s) => s !== '')
  if (segments.length === 0 || segments.length > MAX_DEPTH)
    throw new StudioError('bad_input', `The path ${JSON.stringify(path.slice(0, 80))} is empty or too deep.`)
  return segments.map((s) => safeName(s, 'The path part'))
}

/** Moves finished uploads into <home>/imports/<folder>/<path>; an existing file is never replaced. */
export function collectUploads(
  home: string,
  uploads: Uploads,
  folder: string,
  files: { uploadId: string; path: string }[],
): { folder: string; placed: number } {
  const root = join(home, 'imports', safeName(folder, 'The folder name'))
  const targets = files.map((f) => ({ source: uploads.file(f.uploadId).path, target: join(root, ...safeRelativePath(f.path)) }))
  const seen = new Set<string>()
  for (const { target } of targets) {
    if (seen.has(target)) throw new StudioError('bad_input', `Two files would both be ${target}.`)
    seen.add(target)
  }
  // Checked for all before any moves, so a refused collect leaves every upload in place.
  refuseExisting([...seen], false)
  for (const { source, target } of targets) {
    mkdirSync(join(target, '..'), { recursive: true })
    placeFile(source, target, false)
  }
  return { folder: root, placed: targets.length }
}
