/**
 * Issue 16's table, measured the way the studio runs it: an EditorSessions (the aging worker's
 * engine) on a real catalog run of the preset, a 1920 px one-face photo made from face-api's demo
 * photos, and runBatch for the batch row. The run has one training step: timing does not depend on
 * the weights, and refinement to convergence is counted in the steps the editor's settings take.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { BatchRequestSchema, REFINEMENT, type EditorProgress } from '../shared/aging'
import type { PresetName } from '../shared/training'
import { createHandlers } from '../engine/api/handlers'
import { agedPhoto } from '../engine/aging/agePhoto'
import { runBatch } from '../engine/aging/batch'
import { EditorSessions } from '../engine/aging/editorSessions'
import { decodePhoto } from '../engine/faces/photoFace'
import { Studio } from '../engine/studio'
import { useInferenceBackend } from '../engine/tf/backends'
import { splitInference } from '../engine/tf/inferenceSplit'
import { detectFaces } from '../engine/faces/align'
import { createRun, trainRun } from '../engine/training/trainer'
import { demoPhoto } from './faceSamples'

const now = () => performance.now()

/** A one-face photo of the given width: the largest face of demo photo 1 with its surroundings. */
async function oneFacePhoto(dir: string, width: number): Promise<string> {
  const { data, info } = await sharp(demoPhoto(1)).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const [{ box }] = (await detectFaces(new Uint8Array(data), info.width, info.height)).sort((a, b) => b.box.width - a.box.width)
  const side = Math.min(box.width * 2.4, info.width, info.height)
  const left = Math.round(Math.min(Math.max(0, box.x + box.width / 2 - side / 2), info.width - side))
  const top = Math.round(Math.min(Math.max(0, box.y + box.height / 2 - side / 2), info.height - side))
  const file = join(dir, `one-face-${width}.jpg`)
  const crop = { left, top, width: Math.round(side), height: Math.round(side * 0.75) }
  writeFileSync(file, await sharp(demoPhoto(1)).rotate().extract(crop).resize(width).jpeg({ quality: 92 }).toBuffer())
  return file
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

export async function benchTargets(name: PresetName): Promise<string[]> {
  const home = mkdtempSync(join(tmpdir(), 'age-studio-bench-targets-'))
  // The photos first: detecting the face to crop around runs on the inference backend.
  await useInferenceBackend()
  const inDir = join(home, 'batch-in')
  mkdirSync(inDir)
  const photos = { 1920: await oneFacePhoto(home, 1920), 4800: await oneFacePhoto(home, 4800), batch: await oneFacePhoto(inDir, 1920) }
  const backend = { name: (await splitInference()).gradient } // as the aging worker does
  const studio = Studio.open(home, { mode: 'cli' })
  const lines = [`issue 16's targets, ${name} preset on ${backend.name} (one run of each; refinement: ${JSON.stringify(REFINEMENT)}):`]
  try {
    await createHandlers(studio)['library.createDemo']({ count: 60, seed: 4 })
    const { runId } = await createRun(studio.catalog, { preset: name, steps: 1, encoderSteps: 1, batch: 2, checkpointEvery: 1, backend: backend.name })
    await trainRun({ home, catalog: studio.catalog, files: studio.files, emit: () => undefined }, runId, { paused: false, cancelled: false })
    let finished: (p: EditorProgress) => void = () => undefined
    const sessions = new EditorSessions(home, studio.catalog, backend.name, (p) =>
      p.state !== 'running' ? finished(p) : process.env.STEPS && console.log(p.iteration, Math.round(now())),
    )
    const refined = () => new Promise<EditorProgress>((resolve) => (finished = resolve))

    for (const width of [1920, 4800] as const) {
      const path = photos[width]
      // Warm-up: models loaded, kernels compiled; the studio keeps them between photos.
      const warm = await sessions.open(path)
      await sessions.prepare(warm.sessionId, 0, runId)
      await sessions.render(warm.sessionId, { position: 3, variation: 0, spread: 0.35, mode: 'residual' })
      sessions.close(warm.sessionId)

      let start = now()
      await decodePhoto(readFileSync(path))
      const decodeMs = now() - start
      start = now()
      const opened = await sessions.open(path)
      const openMs = now() - start
      const prepared = await sessions.prepare(opened.sessionId, 0, runId)
      const view = { x: 0, y: 0, width: opened.width, height: opened.height, maxSide: 1200 }
      const render = (position: number) => sessions.render(opened.sessionId, { position, variation: 0, spread: 0.35, mode: 'residual', view })
      await render(prepared.source.position + 1)
      const previewMs = now() - start
      start = now()
      const done = refined()
      sessions.refine(opened.sessionId, 'identity', REFINEMENT.iterations)
      const outcome = await done
      const refineMs = now() - start
      start = now()
      const session = (sessions as unknown as { sessions: Map<string, { prepared: Parameters<typeof agedPhoto>[0] }> }).sessions.get(opened.sessionId)!
      for (let bin = 0; bin < 6; bin++) await agedPhoto(session.prepared, { position: bin, variation: 0, spread: 0.35, mode: 'residual' })
      const sixMs = now() - start
      const moves: number[] = []
      for (let i = 0; i < 7; i++) {
        start = now()
        await render(1 + i * 0.5)
        moves.push(now() - start)
      }
      sessions.close(opened.sessionId)
      lines.push(
        `  ${width} px photo: decode ${decodeMs.toFixed(0)} ms · opened → z0 preview ${previewMs.toFixed(0)} ms (detect ${openMs.toFixed(0)})` +
          ` · refinement ${(refineMs / 1000).toFixed(1)} s (${outcome.iteration} steps, ${outcome.state})` +
          ` · six ages at full size ${sixMs.toFixed(0)} ms · whole job ${((previewMs + refineMs + sixMs) / 1000).toFixed(1)} s` +
          ` · slider move ${median(moves).toFixed(0)} ms (median of 7)`,
      )
    }

    const request = BatchRequestSchema.parse({ paths: [photos.batch], ages: [20, 45, 70], runId, outDir: join(home, 'batch-out') })
    const start = now()
    const report = await runBatch(studio.catalog, home, backend.name, 'bench-batch', request, {
      signal: new AbortController().signal,
      progress: () => undefined,
    })
    lines.push(`  batch, one 1920 px photo × 3 ages, refined, written with provenance: ${((now() - start) / 1000).toFixed(1)} s (${report.outputs} written)`)
  } finally {
    await studio.close()
    rmSync(home, { recursive: true, force: true })
  }
  return lines
}
