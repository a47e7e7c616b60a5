/** The part of a photo the aligned crop covers, as a small PNG: previews, before/after, contact sheets. */
import sharp from 'sharp'
import { cropBounds, type CropTransform } from '../faces/align'

export function faceRegionBox(
  transform: CropTransform,
  size: number,
  width: number,
  height: number,
): { left: number; top: number; width: number; height: number } {
  const { x0, y0, x1, y1 } = cropBounds(transform, size, width, height)
  return { left: x0, top: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) }
}

/** The face region of an RGB photo, scaled to fit side×side (never enlarged past 2×). */
export function faceRegionPng(
  image: { rgb: Uint8Array; width: number; height: number },
  transform: CropTransform,
  size: number,
  side: number,
): Promise<Buffer> {
  const box = faceRegionBox(transform, size, image.width, image.height)
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract(box)
    .resize(side, side, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .png()
    .toBuffer()
}

/** A region of the photo (clamped to it), scaled to fit maxSide and never enlarged: the editor's photo view. */
export async function photoRegionJpeg(
  image: { rgb: Uint8Array; width: number; height: number },
  asked: { x: number; y: number; width: number; height: number },
  maxSide: number,
): Promise<{ jpeg: Buffer; region: { x: number; y: number; width: number; height: number }; scale: number }> {
  const x = Math.min(Math.max(0, Math.round(asked.x)), image.width - 1)
  const y = Math.min(Math.max(0, Math.round(asked.y)), image.height - 1)
  const region = {
    x,
    y,
    width: Math.max(1, Math.min(Math.round(asked.width), image.width - x)),
    height: Math.max(1, Math.min(Math.round(asked.height), image.height - y)),
  }
  const scale = Math.min(1, maxSide / Math.max(region.width, region.height))
  const jpeg = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
    .resize(Math.max(1, Math.round(region.width * scale)), Math.max(1, Math.round(region.height * scale)))
    .jpeg({ quality: 88, chromaSubsampling: '4:4:4' })
    .toBuffer()
  return { jpeg, region, scale }
}
