/**
 * Unpacking a model bundle: only the entries a bundle has, each within its size, refused before it
 * is written or even decompressed.
 */
import { createReadStream } from 'node:fs'
import * as tar from 'tar'
import { InputFileError, openRegularFile } from '../inputFiles'
import { HISTORY_ENTRY, isSampleEntry, MAX_SAMPLE_BYTES, SAMPLES_FOLDER } from './bundleHistory'
import { ModelError, NETWORKS } from './model'

/**
 * A 64 px paper G + E is about 270 MB unpacked, a 128 px one about 810 MB (G's dense layer alone
 * is 2048 × 65536 floats); anything past these limits is not one of ours.
 */
const MAX_BUNDLE_BYTES = 1024 ** 3
const MAX_ENTRY_BYTES = 1024 ** 3
const MAX_UNPACKED_BYTES = 1.5 * 1024 ** 3
const ENTRIES = new Set(['bundle.json', HISTORY_ENTRY, `${SAMPLES_FOLDER}/`, ...NETWORKS.flatMap((n) => [`${n}/`, `${n}/model.json`, `${n}/weights.bin`])])
const MAX_HISTORY_BYTES = 16 * 1024 ** 2
const gib = (bytes: number) => `${+(bytes / 1024 ** 3).toFixed(1)} GiB`

/** Why a tar entry cannot be part of a bundle, or null when it can. */
function entryRefusal(name: string, type: string, size: number, unpacked: number): string | null {
  if (isSampleEntry(name) && size > MAX_SAMPLE_BYTES) return `${name} is over the ${MAX_SAMPLE_BYTES / 1024 ** 2} MiB a sample grid may have`
  if (name === HISTORY_ENTRY && size > MAX_HISTORY_BYTES) return `${name} is over the ${MAX_HISTORY_BYTES / 1024 ** 2} MiB a history may have`
  if (!ENTRIES.has(name) && !isSampleEntry(name)) return `holds ${JSON.stringify(name.slice(0, 120))}, which a model bundle never has`
  if (type !== 'File' && type !== 'Directory') return `holds ${name} as a ${type}; a model bundle holds only files and folders`
  if (size > MAX_ENTRY_BYTES) return `${name} is over the ${gib(MAX_ENTRY_BYTES)} limit (${gib(size)})`
  if (unpacked + size > MAX_UNPACKED_BYTES) return `unpacks to more than ${gib(MAX_UNPACKED_BYTES)}`
  return null
}

/**
 * Streams the bundle into `staging`, stopping at the first entry it refuses, before that entry is
 * written or even decompressed: a gzip bomb costs a header, not its payload. `./` prefixes (what
 * `tar -C dir -czf b.tgz .` writes) are accepted.
 */
export async function extractBundle(file: string, staging: string): Promise<void> {
  let opened: { fd: number; size: number }
  try {
    opened = openRegularFile(file, MAX_BUNDLE_BYTES)
  } catch (error) {
    throw error instanceof InputFileError ? new ModelError(error.sentence) : error
  }
  const source = createReadStream('', { fd: opened.fd })
  if (opened.size === 0) {
    source.destroy()
    throw new ModelError(`${file} is empty, not a model bundle.`)
  }
  // Set inside the unpacker's filter, which TypeScript's narrowing does not see.
  let refusal = null as string | null
  let unpacked = 0
  const unpack = new tar.Unpack({
    cwd: staging,
    strict: true,
    filter: (path, entry) => {
      const name = path.replace(/^(\.\/)+/, '')
      if (refusal) return false
      if (name === '' || name === '.') return false // the archive's own root folder
      const type = 'type' in entry ? entry.type : 'File'
      const size = entry.size ?? 0
      refusal = entryRefusal(name, type, size, unpacked)
      if (refusal) unpack.abort(new Error(refusal))
      unpacked += size
      return refusal === null
    },
  })
  try {
    await new Promise<void>((resolve, reject) => {
      unpack.on('error', reject)
      unpack.on('close', () => resolve())
      source.on('error', reject)
      source.pipe(unpack)
    })
  } catch (error) {
    throw new ModelError(refusal ? `${file} is refused: it ${refusal}.` : `${file} is not a model bundle (${(error as Error).message}).`)
  } finally {
    source.destroy()
  }
}
