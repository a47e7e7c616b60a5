/**
 * What an import will read: the files under the given paths (folders recursively, hidden files
 * and symlinked folders skipped), with the label each name or CSV row gives, in a stable order.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, extname, join, resolve } from 'node:path'
import { parseLabelCsv } from './csvLabels'
import { detectNameFormat, parseName, type ImportFormat, type NameFormat, type ParsedName } from './labels'

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.bmp'])
/** More files than this in one import is a wrong folder (a whole disk), not a dataset. */
export const MAX_IMPORT_FILES = 2_000_000

export class ImportError extends Error {
  override name = 'ImportError'
}

export interface ImportSource {
  path: string
  /** null for plain folders: no label expected, none flagged. */
  parsed: ParsedName | null
  /** Why the file is not even tried (e.g. not an image), else null. */
  skip: string | null
}

function walk(folder: string, out: string[]): void {
  const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const path = join(folder, entry.name)
    if (entry.isDirectory()) walk(path, out)
    else if (entry.isFile()) out.push(path)
    if (out.length > MAX_IMPORT_FILES) throw new ImportError(`More than ${MAX_IMPORT_FILES} files under ${folder}: pick the dataset's own folder.`)
  }
}

/** Every file under the given paths (folders walked in name order). */
export function listFiles(paths: string[]): string[] {
  const files: string[] = []
  for (const given of paths) {
    const path = resolve(given)
    let stat
    try {
      stat = statSync(path)
    } catch {
      throw new ImportError(`${given} does not exist.`)
    }
    if (stat.isDirectory()) walk(path, files)
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
        text = readFileSync(csv, 'utf8')
      } catch (error) {
        throw new ImportError(`Cannot read ${csv}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`)
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
      parsed: resolved === 'folder' || !image ? null : parseName(resolved as NameFormat, basename(path)),
      skip: image ? null : `not an image file (${extname(path) || 'no extension'})`,
    })
  }
  return { format: resolved, sources }
}
