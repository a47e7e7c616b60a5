/**
 * The age editor's state and its calls, out of the component: open a photo, pick a face, show the
 * instant z0 preview, start refinement, follow it, re-draw on every slider move (one call in
 * flight), the six-bin strip, variations and export. Editor.svelte only lays it out. While the
 * slider moves or refinement runs the pictures come as previews (no identity scores: half the
 * work); the scores are measured once the slider is let go or refinement has ended.
 */
import { REFINE_PREVIEW_MS, REFINEMENT } from '$shared/aging'
import type {
  AgingModelChoice,
  CompositeMode,
  EditorExport,
  EditorOpened,
  EditorPrepared,
  EditorPreview,
  EditorProgress,
  EditorScores,
  EditorStripItem,
  EditorVariation,
  ExportFormat,
  PhotoRegion,
} from '$shared/aging'
import type { StudioClient } from '$shared/contract'
import { Action } from './action.svelte'
import { defaultModel } from './modelChoice'
import { RefineEta } from './refineEta'
import type { ModelRef } from './navigation'

/** Refinement steps the editor asks for. */
export const REFINE_ITERATIONS = REFINEMENT.iterations

export { REFINE_PREVIEW_MS }

/** A preview draws the pictures; a render also measures both identity scores. */
type Draw = 'preview' | 'render'

export type Upload = (file: File, onProgress?: (fraction: number) => void) => Promise<string>

const matches = (m: AgingModelChoice, ref: ModelRef | null) =>
  ref !== null && m.runId === ref.runId && (ref.checkpointId === undefined || m.checkpointId === ref.checkpointId)

export class EditorState {
  models = $state<AgingModelChoice[]>([])
  model = $state<AgingModelChoice | null>(null)
  opened = $state<EditorOpened | null>(null)
  faceIndex = $state<number | null>(null)
  prepared = $state<EditorPrepared | null>(null)
  view = $state<EditorPreview | null>(null)
  /** The shown picture's identity scores; null while they wait for the slider to stop or refinement to end. */
  scores = $state<EditorScores | null>(null)
  strip = $state<EditorStripItem[]>([])
  variations = $state<EditorVariation[]>([])
  progress = $state<EditorProgress | null>(null)
  /** Seconds of refinement left, from the recent pace (RefineEta). */
  refineEta = $state<number | null>(null)
  /** A render (pictures and scores) is on its way: the scores are being measured. */
  measuring = $state(false)
  exported = $state<EditorExport | null>(null)
  position = $state(4)
  variation = $state(0)
  mode = $state<CompositeMode>('residual')
  /** How much of the model's change goes in: 0 the photo as it is, 1 as drawn, 2 twice it. */
  strength = $state(1)
  /** The face's age now: the user's, else what prepare settled. */
  sourceAge = $state<number | null>(null)
  exporting = $state(false)
  readonly action = new Action()
  /** Render failures show here too, without clearing what is on screen. */
  renderError = $state('')

  /** What the photo view shows (photo pixels) and at what size; undefined = the whole photo. */
  private viewRequest: (PhotoRegion & { maxSide: number }) | undefined
  private readonly eta = new RefineEta()
  private rendering = false
  /** The draw still owed: a render wins over a preview. */
  private owed: Draw | null = null
  private lastRefinePreview = -Infinity

