// The editor's state module (what Editor.svelte lays out), driven through a scripted studio
// client: the order of calls a user's actions make, one render in flight, progress and errors.
import { describe, expect, it } from 'vitest'
import type { AgingModelChoice, EditorProgress } from '../../src/shared/aging'
import { StudioError, type CallInput, type CallName, type StudioClient } from '../../src/shared/contract'
import { EditorState, REFINE_ITERATIONS, REFINE_PREVIEW_MS } from '../../src/renderer/src/lib/editorState.svelte'

const choice = (runId: string, runStatus: string, checkpointId = 1): AgingModelChoice => ({
  runId,
  runName: null,
  checkpointId,
  phase: 'encoder',
  step: 10,
  preset: 'tiny',
  origin: null,
  runStatus,
  createdAt: '2026-12-01T10:00:00Z',
})
const MODELS = [choice('run-live', 'running', 9), choice('run-done', 'done', 4), choice('run-old', 'done', 2)]
const VERDICT = { judge: 'j', similarity: 0.8, threshold: 0.61, samePerson: true, judgedAge: 50, inputJudgedAge: 30, artifacts: 0.4 }
const SCORES = { identityDistance: 0.3, samePerson: true, independentSimilarity: 0.7, independentSamePerson: true, exported: VERDICT }
const face = { box: { x: 10, y: 10, width: 50, height: 50 }, score: 0.9 }

interface Deferred {
  resolve: () => void
}

/** A studio that answers each call from a script, logs it, and can hold renders until released. */
function scriptedStudio() {
  const calls: { name: string; input: Record<string, unknown> }[] = []
  const held: Deferred[] = []
  const failing = new Map<string, StudioError>()
  let holdRenders = false
  const answer = (name: string, input: Record<string, unknown>): unknown => {
    switch (name) {
      case 'editor.models':
        return MODELS
      case 'editor.open':
        return {
          sessionId: `s-${calls.filter((c) => c.name === 'editor.open').length}`,
          name: 'p.jpg',
          width: 200,
          height: 100,
          faces: [face],
          photo: '',
          previewScale: 1,
        }
      case 'editor.prepare':
        return {
          sessionId: input.sessionId,
          faceIndex: input.faceIndex,
          source: { age: (input.sourceAge as number) ?? 31, position: 2, from: input.sourceAge === undefined ? 'estimated' : 'given' },
          crop: '',
          model: {},
        }
      case 'editor.render':
        return { position: input.position, variation: input.variation, mode: input.mode, ...SCORES }
      case 'editor.preview':
        return { position: input.position, variation: input.variation, mode: input.mode }
      case 'editor.strip':
        return [{ mode: input.mode }]
      case 'editor.variations':
        return [{ variation: 1 }, { variation: 2 }]
      default:
        return {}
    }
  }
  const client: StudioClient = {
    async call<K extends CallName>(name: K, input: CallInput<K>) {
      calls.push({ name, input: input })
      const failure = failing.get(name)
      if (failure) throw failure
      if ((name === 'editor.render' || name === 'editor.preview') && holdRenders) await new Promise<void>((resolve) => held.push({ resolve }))
      return answer(name, input) as never
    },
    on: () => () => undefined,
  }
  const uploads: string[] = []
  const upload = async (file: File, onProgress?: (fraction: number) => void) => {
    uploads.push(file.name)
    onProgress?.(0.5)
    return `upload-${file.name}`
  }
  return {
    client,
    upload,
    calls,
    uploads,
    failing,
    names: () => calls.map((c) => c.name),
    hold: (on: boolean) => (holdRenders = on),
    release: () => held.splice(0).forEach((d) => d.resolve()),
    heldCount: () => held.length,
  }
}

const photo = (name = 'p.jpg') => new File([new Uint8Array([1, 2, 3])], name)
/** The refinement prepare started has ended (the scripted studio sends no progress of its own). */
const refined = (editor: EditorState, state: EditorProgress['state'] = 'done', iteration = 60) =>
  editor.onProgress({ sessionId: editor.prepared!.sessionId, iteration, total: 60, loss: 0.4, state, error: null })
