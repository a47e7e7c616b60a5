/**
 * The folders a run owns, and the one way to remove or write into them. A run owns `runs/RUN_ID/`
 * and, when it is an imported bundle, its `models/<hash>` folder; a checkpoint row's `dir` is only
 * ever trusted after it resolves, with symlinks followed, inside one of those. A catalog row that
 * points anywhere else (an old hostile kit import, a hand-edited database) is left alone: removing
 * too little costs disk space, removing too much costs a user's faces.
 */
import { lstatSync, mkdirSync, realpathSync, rmSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { AgeError } from './errors'

/** A run folder that resolves outside the data folder, or through a link: nothing is written there. */
export class RunFolderError extends AgeError {}

const RUN_ID = /^run-[A-Za-z0-9-]{1,80}$/

const inside = (root: string, path: string) => {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** `path` resolved with every symlink above it followed (the last component itself is not followed), or null when its parent is missing. */
function resolvedParent(path: string): string | null {
  try {
    return join(realpathSync(dirname(path)), relative(dirname(path), path))
  } catch {
    return null
  }
}

/** The roots a run may remove under: its own run folder, and an imported bundle's model folder. */
function ownedRoots(home: string, runId: string, origin: string | null): string[] {
  const roots = RUN_ID.test(runId) ? [join(home, 'runs', runId)] : []
  const bundle = /^bundle:([0-9a-f]{64})$/.exec(origin ?? '')
  if (bundle) roots.push(join(home, 'models', bundle[1]))
  return roots
}

/**
 * Removes `dir` (relative to the home) when it is, or lies inside, a folder the run owns, checked
 * on the resolved path; a symlink there loses only the link. Returns whether anything was removed.
 */
export function removeOwned(home: string, runId: string, origin: string | null, dir: string): boolean {
  const realHome = realpathSync(home)
  const target = resolve(realHome, dir)
  const resolved = resolvedParent(target)
  if (!resolved || !existsSyncNoFollow(resolved)) return false
  const roots = ownedRoots(realHome, runId, origin)
  // Lexically and resolved: `runs/RUN_ID/../other` and a `runs/RUN_ID` that links elsewhere both fail.
  if (!roots.some((root) => inside(root, target) && inside(root, resolved))) return false
  rmSync(resolved, { recursive: true, force: true })
  return true
}

function existsSyncNoFollow(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

/**
 * The run's folder for writing (`runs/RUN_ID`, created when missing), refused when it or any of its
 * existing sub-folders on the way to `below` is a link or resolves outside the data folder: a
 * trainer then writes checkpoints where the catalog says they are, and nowhere else.
 */
export function writableRunFolder(home: string, runId: string, ...below: string[]): string {
  if (!RUN_ID.test(runId)) throw new RunFolderError(`${runId} is not a run id.`)
  const realHome = realpathSync(home)
  let path = realHome
  for (const part of ['runs', runId, ...below]) {
    path = join(path, part)
    if (!existsSyncNoFollow(path)) continue
    const stat = lstatSync(path)
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw new RunFolderError(
        `${path} is ${stat.isSymbolicLink() ? 'a link' : 'not a folder'}; a run writes only into its own folder inside the data folder. Remove it, then resume.`,
      )
    }
  }
  const folder = join(realHome, 'runs', runId, ...below)
  if (!inside(join(realHome, 'runs'), folder)) throw new RunFolderError(`${folder} is outside the data folder's runs.`)
  mkdirSync(folder, { recursive: true })
  return folder
}

/** A checkpoint folder a run resumes from: inside the data folder once resolved, or refused. */
export function checkpointToRead(home: string, dir: string): string {
  const realHome = realpathSync(home)
  const target = resolve(realHome, dir)
  let real: string
  try {
    real = realpathSync(target)
  } catch {
    return target // missing: the loader's own error names it
  }
  if (!inside(realHome, real)) {
    throw new RunFolderError(`Checkpoint folder ${dir} resolves outside the data folder (${real}); it is not read.`)
  }
  return real
}
