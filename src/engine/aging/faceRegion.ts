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

/** The face region of an RGB photo, scaled to fit side×side (letterboxed in black). */
export function faceRegionPng(image: RgbImage, transform: CropTransform, size: number, side: number): Promise<Buffer> {
  return letterboxPng(rawImage(image).extract(faceRegionBox(transform, size, image.width, image.height)), side)
}

/** A region already at its shown scale, letterboxed into side×side as faceRegionPng does. */
export function regionPng(region: RgbImage, side: number): Promise<Buffer> {
  return letterboxPng(rawImage(region), side)
}

/** RGB bytes, row by row, with their size: a decoded photo or a part of one as shown. */
export type RgbImage = { rgb: Uint8Array; width: number; height: number }

const rawImage = ({ rgb, width, height }: RgbImage) => sharp(rgb, { raw: { width, height, channels: 3 } })

/** Scaled to fit side×side, the rest black, as PNG. */
const letterboxPng = (image: sharp.Sharp, side: number) =>
  image
    .resize(side, side, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .png()
    .toBuffer()

export interface PhotoView {
  /** The part of the photo shown, clamped to it, in photo pixels. */
  region: { x: number; y: number; width: number; height: number }
  /** Shown pixels per photo pixel: fits maxSide, never enlarged. */
  scale: number
}

/** Where the asked view falls on the photo and at what scale it is shown. */
export function photoView(
  image: { width: number; height: number },
  asked: { x: number; y: number; width: number; height: number },
  maxSide: number,
): PhotoView {
  const x = Math.min(Math.max(0, Math.round(asked.x)), image.width - 1)
  const y = Math.min(Math.max(0, Math.round(asked.y)), image.height - 1)
  const region = {
    x,
    y,
    width: Math.max(1, Math.min(Math.round(asked.width), image.width - x)),
    height: Math.max(1, Math.min(Math.round(asked.height), image.height - y)),
  }
  return { region, scale: Math.min(1, maxSide / Math.max(region.width, region.height)) }
}

/** The view's pixels as shown (RGB bytes at the view's scale). */
export async function viewPixels(image: RgbImage, { region, scale }: PhotoView): Promise<RgbImage> {
  const { data, info } = await rawImage(image)
    .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
    .resize(Math.max(1, Math.round(region.width * scale)), Math.max(1, Math.round(region.height * scale)))
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { rgb: new Uint8Array(data), width: info.width, height: info.height }
}

/** What the editor's photo view sends: JPEG at full chroma. */
export function viewJpeg(shown: RgbImage): Promise<Buffer> {
  return rawImage(shown).jpeg({ quality: 88, chromaSubsampling: '4:4:4' }).toBuffer()
}
