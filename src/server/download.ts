/** Sends a download: a file, a folder as a zip, or generated text, streamed with backpressure. */
import { createReadStream } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { Readable } from 'node:stream'
import { ZipFile } from 'yazl'
import type { Download } from '../engine/downloads'

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.pdf': 'application/pdf',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
}
/** Already compressed: stored as they are in a zip, which is faster and no bigger. */
const STORED = new Set(['.png', '.jpg', '.jpeg', '.pdf'])

/** RFC 6266: an ASCII fallback and the exact UTF-8 name. */
const disposition = (name: string) => `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`

export function sendDownload(download: Download, response: ServerResponse): void {
  const headers = { 'Content-Disposition': disposition(download.name), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }
  // A client that goes away mid-download ends the stream; nothing else is affected.
  const pipe = (stream: Readable) => {
    stream.on('error', () => response.destroy())
    response.on('close', () => stream.destroy())
    stream.pipe(response)
  }
  if (download.kind === 'file') {
    response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(download.name).toLowerCase()] ?? 'application/octet-stream' })
    return pipe(createReadStream(download.path))
  }
  if (download.kind === 'text') {
    response.writeHead(200, { ...headers, 'Content-Type': download.type })
    return pipe(Readable.from(download.chunks()))
  }
  const zip = new ZipFile()
  for (const file of download.files) {
    zip.addFile(join(download.dir, ...file.path.split('/')), file.path, { compress: !STORED.has(extname(file.path).toLowerCase()) })
  }
  zip.end()
  response.writeHead(200, { ...headers, 'Content-Type': 'application/zip' })
  pipe(zip.outputStream as Readable)
}