  constructor(
    private readonly studio: StudioClient,
    private readonly upload: Upload,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get error(): string {
    return this.action.error || this.renderError
  }

  /** Reloads the list, keeping the chosen model unless another is asked for. */
  async loadModels(prefer: ModelRef | null = null): Promise<void> {
    this.models = await this.studio.call('editor.models', {})
    this.model = this.models.find((m) => matches(m, prefer)) ?? this.models.find((m) => matches(m, this.model)) ?? defaultModel(this.models)
  }

  selectModel(model: AgingModelChoice): Promise<void> {
    this.model = model
    return this.prepare()
  }

  async openFile(file: File): Promise<void> {
    await this.action.attempt(`sending ${file.name}…`, async () => {
      this.close()
      this.reset()
      const uploadId = await this.upload(file, (f) => (this.action.busy = `sending ${file.name}… ${Math.round(f * 100)}%`))
      this.action.busy = 'finding faces…'
      this.opened = await this.studio.call('editor.open', { uploadId })
    })
    if (this.opened?.faces.length === 1) await this.pick(0)
  }

  async pick(index: number): Promise<void> {
    this.faceIndex = index
    await this.prepare()
  }

  /** Aligns the face, encodes z0 and shows the instant preview; refinement then starts. */
  async prepare(): Promise<void> {
    const { opened, faceIndex, model } = this
    if (!opened || faceIndex === null || !model) return
    await this.action.attempt('aligning and encoding…', async () => {
      const input = { sessionId: opened.sessionId, faceIndex, runId: model.runId, checkpointId: model.checkpointId }
      const prepared = await this.studio.call('editor.prepare', this.sourceAge === null ? input : { ...input, sourceAge: this.sourceAge })
      this.prepared = prepared
      this.sourceAge = prepared.source.age
      this.variations = []
      this.exported = null
      // The first picture is a preview and the strip waits for refinement's end: z0's scores and
      // strip would be replaced within seconds, and computing them delays refinement by ~0.8 s.
      this.strip = []
      this.progress = { sessionId: prepared.sessionId, iteration: 0, total: REFINE_ITERATIONS, loss: null, state: 'running', error: null }
      this.eta.reset()
      await this.render('preview')
      await this.studio.call('editor.refine', { sessionId: prepared.sessionId, mode: 'identity', iterations: REFINE_ITERATIONS })
    })
  }

  /** After a Stop: refinement goes on from the current z for the steps it has left. */
  async continueRefining(): Promise<void> {
    const { prepared, progress } = this
    if (!prepared || progress?.state !== 'stopped') return
    await this.action.attempt('', async () => {
      this.progress = { ...progress, state: 'running', error: null }
      this.scores = null
      this.eta.reset()
      await this.studio.call('editor.refine', { sessionId: prepared.sessionId, mode: 'identity', iterations: REFINE_ITERATIONS, from: 'continue' })
    })
  }

  /** One call in flight; moves made meanwhile collapse into one more with the latest values. */
  async render(kind: Draw = 'render'): Promise<void> {
    if (!this.prepared) return
    // While z still moves, scores would be stale within a second: only previews until refinement ends.
    if (this.progress?.state === 'running') kind = 'preview'
    this.owed = kind === 'render' || this.owed === 'render' ? 'render' : 'preview'
    if (this.rendering) return
    this.rendering = true
    try {
      while (this.owed && this.prepared) {
        const draw = this.owed
        this.owed = null
        const { position, variation, mode, strength, viewRequest } = this
        const request = { sessionId: this.prepared.sessionId, position, variation, mode, strength, view: viewRequest }
        this.measuring = draw === 'render'
        if (draw === 'render') {
          const { identityDistance, samePerson, independentSimilarity, independentSamePerson, exported, ...pictures } = await this.studio.call(
            'editor.render',
            request,
          )
          ;[this.view, this.scores] = [pictures, { identityDistance, samePerson, independentSimilarity, independentSamePerson, exported }]
        } else {
          ;[this.view, this.scores] = [await this.studio.call('editor.preview', request), null]
        }
        this.renderError = ''
      }
    } catch (e) {
      this.renderError = (e as Error).message
    } finally {
      this.rendering = false
      this.measuring = false
    }
  }

  /** `settled`: the slider was let go (or a bin picked): measure the scores too. */
  slide(to: number, settled = true): void {
    this.position = to
    this.exported = null
    void this.render(settled ? 'render' : 'preview')
  }

  setMode(mode: CompositeMode): void {
    this.mode = mode
    void this.render()
    void this.loadStrip()
  }

  /** `settled`: the control was let go: measure the verdict and redraw the strip too. */
  setStrength(strength: number, settled = true): void {
    this.strength = strength
    this.exported = null
    void this.render(settled ? 'render' : 'preview')
    if (settled) void this.loadStrip()
  }

  selectVariation(variation: number): void {
    this.variation = variation
    this.exported = null
    void this.render()
  }

  /** The photo view moved or zoomed: render what it shows, at its size. */
  showRegion(region: PhotoRegion, maxSide: number): void {
    this.viewRequest = { ...region, maxSide }
    void this.render()
  }

  /** The six bins composited into the photo, for the current composite mode. */
  async loadStrip(): Promise<void> {
    if (this.prepared)
      this.strip = await this.studio.call('editor.strip', { sessionId: this.prepared.sessionId, variation: 0, mode: this.mode, strength: this.strength })
  }

  async showVariations(): Promise<void> {
    const prepared = this.prepared
    if (!prepared) return
    await this.action.attempt('drawing variations…', async () => {
      this.variations = await this.studio.call('editor.variations', {
        sessionId: prepared.sessionId,
        position: this.position,
        mode: this.mode,
        strength: this.strength,
        count: 4,
      })
    })
  }

  async exportPhoto(format: ExportFormat): Promise<void> {
    const prepared = this.prepared
    if (!prepared) return
    this.exporting = true
    await this.action.attempt('', async () => {
      this.exported = await this.studio.call('editor.export', {
        sessionId: prepared.sessionId,
        position: this.position,
        variation: this.variation,
        mode: this.mode,
        strength: this.strength,
        format,
      })
    })
    this.exporting = false
  }

  stopRefining(): void {
    if (this.prepared) void this.studio.call('editor.stop', { sessionId: this.prepared.sessionId })
  }

  /** editor.progress: follow this face's refinement (a preview from the newer z, at most once a REFINE_PREVIEW_MS), render and strip at its end (done, stopped or failed). */
  onProgress(p: EditorProgress): void {
    if (!this.prepared || p.sessionId !== this.prepared.sessionId) return
    this.progress = p
    this.refineEta = p.state === 'running' ? this.eta.update(this.now(), p.iteration, p.total) : null
    if (p.state !== 'running') void this.render()
    else if (this.now() - this.lastRefinePreview >= REFINE_PREVIEW_MS) {
      this.lastRefinePreview = this.now()
      void this.render('preview')
    }
    if (p.state !== 'running') void this.loadStrip()
  }

  /** Ends the photo's session in the studio (its worker holds the photo and the latents). */
  close(): void {
    if (this.opened) void this.studio.call('editor.close', { sessionId: this.opened.sessionId })
  }

  private reset(): void {
    this.opened = this.prepared = this.view = this.scores = this.exported = this.progress = null
    this.faceIndex = this.sourceAge = null
    this.strip = []
    this.variations = []
    this.renderError = ''
    // A new photo opens fitted (its view starts at Fit): the last photo's 1:1 region is another person.
    this.viewRequest = undefined
  }
}
