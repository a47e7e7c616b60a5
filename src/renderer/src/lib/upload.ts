/** Sends a chosen or dropped file to the studio in base64 chunks (web mode caps a message at 1 MiB). */
import { UPLOAD_CHUNK_BYTES } from '$shared/contract'
import { studio } from './client'

function base64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** Returns the finished upload's id; onProgress gets the fraction sent. */
export async function uploadFile(file: File, onProgress?: (fraction: number) => void): Promise<string> {
  const { uploadId } = await studio.call('uploads.begin', { name: file.name.slice(0, 255) || 'photo', size: file.size })
  for (let offset = 0; offset < file.size; offset += UPLOAD_CHUNK_BYTES) {
    const chunk = new Uint8Array(await file.slice(offset, offset + UPLOAD_CHUNK_BYTES).arrayBuffer())
    await studio.call('uploads.chunk', { uploadId, offset, data: base64(chunk) })
    onProgress?.(Math.min(1, (offset + chunk.length) / Math.max(1, file.size)))
  }
  return (await studio.call('uploads.finish', { uploadId })).uploadId
}
