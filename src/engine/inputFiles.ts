/**
 * Reading a file a user pointed at (a photo, a bundle, a label CSV): only regular files, of a
 * bounded size. The type and size are checked on the opened handle, not the path, and the open
 * does not block, so a FIFO cannot hang a reader, /dev/zero cannot fill the memory and a file
 * swapped after a check is still the one checked.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'
import { BadInput } from './errors'

/**
 * Why a file is not read: `message` in a few words for a list of refused files ("a named pipe,
 * not a regular file"), `sentence` naming the file for an error on its own.
 */
export class InputFileError extends BadInput {
  readonly sentence: string

  constructor(path: string, reason: string, sentence = `${path} is ${reason}.`) {
    super(reason)
    this.sentence = sentence
  }
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK
/** For files inside a folder someone else made (a run kit): the name itself must not be a link. */
const NO_FOLLOW = FLAGS | constants.O_NOFOLLOW

/**
 * `linked: false` (kits): the name must not be a symlink and the file must have no second name
 * (a hardlink to a file outside the kit is as good as a symlink to it).
 */
export interface ReadRules {
  linked?: boolean
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder'
  if (stat.isFIFO()) return 'a named pipe'
  if (stat.isSocket()) return 'a socket'
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`

function check(path: string, stat: Stats, maxBytes: number, rules: ReadRules): void {
  if (!stat.isFile()) throw new InputFileError(path, `${kindOf(stat)}, not a regular file`)
  if (rules.linked === false && stat.nlink > 1) throw new InputFileError(path, `a hardlink (${stat.nlink} names), not a file of its own`)
  if (stat.size > maxBytes) throw new InputFileError(path, `too large (${mib(stat.size)}; the limit is ${mib(maxBytes)})`)
}

function cannotRead(path: string, error: unknown): InputFileError {
  // O_NOFOLLOW on a symlink fails with ELOOP: say it is a link.
  if ((error as NodeJS.ErrnoException).code === 'ELOOP') return new InputFileError(path, 'a symlink, not a regular file')
  // A socket cannot even be opened (ENXIO): say what it is rather than the errno.
  try {
    const stat = statSync(path)
    if (!stat.isFile()) return new InputFileError(path, `${kindOf(stat)}, not a regular file`)
  } catch {
    // missing or unreadable: the errno below says which
  }
  const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message
  if (why === 'ENOENT') return new InputFileError(path, 'does not exist (moved or deleted?)', `${path} does not exist.`)
  return new InputFileError(path, `cannot read (${why})`, `Cannot read ${path} (${why}).`)
}

/** Opens a regular file of at most maxBytes for reading; the caller closes the descriptor. */
export function openRegularFile(path: string, maxBytes: number, rules: ReadRules = {}): { fd: number; size: number } {
  let fd: number
  try {
    fd = openSync(path, rules.linked === false ? NO_FOLLOW : FLAGS)
  } catch (error) {
    throw cannotRead(path, error)
  }
  try {
    const stat = fstatSync(fd)
    check(path, stat, maxBytes, rules)
    return { fd, size: stat.size }
  } catch (error) {
    closeSync(fd)
    throw error
  }
}

/** The bytes of a regular file of at most maxBytes. */
export function readRegularFile(path: string, maxBytes: number, rules: ReadRules = {}): Buffer {
  const { fd, size } = openRegularFile(path, maxBytes, rules)
  try {
    const bytes = Buffer.alloc(size)
    let filled = 0
    while (filled < size) {
      const read = readSync(fd, bytes, filled, size - filled, filled)
      if (read === 0) break // shrank while we read: keep what is there
      filled += read
    }
    return bytes.subarray(0, filled)
  } catch (error) {
    throw error instanceof InputFileError ? error : cannotRead(path, error)
  } finally {
    closeSync(fd)
  }
}

/** The same, without blocking the event loop (imports read thousands of files). */
export async function readRegularFileAsync(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, FLAGS).catch((error: unknown) => {
    throw cannotRead(path, error)
  })
  try {
    check(path, await handle.stat(), maxBytes, {})
    return await handle.readFile()
  } catch (error) {
    throw error instanceof InputFileError ? error : cannotRead(path, error)
  } finally {
    await handle.close()
  }
}
