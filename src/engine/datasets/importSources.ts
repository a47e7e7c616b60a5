/**
 * What an import will read: the files under the given paths (folders recursively, hidden files
 * skipped, symbolic links followed with a loop guard), with the label each name or CSV row
 * gives, in a stable order. Every other entry (a FIFO, a socket, a broken link) is listed too, so
 * the reader refuses it with its reason instead of it vanishing from the report.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs'
import { basename, extname, join, resolve } from 'node:path'
import { InputFileError, readRegularFile } from '../inputFiles'
import { parseLabelCsv } from './csvLabels'
import { detectNameFormat, parseName, type ImportFormat, type ParsedName } from './labels'
import { BadInput } from '../errors'

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.bmp'])
/** More files than this in one import is a wrong folder (a whole disk), not a dataset. */
export const MAX_IMPORT_FILES = 2_000_000

export class ImportError extends BadInput {}

export interface ImportSource {
  path: string
  /** null for plain folders: no label expected, none flagged. */
  parsed: ParsedName | null
  /** Why the file is not even tried (e.g. not an image), else null. */
  skip: string | null
}

/** CSV label files are text; one this large is a wrong file. */
const MAX_CSV_BYTES = 256 * 1024 ** 2

const isFolder = (path: string) => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false // a broken link: listed, and the reader says why it is refused
  }
}

/** `seen` holds the real path of every folder walked, so a link back up the tree ends the walk there. */
function walk(folder: string, out: string[], seen: Set<string>): void {
  const real = realpathSync(folder)
  if (seen.has(real)) return
  seen.add(real)
  const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const path = join(folder, entry.name)
    if (entry.isDirectory() || (entry.isSymbolicLink() && isFolder(path))) walk(path, out, seen)
    else out.push(path)
    if (out.length > MAX_IMPORT_FILES) throw new ImportError(`More than ${MAX_IMPORT_FILES} files under ${folder}: pick the dataset's own folder.`)
  }
}

/** Every file under the given paths (folders walked in name order). */
export function listFiles(paths: string[]): string[] {
  const files: string[] = []
  const seen = new Set<string>()
  for (const given of paths) {
    const path = resolve(given)
    let stat
    try {
      stat = statSync(path)
    } catch {
      throw new ImportError(`${given} does not exist.`)
    }
    if (stat.isDirectory()) walk(path, files, seen)
    else files.push(path)
  }
  return files
}

const isCsv = (path: string) => extname(path).toLowerCase() === '.csv'

/** Resolves the format (auto-detected from names or a CSV) and lists every file to import. */
export function collectSources(paths: string[], format: ImportFormat): { format: Exclude<ImportFormat, 'auto'>; sources: ImportSource[] } {
  if (paths.length === 0) throw new ImportError('Nothing to import: give at least one folder, photo or CSV file.')
  const files = listFiles(paths)
  const csvFiles = files.filter(isCsv)
  const resolved = format === 'auto' ? (csvFiles.length > 0 ? 'csv' : detectNameFormat(files.filter((f) => !isCsv(f)).map((f) => basename(f)))) : format
  const sources: ImportSource[] = []
  if (resolved === 'csv') {
    if (csvFiles.length === 0) throw new ImportError('Format csv needs a CSV file (path,age[,gender][,identity]) among the paths.')
    for (const csv of csvFiles) {
      let text: string
      try {
        text = readRegularFile(csv, MAX_CSV_BYTES).toString('utf8')
      } catch (error) {
        throw error instanceof InputFileError ? new ImportError(error.sentence) : error
      }
      try {
        for (const entry of parseLabelCsv(text, csv)) sources.push({ ...entry, skip: null })
      } catch (error) {
        throw new ImportError((error as Error).message)
      }
    }
    return { format: 'csv', sources }
  }
  for (const path of files) {
    const image = IMAGE_EXTENSIONS.has(extname(path).toLowerCase())
    sources.push({
      path,
      parsed: resolved === 'folder' || !image ? null : parseName(resolved, basename(path)),
      skip: image ? null : `not an image file (${extname(path) || 'no extension'})`,
    })
  }
  return { format: resolved, sources }
}
