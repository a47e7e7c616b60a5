/** Image encoding and resizing, all through sharp. */
import sharp from 'sharp'

export interface RawRgb {
  data: Uint8Array
  width: number
  height: number
}

export function rgbToPng(image: RawRgb): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toBuffer()
}

/** Downscales an RGB image to size×size PNG (the training image is derived from the master). */
export function resizeToPng(image: RawRgb, size: number): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(size, size, { kernel: 'lanczos3' })
    .png({ compressionLevel: 9 })
    .toBuffer()
}

/** Whether bytes are a PNG that decodes in full (a kit's or a bundle's sample grid). */
export function decodesAsPng(bytes: Uint8Array): Promise<boolean> {
  return sharp(bytes, { failOn: 'error' })
    .metadata()
    .then(async (meta) => meta.format === 'png' && (await sharp(bytes, { failOn: 'error' }).raw().toBuffer()).length > 0)
    .catch(() => false)
}

/** Bytes as a data: URL, the form images take across the contract. */
export function dataUrl(bytes: Uint8Array, mime = 'image/png'): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`
}
