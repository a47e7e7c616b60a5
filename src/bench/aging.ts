/**
 * The editor's and batch's costs on real photos: detect + align + encode (opening a face), one
 * slider move (G, recognizer, independent judge, composite at full size, before/after crops), the
 * six-bin strip, one identity
 * refinement step, and a full-size export. Untrained networks of the preset: timing does not
 * depend on the weights.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { agedFaceRegion, agedPhoto, openPhoto, prepareFace, renderChange } from '../engine/aging/agePhoto'
import type { AgingModel } from '../engine/aging/model'
import { faceRegionPng } from '../engine/aging/faceRegion'
import { Catalog } from '../engine/catalog/catalog'
import { FaceRecognizer } from '../engine/faces/recognizer'
import { encodeWithProvenance } from '../engine/images/provenanceTag'
import { buildEncoder, buildGenerator } from '../engine/model/networks'
import { preset } from '../engine/model/presets'
import type { PresetName } from '../shared/training'
import { useBackend } from '../engine/tf/backends'
import { demoPhoto } from './faceSamples'

function benchModel(name: PresetName): AgingModel {
  const p = preset(name)
  const generator = buildGenerator(p)
  const encoder = buildEncoder(p)
  return {
    generator,
    encoder,
    imageSize: p.imageSize,
    modelHash: 'bench',
    config: {} as never,
    run: { id: 'run-bench', preset: name, origin: null, seed: 0 } as never,
    checkpoint: { id: 0, phase: 'encoder', step: 0 } as never,
    dispose: () => (generator.dispose(), encoder.dispose()),
  }
}

async function ms<T>(fn: () => Promise<T>, repeat = 1): Promise<[T, number]> {
  const start = performance.now()
  let result!: T
  for (let i = 0; i < repeat; i++) result = await fn()
  return [result, (performance.now() - start) / repeat]
}

export async function benchAging(presets: PresetName[]): Promise<string[]> {
  const backend = await useBackend()
  const home = mkdtempSync(join(tmpdir(), 'age-studio-bench-aging-'))
  const catalog = Catalog.open(home)
  const recognizer = await FaceRecognizer.load()
  const photos = {
    '1920 px group photo': readFileSync(demoPhoto(1)),
    '4800 px (~15 MP) photo': await sharp(readFileSync(demoPhoto(1)))
      .resize(4800)
      .jpeg({ quality: 90 })
      .toBuffer(),
  }
  const lines = [`editor and batch on ${backend.name} (ms):`]
  try {
    for (const name of presets) {
      const model = benchModel(name)
      for (const [label, bytes] of Object.entries(photos)) {
        const [prepared, openMs] = await ms(async () => prepareFace(catalog, await openPhoto(bytes, 'bench.jpg', null), 0, model, recognizer, 40))
        await agedPhoto(prepared, { position: 4, variation: 0, spread: 0.35, mode: 'residual', strength: 1 }) // decodes the photo once
        const [, renderMs] = await ms(async () => {
          const aged = await agedPhoto(prepared, { position: 4.5, variation: 0, spread: 0.35, mode: 'residual', strength: 1 })
          await faceRegionPng(aged, prepared.aligned.transform, 256, 320)
        }, 3)
        // The strip: six bins, face regions only (agedFaceRegion), beside compositing six whole photos.
        const [, stripMs] = await ms(async () => {
          for (let bin = 0; bin < 6; bin++)
            await agedFaceRegion(
              prepared,
              renderChange(prepared, { position: bin, variation: 0, spread: 0.35, mode: 'residual', strength: 1 }, prepared.edit.render(bin)),
              192,
            )
        })
        const [, wholeStripMs] = await ms(async () => {
          for (let bin = 0; bin < 6; bin++)
            await faceRegionPng(
              await agedPhoto(prepared, { position: bin, variation: 0, spread: 0.35, mode: 'residual', strength: 1 }),
              prepared.aligned.transform,
              256,
              192,
            )
        })
        const [, refineMs] = await ms(() => prepared.edit.refine('identity', 3), 1)
        const aged = await agedPhoto(prepared, { position: 5, variation: 1, spread: 0.35, mode: 'replace', strength: 1 })
        const [, pngMs] = await ms(() => encodeWithProvenance(aged.rgb, aged.width, aged.height, 'png', { bench: true }))
        const [, jpegMs] = await ms(() => encodeWithProvenance(aged.rgb, aged.width, aged.height, 'jpeg', { bench: true }))
        lines.push(
          `  ${name}, ${label}: open face ${openMs.toFixed(0)} · slider move ${renderMs.toFixed(0)} · strip ${stripMs.toFixed(0)} (whole-photo composites: ${wholeStripMs.toFixed(0)}) · refine step ${(refineMs / 3).toFixed(0)} · export PNG ${pngMs.toFixed(0)}, JPEG ${jpegMs.toFixed(0)}`,
        )
        prepared.edit.dispose()
      }
      model.dispose()
    }
  } finally {
    catalog.close()
    rmSync(home, { recursive: true, force: true })
  }
  return lines
}
