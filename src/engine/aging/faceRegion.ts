/** The part of a photo the aligned crop covers, as a small PNG: previews, before/after, contact sheets. */
import sharp from 'sharp'
import type { CropTransform } from '../faces/align'

export function faceRegionBox(transform: CropTransform, size: number, width: number, height: number): { left: number; top: number; width: number; height: number } {
  const [a, b, c, d, e, f] = transform
  const corners = [[0, 0], [size, 0], [0, size], [size, size]].map(([u, v]) => [a * u + b * v + c, d * u + e * v + f])
  const left = Math.max(0, Math.floor(Math.min(...corners.map((p) => p[0]))))
  const top = Math.max(0, Math.floor(Math.min(...corners.map((p) => p[1]))))
  const right = Math.min(width, Math.ceil(Math.max(...corners.map((p) => p[0]))))
  const bottom = Math.min(height, Math.ceil(Math.max(...corners.map((p) => p[1]))))
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) }
}

/** The face region of an RGB photo, scaled to fit side×side (never enlarged past 2×). */
export function faceRegionPng(image: { rgb: Uint8Array; width: number; height: number }, transform: CropTransform, size: number, side: number): Promise<Buffer> {
  const box = faceRegionBox(transform, size, image.width, image.height)
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract(box)
    .resize(side, side, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .png()
    .toBuffer()
}
