/**
 * Crops a catalog's faces again from their photos with today's warp, keeping each face's detection,
 * transform, labels and split. Catalogs imported before the warp mirrored the photo at its edge
 * have masters whose borders are streaks of repeated edge pixels; this replaces them. A photo that
 * is gone, unreadable or changed since import is reported and keeps its crop.
 */
import type { Catalog } from '../catalog/catalog'
import { isStoredFile, sha256, type FileStore } from '../catalog/files'
import { readRegularFileAsync } from '../inputFiles'
import { cropFromPhoto } from '../faces/photoFace'
import type { CropTransform } from '../faces/align'
import { MASTER_SIZE, MAX_FILE_BYTES, storeCrops } from './importer'
import { rm } from 'node:fs/promises'
import { useInferenceBackend } from '../tf/backends'

export interface RecropReport {
  recropped: number
  kept: { file: string; reason: string }[]
}

export interface RecropHooks {
  /** Throws to cancel; called between faces. */
  checkpoint(): void
  progress(done: number, total: number): void
}

export async function recropFaces(catalog: Catalog, files: FileStore, datasetId: number | undefined, hooks: RecropHooks): Promise<RecropReport> {
  // The import's backend: the warp must round the same way, or a re-crop differs by a level here and there.
  await useInferenceBackend()
  const faces = catalog.images.croppedFaces(datasetId)
  const report: RecropReport = { recropped: 0, kept: [] }
  for (const [index, face] of faces.entries()) {
    hooks.checkpoint()
    hooks.progress(index, faces.length)
    const bytes = await readRegularFileAsync(face.sourcePath, MAX_FILE_BYTES).catch((error: Error) => error)
    if (bytes instanceof Error) {
      report.kept.push({ file: face.sourcePath, reason: bytes.message })
      continue
    }
    if (sha256(bytes) !== face.sha256) {
      report.kept.push({ file: face.sourcePath, reason: 'the file has changed since it was imported (its alignment belongs to the old one); import it again' })
      continue
    }
    let master: Uint8Array
    try {
      master = await cropFromPhoto(bytes, JSON.parse(face.transform) as CropTransform, MASTER_SIZE)
    } catch (error) {
      report.kept.push({ file: face.sourcePath, reason: (error as Error).message })
      continue
    }
    catalog.images.setCrops(face.id, await storeCrops(files, master))
    // The old files go once nothing else (a sample, another face with the same crop) uses them.
    const before = [face.cropFile, face.trainFile, ...(face.thumbFile ? [face.thumbFile] : [])]
    for (const old of catalog.runs.unreferenced(before)) if (isStoredFile(old)) await rm(files.resolve(old), { force: true })
    report.recropped++
  }
  hooks.progress(faces.length, faces.length)
  return report
}
