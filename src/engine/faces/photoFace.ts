/**
 * From photo bytes to an aligned face: decode with sharp (EXIF orientation honoured, a pixel
 * limit against decompression bombs), detect on a downscaled copy, then warp the crop from a
 * full-resolution region around the face so big photos stay sharp without decoding them whole
 * into a tensor. Coordinates returned are in the oriented photo's pixels.
 */
import sharp from 'sharp'
import { cropBounds, cropExtent, detectFaces, eyeCentres, eyeTransform, warpCrop, type CropTransform, type DetectedFace } from './align'
import { BadInput } from '../errors'

/** Photos above this many pixels are refused before decoding (100 MP: a large medium-format frame). */
export const MAX_PIXELS = 100_000_000
/** Detection runs on a copy no larger than this; SSD sees 512 px anyway. */
const DETECTION_SIDE = 1280

/** The retry's border on each side, as a fraction of the photo's longer side. */
const PAD = 1
const PAD_GREY = { r: 128, g: 128, b: 128 }

/** Pictures this small (longer side, px) are taken for tight face crops. */
const TIGHT_CROP_SIDE = 400

export class PhotoError extends BadInput {}

export interface PhotoFace {
  /** The aligned master crop, RGB bytes, size×size. */
  crop: Uint8Array
  size: number
  photoWidth: number
  photoHeight: number
  face: DetectedFace
  transform: CropTransform
  facesFound: number
  /** Distance between the eye centres in photo pixels: how much detail the face really has. */
  eyeDistance: number
}

const open = (bytes: Uint8Array) => sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' }).rotate()

/** Size and a sanity check, before any pixel is decoded. */
export async function photoSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  if (bytes.length === 0) throw new PhotoError('empty file')
  let meta: sharp.Metadata
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch {
    throw new PhotoError('not an image (unknown or corrupt format)')
  }
  const { width = 0, height = 0 } = meta
  if (width * height > MAX_PIXELS) {
    throw new PhotoError(`too large: ${width}×${height} is ${((width * height) / 1e6).toFixed(0)} MP; the limit is ${MAX_PIXELS / 1e6} MP`)
  }
  if (width === 0 || height === 0) throw new PhotoError('not an image (no dimensions)')
  // EXIF orientations 5–8 turn the picture a quarter: width and height swap.
  return (meta.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height }
}

async function decodeRgb(pipeline: sharp.Sharp): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new PhotoError(`unexpected ${info.channels}-channel decode`)
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }
  } catch (error) {
    if (error instanceof PhotoError) throw error
    throw new PhotoError(`cannot decode (${(error as Error).message.split('\n')[0]})`)
  }
}

/** The whole photo as RGB bytes, upright (EXIF orientation applied), within the pixel limit. */
export function decodePhoto(bytes: Uint8Array): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  return decodeRgb(open(bytes))
}

export interface PhotoFaces {
  width: number
  height: number
  /** Largest first, in the oriented photo's pixels. */
  faces: DetectedFace[]
}

/** Every face in a photo, with landmarks, in photo pixels. Throws PhotoError when there is none. */
export async function findFaces(bytes: Uint8Array): Promise<PhotoFaces> {
  const { width, height } = await photoSize(bytes)
  const small = await decodeRgb(open(bytes).resize(DETECTION_SIDE, DETECTION_SIDE, { fit: 'inside', withoutEnlargement: true }))
  // A tight face crop (UTKFace chips, CACD) fills SSD's whole view and is missed: it is found once
  // a grey border makes the face smaller, at a lower threshold. On 80 UTKFace chips this took
  // detection from 28 to 79 (a mirrored or repeated edge did worse: 68 and 62). Small pictures
  // are nearly always such crops, so they try the border first.
  const tightFirst = Math.max(small.width, small.height) <= TIGHT_CROP_SIDE
  let pad = 0
  let found: DetectedFace[] = []
  for (const padded of tightFirst ? [true, false] : [false, true]) {
    pad = padded ? Math.round(Math.max(small.width, small.height) * PAD) : 0
    found = padded ? await detectPadded(small, pad) : await detectFaces(small.rgb, small.width, small.height)
    if (found.length > 0) break
  }
  if (found.length === 0) throw new PhotoError('no face found')
  const scale = width / small.width
  const at = (x: number, y: number) => ({ x: (x - pad) * scale, y: (y - pad) * scale })
  const faces = found.map((f) => {
    const corner = at(f.box.x, f.box.y)
    return { score: f.score, box: { ...corner, width: f.box.width * scale, height: f.box.height * scale }, landmarks: f.landmarks.map((p) => at(p.x, p.y)) }
  })
  return { width, height, faces }
}