const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('EditorState', () => {
  it('chooses a finished run by default, keeps the choice on reload, and takes a requested one', async () => {
    const studio = scriptedStudio()
    const editor = new EditorState(studio.client, studio.upload)
    await editor.loadModels()
    expect(editor.model?.runId).toBe('run-done')
    editor.model = MODELS[2]
    await editor.loadModels()
    expect(editor.model?.runId).toBe('run-old')
    await editor.loadModels({ runId: 'run-live', checkpointId: 9 })
    expect(editor.model?.runId).toBe('run-live')
  })

  it('opens a one-face photo straight to a preview and a refinement; the strip waits for its end', async () => {
    const studio = scriptedStudio()
    const seen: string[] = []
    // The busy line follows the upload: read it from inside the upload's progress.
    const watched: EditorState = new EditorState(studio.client, (file, onProgress) =>
      studio.upload(file, (f) => (onProgress?.(f), seen.push(watched.action.busy))),
    )
    await watched.loadModels()
    await watched.openFile(photo())
    expect(seen).toEqual(['sending p.jpg… 50%'])
    expect(studio.names()).toEqual(['editor.models', 'editor.open', 'editor.prepare', 'editor.preview', 'editor.refine'])
    expect(studio.calls.find((c) => c.name === 'editor.prepare')!.input).toEqual({ sessionId: 's-1', faceIndex: 0, runId: 'run-done', checkpointId: 4 })
    expect(studio.calls.at(-1)!.input).toEqual({ sessionId: 's-1', mode: 'identity', iterations: REFINE_ITERATIONS })
    expect(watched.sourceAge).toBe(31)
    expect(watched.progress).toMatchObject({ iteration: 0, total: REFINE_ITERATIONS, state: 'running' })
    expect(watched.view).toMatchObject({ position: 4, variation: 0, mode: 'residual' })
    expect([watched.scores, watched.strip]).toEqual([null, []])
    expect([watched.action.busy, watched.error]).toEqual(['', ''])
  })

  it('a second photo closes the first session and starts clean', async () => {
    const studio = scriptedStudio()
    const editor = new EditorState(studio.client, studio.upload)
    await editor.loadModels()
    await editor.openFile(photo('a.jpg'))
    await editor.showVariations()
    expect(editor.variations).toHaveLength(2)
    await editor.openFile(photo('b.jpg'))
    expect(studio.calls.find((c) => c.name === 'editor.close')!.input).toEqual({ sessionId: 's-1' })
    expect(editor.prepared?.sessionId).toBe('s-2')
    expect(editor.variations).toEqual([])
  })

  it('keeps one render in flight: slider moves meanwhile collapse into one render with the latest position', async () => {
    const studio = scriptedStudio()
    const editor = new EditorState(studio.client, studio.upload)
    await editor.loadModels()
    await editor.openFile(photo())
    refined(editor)
    await settle()
    const before = studio.names().filter((n) => n === 'editor.render').length
    studio.hold(true)
    editor.slide(1)
    editor.slide(2.5)
    editor.slide(3)
    expect(studio.heldCount()).toBe(1)
    studio.release()
    await settle()
    expect(studio.heldCount()).toBe(1) // the one catch-up render
    studio.hold(false)
    studio.release()
    await settle()
    const renders = studio.calls.filter((c) => c.name === 'editor.render').slice(before)
    expect(renders.map((r) => r.input.position)).toEqual([1, 3])
    expect(editor.view).toMatchObject({ position: 3 })
  })

  it('previews while the slider is dragged and measures the scores when it is let go', async () => {
    const studio = scriptedStudio()
    const editor = new EditorState(studio.client, studio.upload)
    await editor.loadModels()
    await editor.openFile(photo())
    expect(editor.scores).toBeNull() // the first picture is a preview
    refined(editor)
    await settle()
    editor.slide(4)
    await settle()
    expect(editor.scores).toEqual(SCORES)
    const from = studio.calls.length
    const draws = () => studio.calls.slice(from).map((c) => `${c.name.replace('editor.', '')} ${String(c.input.position)}`)
    editor.slide(1, false)
    await settle()
    // A preview: the picture moved, so the scores shown must not be the old picture's.
    expect([editor.view?.position, editor.scores]).toEqual([1, null])
    studio.hold(true)
    editor.slide(1.5, false)
    editor.slide(2, false)
    editor.slide(2, true) // let go while a preview is in flight: the render it owes wins
    studio.release()
    await settle()
    studio.hold(false)
    studio.release()
    await settle()
    expect(draws()).toEqual(['preview 1', 'preview 1.5', 'render 2'])
    expect([editor.view?.position, editor.scores]).toEqual([2, SCORES])
    // A bin picked on the strip is settled at once.
    editor.slide(5)
    await settle()
    expect(draws().at(-1)).toBe('render 5')
  })

  it('says why a call failed, clears the busy line, and keeps the preview when a render fails', async () => {
    const studio = scriptedStudio()
    const editor = new EditorState(studio.client, studio.upload)
    await editor.loadModels()
    studio.failing.set('editor.prepare', new StudioError('bad_input', 'Pick a face and a model first.'))
    await editor.openFile(photo())
    expect([editor.error, editor.action.busy, editor.prepared]).toEqual(['Pick a face and a model first.', '', null])
    studio.failing.delete('editor.prepare')
    await editor.prepare()
    expect(editor.error).toBe('')
    refined(editor)
    await settle()
    studio.failing.set('editor.render', new StudioError('internal', 'the worker stopped'))
    editor.slide(5)
    await settle()
    expect(editor.error).toBe('the worker stopped')
    expect(editor.view).toMatchObject({ position: 4 })
    studio.failing.set('editor.export', new StudioError('exists', 'out.png already exists.'))
    await editor.exportPhoto('png')
    expect([editor.action.taken, editor.exporting]).toEqual([true, false])
  })

  it('follows its own refinement: the time left from the pace, a preview at most once a second, render and strip at the end', async () => {
    const studio = scriptedStudio()
    let now = 0
    const editor = new EditorState(studio.client, studio.upload, () => now)
    await editor.loadModels()
    await editor.openFile(photo())
    const step = (iteration: number, state: EditorProgress['state'] = 'running', sessionId = 's-1') =>
      editor.onProgress({ sessionId, iteration, total: 60, loss: 0.5, state, error: null })
    const count = (name: string) => studio.names().filter((n) => n === name).length
    const [r, p, s] = [count('editor.render'), count('editor.preview'), count('editor.strip')]
    step(1)
    await settle()
    now = REFINE_PREVIEW_MS / 2
    step(2) // too soon after the last preview: refinement keeps the time
    await settle()
    expect([count('editor.preview') - p, editor.scores]).toEqual([1, null])
    now = 2000
    step(11)
    await settle()
    expect(count('editor.preview') - p).toBe(2)
    expect(editor.refineEta).toBeCloseTo(0.2 * 49)
    step(12, 'running', 'another-session')
    expect(editor.progress?.iteration).toBe(11)
    step(60, 'done')
    await settle()
    expect([count('editor.render') - r, count('editor.strip') - s, count('editor.preview') - p]).toEqual([1, 1, 2])
    expect(editor.scores).toEqual(SCORES)
    expect(editor.strip).toEqual([{ mode: 'residual' }])
    expect(editor.refineEta).toBeNull()
    // A failed refinement still leaves z0 (or the z it reached) to age: its strip comes too.
    await editor.prepare()
    expect(editor.strip).toEqual([])
    step(3, 'failed')
    await settle()
    expect([count('editor.strip') - s, editor.strip]).toEqual([2, [{ mode: 'residual' }]])
  })

  it('measures no scores while z still moves, so none appear and vanish; says when it measures', async () => {
    const studio = scriptedStudio()
    const editor = new EditorState(studio.client, studio.upload)
    await editor.loadModels()
    await editor.openFile(photo())
    expect(editor.progress?.state).toBe('running')
    const from = studio.calls.length
    editor.slide(5) // let go while refining: a preview, scores wait for the end
    editor.showRegion({ x: 0, y: 0, width: 100, height: 100 }, 400)
    await settle()
    expect(studio.calls.slice(from).map((c) => c.name)).not.toContain('editor.render')
    expect(editor.scores).toBeNull()
    studio.hold(true)
    refined(editor)
    await settle()
    expect(editor.measuring).toBe(true)
    studio.hold(false)
    studio.release()
    await settle()
    expect([editor.measuring, editor.scores]).toEqual([false, SCORES])
    // A drag begun while a render is in flight: once it answers, the preview that follows measures nothing.
    studio.hold(true)
    editor.slide(2)
    editor.slide(3, false)
    studio.release()
    await settle()
    expect(editor.measuring).toBe(false) // the preview is in flight now, not a measurement
    studio.hold(false)
    studio.release()
    await settle()
    expect([editor.measuring, editor.scores]).toEqual([false, null])
  })

  it('continues a stopped refinement from the current z instead of starting again', async () => {
    const studio = scriptedStudio()
    const editor = new EditorState(studio.client, studio.upload)
    await editor.loadModels()
    await editor.openFile(photo())
    refined(editor, 'stopped', 23)
    await settle()
    await editor.continueRefining()
    const refines = studio.calls.filter((c) => c.name === 'editor.refine')
    expect(refines.at(-1)!.input).toMatchObject({ from: 'continue', iterations: 60 })
    expect(editor.progress).toMatchObject({ state: 'running', iteration: 23 })
    expect(editor.scores).toBeNull()
    // Only a stopped refinement continues.
    await editor.continueRefining()
    expect(studio.calls.filter((c) => c.name === 'editor.refine')).toHaveLength(refines.length)
  })
})
