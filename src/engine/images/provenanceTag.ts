/**
 * Provenance travels inside the exported image: the record is written as JSON into the EXIF
 * ImageDescription tag (sharp writes EXIF for both PNG and JPEG) and read back with exif-reader.
 * EXIF strings are ASCII, so anything beyond it is written as JSON \u escapes.
 */
import exifReader from 'exif-reader'
import sharp from 'sharp'
import type { ExportFormat } from '../../shared/aging'

const SOFTWARE = 'Age Studio'

const asciiJson = (value: object) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** RGB bytes to a PNG or JPEG (quality 95, no chroma subsampling) with the provenance embedded. */
export function encodeWithProvenance(rgb: Uint8Array, width: number, height: number, format: ExportFormat, provenance: object): Promise<Buffer> {
  const image = sharp(rgb, { raw: { width, height, channels: 3 } }).withExif({ IFD0: { ImageDescription: asciiJson(provenance), Software: SOFTWARE } })
  return format === 'png' ? image.png({ compressionLevel: 6 }).toBuffer() : image.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer()
}

/** The embedded provenance record, or null when the image carries none of ours. */
export async function readProvenance(bytes: Uint8Array): Promise<Record<string, unknown> | null> {
  const { exif } = await sharp(bytes).metadata()
  if (!exif) return null
  try {
    const tags = exifReader(exif)
    if (tags.Image?.Software !== SOFTWARE || typeof tags.Image.ImageDescription !== 'string') return null
    return JSON.parse(tags.Image.ImageDescription) as Record<string, unknown>
  } catch {
    return null
  }
}
