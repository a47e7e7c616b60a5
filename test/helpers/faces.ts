/** Real faces for tests (crops of face-api's demo photos, made at test time) and folders of them. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { demoFaceCrops, type FaceCrop } from '../../src/bench/faceSamples'

export type { FaceCrop } from '../../src/bench/faceSamples'

let crops: Promise<FaceCrop[]> | undefined

/** The demo photos' faces as 200×200 crops, made once per test process. */
export function faceCrops(): Promise<FaceCrop[]> {
  crops ??= demoFaceCrops(200)
  return crops
}

/** Writes files into a folder (created), returning it. */
export function writeFolder(folder: string, files: Record<string, Uint8Array | string>): string {
  mkdirSync(folder, { recursive: true })
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, name)), { recursive: true })
    writeFileSync(join(folder, name), bytes)
  }
  return folder
}
