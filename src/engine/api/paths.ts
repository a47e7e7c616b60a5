/** Paths that calls carry: files and folders on the machine the studio runs on. */
import { isAbsolute, resolve } from 'node:path'
import { StudioError } from '../../shared/contract'
import type { Studio } from '../studio'

/**
 * The CLI resolves a relative path against the user's own working directory before calling. From
 * a browser or the desktop window it would resolve against the server's, which the user cannot
 * see, so there only absolute paths are taken.
 */
export function studioPath(studio: Studio, path: string, what: string): string {
  if (studio.mode !== 'cli' && !isAbsolute(path)) {
    throw new StudioError('bad_input', `${what} must be an absolute path on the studio's machine (got ${JSON.stringify(path.slice(0, 200))}).`)
  }
  return resolve(path)
}