/** Aligns one found face into a size×size crop, warped from the full-resolution photo. */
export async function alignFace(bytes: Uint8Array, photo: PhotoFaces, face: DetectedFace, size: number): Promise<PhotoFace> {
  const [left, right] = eyeCentres(face.landmarks)
  const transform = eyeTransform(left, right, size)
  return {
    crop: await warpFromPhoto(() => open(bytes), photo.width, photo.height, transform, size),
    size,
    photoWidth: photo.width,
    photoHeight: photo.height,
    face,
    transform,
    facesFound: photo.faces.length,
    eyeDistance: Math.hypot(right.x - left.x, right.y - left.y),
  }
}

/** Detects the faces in a photo and aligns the largest one into a size×size crop. */
export async function alignPhotoFace(bytes: Uint8Array, size: number): Promise<PhotoFace> {
  const photo = await findFaces(bytes)
  return alignFace(bytes, photo, photo.faces[0], size)
}

/** The crop a stored alignment gives of a photo, warped again with today's warp. */
export async function cropFromPhoto(bytes: Uint8Array, transform: CropTransform, size: number): Promise<Uint8Array> {
  const { width, height } = await photoSize(bytes)
  return warpFromPhoto(() => open(bytes), width, height, transform, size)
}

/** The same crop of decoded pixels (an exported photo before it is encoded), by the same warp. */
export function cropFromPixels(pixels: { rgb: Uint8Array; width: number; height: number }, transform: CropTransform, size: number): Promise<Uint8Array> {
  const { rgb, width, height } = pixels
  return warpFromPhoto(() => sharp(rgb, { raw: { width, height, channels: 3 } }), width, height, transform, size)
}

async function detectPadded(image: { rgb: Uint8Array; width: number; height: number }, pad: number): Promise<DetectedFace[]> {
  const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } }
  const padded = await decodeRgb(sharp(image.rgb, raw).extend({ top: pad, bottom: pad, left: pad, right: pad, background: PAD_GREY }))
  return detectFaces(padded.rgb, padded.width, padded.height, 0.3)
}

/**
 * Warps the crop from just the region it covers, decoded at about the crop's own scale. Where the
 * crop reaches past the photo, the photo is mirrored at its edge: repeating the edge pixel drew
 * streaks over the border of every tight face crop (UTKFace, CACD), and a GAN trained on those
 * learns streaks. (tfjs's own 'reflect' fill still streaks far from the edge, hence sharp's.)
 */
async function warpFromPhoto(image: () => sharp.Sharp, width: number, height: number, transform: CropTransform, size: number): Promise<Uint8Array> {
  const [a, b, c, d, e, f] = transform
  const { x0, y0, x1, y1 } = cropBounds(transform, size, width, height, 1)
  const wanted = cropExtent(transform, size, 1)
  // Photo pixels per crop pixel; shrink the region by it so the warp samples about 1:1.
  const shrink = Math.max(1, Math.hypot(a, d))
  const regionWidth = Math.max(1, Math.round((x1 - x0) / shrink))
  const regionHeight = Math.max(1, Math.round((y1 - y0) / shrink))
  const kx = (x1 - x0) / regionWidth
  const ky = (y1 - y0) / regionHeight
  const pad = {
    left: Math.max(0, Math.ceil((x0 - wanted.x0) / kx)),
    top: Math.max(0, Math.ceil((y0 - wanted.y0) / ky)),
    right: Math.max(0, Math.ceil((wanted.x1 - x1) / kx)),
    bottom: Math.max(0, Math.ceil((wanted.y1 - y1) / ky)),
  }
  const region = await decodeRgb(
    image()
      .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
      .resize(regionWidth, regionHeight, { fit: 'fill' })
      .extend({ ...pad, extendWith: 'mirror' }),
  )
  return warpCrop(region.rgb, region.width, region.height, [a / kx, b / kx, (c - x0) / kx + pad.left, d / ky, e / ky, (f - y0) / ky + pad.top], size)
}
