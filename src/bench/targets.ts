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
import { BatchRequestSchema, REFINE_PREVIEW_MS, REFINEMENT, type EditorProgress } from '../shared/aging'
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
    // As the editor does while refinement runs: a preview of the newer z at most once a REFINE_PREVIEW_MS.
    let following: (() => void) | null = null
    let lastPreview = -Infinity
    const sessions = new EditorSessions(home, studio.catalog, backend.name, (p) => {
      if (p.state !== 'running') return finished(p)
      if (following && now() - lastPreview >= REFINE_PREVIEW_MS) [lastPreview] = [now(), following()]
    })
    const refined = () => new Promise<EditorProgress>((resolve) => (finished = resolve))

    for (const width of [1920, 4800] as const) {
      const path = photos[width]
      // Warm-up: models loaded, kernels compiled; the studio keeps them between photos.
      const warm = await sessions.open(path)
      await sessions.prepare(warm.sessionId, 0, runId)
      await sessions.render(warm.sessionId, { position: 3, variation: 0, spread: 0.35, mode: 'residual', strength: 1 })
      sessions.close(warm.sessionId)

      let start = now()
      await decodePhoto(readFileSync(path))
      const decodeMs = now() - start
      start = now()
      const opened = await sessions.open(path)
      const openMs = now() - start
      const prepared = await sessions.prepare(opened.sessionId, 0, runId)
      const view = { x: 0, y: 0, width: opened.width, height: opened.height, maxSide: 1200 }
      const look = (position: number) => ({ position, variation: 0, spread: 0.35, mode: 'residual' as const, strength: 1, view })
      // What the editor shows first: a preview (the scores wait for refinement's end).
      await sessions.preview(opened.sessionId, look(prepared.source.position + 1))
      const previewMs = now() - start
      // Refinement alone, then again as the editor runs it (from z0 each time), with its previews.
      const refinement = async (withPreviews: boolean) => {
        following = withPreviews ? () => void sessions.preview(opened.sessionId, look(4)) : null
        lastPreview = -Infinity
        const begun = now()
        const done = refined()
        sessions.refine(opened.sessionId, 'identity', REFINEMENT.iterations)
        const outcome = await done
        return { ms: now() - begun, outcome }
      }
      const alone = await refinement(false)
      const { ms: refineMs, outcome } = await refinement(true)
      following = null
      start = now()
      const session = (sessions as unknown as { sessions: Map<string, { prepared: Parameters<typeof agedPhoto>[0] }> }).sessions.get(opened.sessionId)!
      // As batch does: the six drawn in one batched pass, each composite into the last one's buffer.
      const drawn = session.prepared.edit.renderMany(Array.from({ length: 6 }, (_, bin) => ({ position: bin, variation: 0 })))
      let into: Uint8Array | undefined
      for (const [bin, rendered] of drawn.entries())
        into = (await agedPhoto(session.prepared, { position: bin, variation: 0, spread: 0.35, mode: 'residual', strength: 1 }, { rendered, into })).rgb
      const sixMs = now() - start
      // A drag: previews; letting go: one render with both identity scores.
      const timed = async (draw: () => Promise<unknown>) => ((start = now()), await draw(), now() - start)
      const moves: number[] = []
      const releases: number[] = []
      for (let i = 0; i < 7; i++) {
        moves.push(await timed(() => sessions.preview(opened.sessionId, look(1 + i * 0.5))))
        releases.push(await timed(() => sessions.render(opened.sessionId, look(1.25 + i * 0.5))))
      }
      sessions.close(opened.sessionId)
      lines.push(
        `  ${width} px photo: decode ${decodeMs.toFixed(0)} ms · opened → z0 preview ${previewMs.toFixed(0)} ms (detect ${openMs.toFixed(0)})` +
          ` · refinement ${(alone.ms / 1000).toFixed(1)} s alone, ${(refineMs / 1000).toFixed(1)} s with the editor's previews (${outcome.iteration} steps, ${outcome.state})` +
          ` · six ages at full size ${sixMs.toFixed(0)} ms · whole job ${((previewMs + refineMs + sixMs) / 1000).toFixed(1)} s` +
          ` · slider move ${median(moves).toFixed(0)} ms, let go ${median(releases).toFixed(0)} ms (medians of 7)`,
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
