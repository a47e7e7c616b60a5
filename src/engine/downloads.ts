/**
 * What web mode can download: a run's metrics as CSV, an editor export, an evaluation's contact
 * sheet of exports, and a batch's output folder, file by file or as one zip. Only the files a batch's output folder holds (regular files,
 * not links, found by walking it) and the files the catalog records as editor exports (unchanged
 * since) are reachable, so a crafted address cannot reach anything else on the machine.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative, sep } from 'node:path'
import { sha256 } from './catalog/files'
import type { OutputFile } from '../shared/aging'
import { StudioError } from '../shared/contract'
import { metricsCsv } from './training/metricsCsv'
import type { Studio } from './studio'

export type Download =
  | { kind: 'file'; path: string; name: string }
  | { kind: 'zip'; dir: string; files: OutputFile[]; name: string }
  | { kind: 'text'; name: string; type: string; chunks: () => Iterable<string> }

/** Every regular file under the folder; links are not followed (nothing outside it is offered). */
export function outputFiles(dir: string, limit = 100_000): OutputFile[] {
  const found: OutputFile[] = []
  const walk = (folder: string) => {
    let entries: string[]
    try {
      entries = readdirSync(folder).sort()
    } catch {
      return
    }
    // A folder's own files before its subfolders: the sheets and manifests come first.
    const subfolders: string[] = []
    for (const entry of entries) {
      if (found.length >= limit) return
      const path = join(folder, entry)
      const stat = lstatSync(path, { throwIfNoEntry: false })
      if (stat?.isDirectory()) subfolders.push(path)
      else if (stat?.isFile() && !entry.endsWith('.tmp')) found.push({ path: relative(dir, path).split(sep).join('/'), bytes: stat.size })
    }
    subfolders.forEach(walk)
  }
  walk(dir)
  return found
}

/**
 * One file of the folder by its relative path, on the same terms as outputFiles (a regular file
 * reached through real folders: no links, no `..`), without walking the whole folder.
 */
export function outputFile(dir: string, path: string): OutputFile | undefined {
  const parts = path.split('/')
  if (parts.some((part) => part === '' || part === '.' || part === '..' || part.includes('\0'))) return undefined
  let at = dir
  for (const folder of parts.slice(0, -1)) {
    at = join(at, folder)
    if (!lstatSync(at, { throwIfNoEntry: false })?.isDirectory()) return undefined
  }
  const stat = lstatSync(join(at, parts[parts.length - 1]), { throwIfNoEntry: false })
  return stat?.isFile() && !path.endsWith('.tmp') ? { path, bytes: stat.size } : undefined
}

/** The output folder of a batch job, or a not_found error. */
export function batchOutDir(studio: Studio, jobId: string): string {
  const outDir = studio.catalog.agingJobs.batchOutDir(jobId)
  if (!outDir) throw new StudioError('not_found', `There is no batch ${jobId}.`)
  return outDir
}

const RUN_CSV = /^\/download\/runs\/(run-[\w-]{1,60})\/metrics\.csv$/
const BATCH_ZIP = /^\/download\/batch\/([0-9a-f-]{36})\/all\.zip$/
const BATCH_FILE = /^\/download\/batch\/([0-9a-f-]{36})\/files\/(.+)$/
const EXPORT = /^\/download\/exports\/([0-9a-f-]{36})$/
const EVALUATION_SHEET = /^\/download\/evaluations\/(\d{1,15})\/(contact-sheet-\d{2}\.png|contact-sheet\.pdf)$/

/** A page of an evaluation's contact sheet of exports: from the folder this catalog's own evaluation wrote. */
function evaluationSheet(studio: Studio, id: number, name: string): Download {
  const evaluation = studio.catalog.evaluations.get(id)
  const sheet = evaluation && !evaluation.imported ? evaluation.metrics.exports?.sheet : null
  if (!evaluation || !sheet) throw new StudioError('not_found', `Evaluation ${id} has no contact sheet of exports here.`)
  const dir = join(studio.home, ...dirname(sheet).split('/'))
  if (!outputFile(dir, name)) throw new StudioError('not_found', `Evaluation ${id}'s contact sheet has no ${name}.`)
  return { kind: 'file', path: join(dir, name), name: `evaluation-${id}-${name}` }
}

/** The photo an editor export wrote, while it is still the file it wrote (a regular file, same bytes). */
function exportedPhoto(studio: Studio, jobId: string): Download {
  const recorded = studio.catalog.agingJobs.exportedFile(jobId)
  if (!recorded) throw new StudioError('not_found', `There is no export ${jobId}.`)
  const missing = () => new StudioError('not_found', `The export ${basename(recorded.file)} is no longer where it was written, as written.`)
  if (!lstatSync(recorded.file, { throwIfNoEntry: false })?.isFile()) throw missing()
  if (sha256(readFileSync(recorded.file)) !== recorded.sha256) throw missing()
  return { kind: 'file', path: recorded.file, name: basename(recorded.file) }
}

/** Resolves a download address: a URL's pathname, still percent-encoded (a file's path is decoded here). */
export function findDownload(studio: Studio, pathname: string): Download {
  let match = RUN_CSV.exec(pathname)
  if (match) {
    const runId = match[1]
    if (!studio.catalog.runs.get(runId)) throw new StudioError('not_found', `There is no run ${runId}.`)
    return { kind: 'text', name: `${runId}-metrics.csv`, type: 'text/csv; charset=utf-8', chunks: () => metricsCsv(studio.catalog.runs, runId) }
  }
  match = EXPORT.exec(pathname)
  if (match) return exportedPhoto(studio, match[1])
  match = EVALUATION_SHEET.exec(pathname)
  if (match) return evaluationSheet(studio, Number(match[1]), match[2])
  match = BATCH_ZIP.exec(pathname)
  if (match) {
    const dir = batchOutDir(studio, match[1])
    return { kind: 'zip', dir, files: outputFiles(dir), name: `batch-${match[1].slice(0, 8)}.zip` }
  }
  match = BATCH_FILE.exec(pathname)
  if (match) {
    const dir = batchOutDir(studio, match[1])
    let wanted = ''
    try {
      wanted = decodeURIComponent(match[2])
    } catch {
      throw new StudioError('not_found', 'No such download.')
    }
    const file = outputFile(dir, wanted)
    if (!file) throw new StudioError('not_found', `Batch ${match[1]} has no file ${JSON.stringify(wanted.slice(0, 200))}.`)
    return { kind: 'file', path: join(dir, ...file.path.split('/')), name: file.path.split('/').pop()! }
  }
  throw new StudioError('not_found', 'No such download.')
}
