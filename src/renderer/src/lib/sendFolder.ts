/**
 * Photos and folders from this computer to the studio's machine: each file goes up in chunks
 * (lib/upload), then uploads.collect places them, folder structure kept, in a managed folder
 * under the data directory whose path the importer (or a batch) takes.
 */
import { studio } from './client'
import { uploadFile } from './upload'

export interface PickedFile {
  file: File
  /** Relative path as picked or dropped ("CACD/14_Aaron_0001.jpg"), or just the name. */
  path: string
}

/** The most entries one uploads.collect call carries (the contract's cap). */
const COLLECT_BATCH = 2000

/** Hidden files (.DS_Store, ._photo.jpg) are a system's, not the user's. */
const wanted = (path: string) => !path.split('/').some((part) => part.startsWith('.'))

export function fromInput(list: FileList | null): PickedFile[] {
  return [...(list ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })).filter((f) => wanted(f.path))
}

/** Everything dropped, folders walked (the drop's entries are only valid during the event: read them at once). */
export async function fromDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e)
  if (entries.length === 0) return fromInput(transfer.files)
  const found: PickedFile[] = []
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    const path = prefix + entry.name
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
      found.push({ file, path })
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader()
      // readEntries answers in pieces (100 at a time in Chromium) until an empty one.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
        if (batch.length === 0) break
        for (const child of batch) await walk(child, `${path}/`)
      }
    }
  }
  for (const entry of entries) await walk(entry, '')
  return found.filter((f) => wanted(f.path))
}

/** A new folder name per sending: "2026-12-01 1405 CACD", so two sendings never mix. */
function folderName(files: PickedFile[]): string {
  const first = files[0]?.path.split('/')
  const label = first && first.length > 1 ? first[0] : 'photos'
  const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '')
  return `${stamp} ${label}`.replace(/[^\p{L}\p{N} ._-]/gu, '_').slice(0, 100)
}

export async function sendFolder(files: PickedFile[], onProgress: (sent: number, total: number) => void): Promise<string> {
  const folder = folderName(files)
  const sent: { uploadId: string; path: string }[] = []
  let root = ''
  onProgress(0, files.length)
  for (const { file, path } of files) {
    sent.push({ uploadId: await uploadFile(file), path })
    onProgress(sent.length, files.length)
    if (sent.length === COLLECT_BATCH) root = (await studio.call('uploads.collect', { folder, files: sent.splice(0) })).folder
  }
  if (sent.length) root = (await studio.call('uploads.collect', { folder, files: sent })).folder
  return root
}
