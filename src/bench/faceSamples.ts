/**
 * Real faces with no dataset in the repository: the group photos shipped in @vladmandic/face-api's
 * demo folder, and single-face crops of them. The benchmark and the tests both use these.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { detectFaces } from '../engine/faces/align'
import { useInferenceBackend } from '../engine/tf/backends'

const requireHere = createRequire(__filename)
export const DEMO_PHOTO_DIR = join(dirname(requireHere.resolve('@vladmandic/face-api/package.json')), 'demo')
export const demoPhoto = (n: number) => join(DEMO_PHOTO_DIR, `sample${n}.jpg`)

export interface FaceCrop {
  bytes: Buffer
  /** Which demo photo and which face in it, largest first. */
  photo: number
  face: number
}

/** Every confidently detected face of the six demo photos, cropped with margin, side×side JPEG. */
export async function demoFaceCrops(side = 200): Promise<FaceCrop[]> {
  await useInferenceBackend()
  const out: FaceCrop[] = []
  for (let photo = 1; photo <= 6; photo++) {
    const { data, info } = await sharp(demoPhoto(photo)).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true })
    const faces = await detectFaces(new Uint8Array(data), info.width, info.height)
    for (const [face, { box, score }] of faces.entries()) {
      if (score < 0.8 || box.width < 80) continue
      const half = Math.max(box.width, box.height) * 0.9
      const left = Math.max(0, Math.round(box.x + box.width / 2 - half))
      const top = Math.max(0, Math.round(box.y + box.height / 2 - half))
      const extent = Math.round(Math.min(2 * half, info.width - left, info.height - top))
      const bytes = await sharp(demoPhoto(photo))
        .rotate()
        .extract({ left, top, width: extent, height: extent })
        .resize(side, side)
        .jpeg({ quality: 92 })
        .toBuffer()
      out.push({ bytes, photo, face })
    }
  }
  return out
}
