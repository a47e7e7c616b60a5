/**
 * The inputs a batch refused (not an image, unreadable, no face…): an investigator's case file
 * accounts for every input, so each is listed in every output of the job with its path, its
 * SHA-256 when the file can be read, and the reason.
 */
import { sha256 } from '../catalog/files'
import { readRegularFile } from '../inputFiles'
import { MAX_PHOTO_BYTES } from './agePhoto'
import type { SheetRow } from './contactSheet'

export interface RefusedInput {
  input: string
  /** null when the file itself cannot be read (gone, a folder, a FIFO, too large). */
  inputSha256: string | null
  reason: string
}

/** In path order, as the inputs were listed (a folder's refusals come at listing time, a photo's while ageing). */
export function refusedInputs(failed: { path: string; reason: string }[]): RefusedInput[] {
  return [...failed]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(({ path, reason }) => {
      let hash: string | null = null
      try {
        hash = sha256(readRegularFile(path, MAX_PHOTO_BYTES))
      } catch {
        // unreadable: the reason says why
      }
      return { input: path, inputSha256: hash, reason }
    })
}

/** A contact-sheet row for each refused input: no pictures, the reason under its hash. */
export const refusedRows = (refused: RefusedInput[]): SheetRow[] =>
  refused.map((r) => ({
    title: r.input,
    sha256: r.inputSha256 ?? 'not readable',
    cells: [],
    note: `Refused, no outputs: ${r.reason}`,
  }))
