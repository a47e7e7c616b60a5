/**
 * The age editor's engine side: one session per opened photo, holding the detected faces, the
 * prepared face (aligned crop, z0 and the refined z) and its model. Runs in the aging worker;
 * refinement goes on in the background and reports progress while renders are still answered.
 */
import { turnedSentence } from '../faces/headPose'
import { randomUUID } from 'node:crypto'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { AGE_BINS, BIN_COUNT } from '../../shared/ageBins'
import type {
  CompositeMode,
  EditorExport,
  EditorOpened,
  EditorPrepared,
  EditorPreview,
  EditorProgress,
  EditorRender,
  EditorStripItem,
  EditorVariation,
  ExportFormat,
  ModelInfo,
  OptimizeMode,
  PhotoRegion,
} from '../../shared/aging'
import type { Catalog } from '../catalog/catalog'
import { sha256, writeFileAtomic } from '../catalog/files'
import { FaceRecognizer, SAME_PERSON_DISTANCE } from '../faces/recognizer'
import { decodePhoto } from '../faces/photoFace'
import { Judges } from '../evaluation/judges'
import { dataUrl, rgbToPng } from '../images/encode'
import { encodeWithProvenance } from '../images/provenanceTag'
import {
  agedFaceRegion,
  agedPhoto,
  agedView,
  renderChange,
  shownFaceRegion,
  fileStem,
  MASTER_SIZE,
  openPhoto,
  readPhotoFile,
  prepareFace,
  provenanceRecord,
  type AgeParameters,
  type OpenedPhoto,
  type PreparedFace,
} from './agePhoto'
import { positionToAge } from './condition'
import type { FacePicture } from './faceEdit'
import { photoView, regionPng, viewJpeg, viewPixels, type PhotoView } from './faceRegion'
import { loadAgingModel, type AgingModel } from './model'
import { AgeError, NotFound } from '../errors'
import { judgeAgedPhoto } from './exportVerdict'

/** A look and the part of the photo to show it in (photo pixels, longest side sent); default the whole photo at 1200. */
type ViewedLook = AgeParameters & { view?: PhotoRegion & { maxSide: number } }

const PICKER_SIDE = 1024
const REGION_SIDE = 320
/** The strip's composited faces: six across a row, so smaller. */
const STRIP_SIDE = 192

/** The photo's session is gone (closed, or the studio restarted). */
export class SessionMissing extends NotFound {}

interface Session {
  photo: OpenedPhoto
  prepared?: PreparedFace
  refining?: AbortController
  /** Settles when the current refinement has ended; a new one waits for it. */
  refined: Promise<void>
  optimize: { mode: OptimizeMode; iterationsRequested: number; iterationsDone: number }
  /** The unchanged photo as the last render's view showed it: the same for every slider move. */
  before?: { view: string; shown: { rgb: Uint8Array; width: number; height: number }; at: PhotoView; photo: string; face: string }
}

export class EditorSessions {
  private readonly sessions = new Map<string, Session>()
  private readonly models = new Map<string, Promise<AgingModel>>()
  private recognizer?: Promise<FaceRecognizer>

  constructor(
    private readonly home: string,
    private readonly catalog: Catalog,
    private readonly backend: string,
    private readonly emit: (progress: EditorProgress) => void,
  ) {}

  private session(id: string): Session {
    const session = this.sessions.get(id)
    if (!session) throw new SessionMissing(`There is no open photo ${id}; open it again.`)
    return session
  }

  private prepared(id: string): PreparedFace {
    const prepared = this.session(id).prepared
    if (!prepared) throw new AgeError('Pick a face and a model first.')
    return prepared
  }

  private model(runId: string, checkpointId?: number): Promise<AgingModel> {
    const key = `${runId}:${checkpointId ?? 'latest'}`
    let model = this.models.get(key)
    if (!model) {
      model = loadAgingModel(this.home, this.catalog, runId, checkpointId)
      model.catch(() => this.models.delete(key))
      this.models.set(key, model)
    }
    return model
  }

  async open(path: string, name = basename(path)): Promise<EditorOpened> {
    const photo = await openPhoto(readPhotoFile(path), name, path)
    const sessionId = randomUUID()
    this.sessions.set(sessionId, { photo, refined: Promise.resolve(), optimize: { mode: 'none', iterationsRequested: 0, iterationsDone: 0 } })
    const { width, height, faces } = photo.found
    const preview = await sharp(photo.bytes)
      .rotate()
      .resize(PICKER_SIDE, PICKER_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 85 })
      .toBuffer({ resolveWithObject: true })
    return {
      sessionId,
      name,
      width,
      height,
      faces: faces.map((f) => ({ box: f.box, score: f.score })),
      photo: dataUrl(preview.data, 'image/jpeg'),
      previewScale: preview.info.width / width,
    }
  }

  async prepare(sessionId: string, faceIndex: number, runId: string, checkpointId?: number, sourceAge?: number): Promise<EditorPrepared> {
    const session = this.session(sessionId)
    session.refining?.abort()
    await session.refined
    const model = await this.model(runId, checkpointId)
    this.recognizer ??= FaceRecognizer.load()
    const prepared = await prepareFace(this.catalog, session.photo, faceIndex, model, await this.recognizer, sourceAge)
    session.prepared?.edit.dispose()
    session.prepared = prepared
    session.optimize = { mode: 'none', iterationsRequested: 0, iterationsDone: 0 }
    const crop = await rgbToPng({ data: prepared.aligned.crop, width: MASTER_SIZE, height: MASTER_SIZE })
    const pose = prepared.pose!
    return {
      sessionId,
      faceIndex,
      source: prepared.source,
      crop: dataUrl(crop),
      model: modelInfo(model),
      pose: { ...pose, warning: pose.turned ? turnedSentence(pose) : null },
    }
  }

  /**
   * Starts identity-preserving refinement in the background; progress comes as events.
   * `continue`: go on from the current z after a Stop, up to `iterations` steps in all.
   */
  refine(sessionId: string, mode: OptimizeMode, iterations: number, from: 'start' | 'continue' = 'start'): { started: boolean } {
    const session = this.session(sessionId)
    const prepared = this.prepared(sessionId)
    session.refining?.abort()
    const goOn = from === 'continue' && session.optimize.mode === mode && prepared.edit.refinedIterations > 0
    if (goOn && prepared.edit.refinedIterations >= iterations)
      throw new AgeError(
        `Refinement has already taken ${prepared.edit.refinedIterations} of ${iterations} steps; start it again to refine from the encoder's z.`,
      )
    const controller = new AbortController()
    session.refining = controller
    session.optimize = { mode, iterationsRequested: iterations, iterationsDone: 0 }
    const report = (iteration: number, loss: number | null, state: EditorProgress['state'], error: string | null = null) =>
      this.emit({ sessionId, iteration, total: iterations, loss, state, error })
    session.refined = session.refined
      .then(() => {
        // Counted once the refinement it follows has ended: a stopped one may still take a step.
        const done = goOn ? Math.min(prepared.edit.refinedIterations, iterations) : 0
        return prepared.edit.refine(mode, iterations - done, (i, loss) => report(i, loss, 'running'), controller.signal, goOn ? 'current' : 'z0')
      })
      .then(
        (outcome) => {
          session.optimize.iterationsDone = outcome.iterations
          report(outcome.iterations, outcome.losses.at(-1) ?? null, outcome.stoppedEarly ? 'stopped' : 'done')
        },
        (error: Error) => report(0, null, 'failed', error.message),
      )
      .finally(() => {
        if (session.refining === controller) session.refining = undefined
      })
    return { started: true }
  }

  stop(sessionId: string): { stopped: boolean } {
    const session = this.session(sessionId)
    const running = session.refining !== undefined
    session.refining?.abort()
    return { stopped: running }
  }

  /** The settled view: pictures and both identity scores of this picture (after a slider is let go, refinement's end). */
  async render(sessionId: string, parameters: ViewedLook): Promise<EditorRender> {
    const prepared = this.prepared(sessionId)
    const rendered = prepared.edit.render(parameters.position, parameters.variation, parameters.spread)
    const pictures = await this.draw(sessionId, parameters, rendered)
    // The verdict is on the photo as it would export at this look, not on G's window.
    const exported = await judgeAgedPhoto(prepared, await agedPhoto(prepared, parameters, { rendered }))
    return {
      ...pictures,
      identityDistance: rendered.identityDistance,
      samePerson: rendered.identityDistance < SAME_PERSON_DISTANCE,
      independentSimilarity: rendered.independentSimilarity,
      independentSamePerson: Judges.verified(rendered.independentSimilarity),
      exported,
    }
  }

  /** The same pictures without the recognizer and the judge: while the slider moves and refinement runs. */
  async preview(sessionId: string, parameters: ViewedLook): Promise<EditorPreview> {
    const prepared = this.prepared(sessionId)
    return this.draw(sessionId, parameters, prepared.edit.picture(parameters.position, parameters.variation, parameters.spread))
  }

  /** One picture of G drawn into the photo view and the face region as they are shown. */
  private async draw(sessionId: string, parameters: ViewedLook, picture: FacePicture): Promise<EditorPreview> {
    const session = this.session(sessionId)
    const prepared = this.prepared(sessionId)
    const pixels = (prepared.photo.pixels ??= await decodePhoto(prepared.photo.bytes))
    const view = parameters.view ?? { x: 0, y: 0, width: pixels.width, height: pixels.height, maxSide: 1200 }
    const viewKey = `${prepared.photo.sha256}:${prepared.faceIndex}:${JSON.stringify(view)}`
    if (session.before?.view !== viewKey) {
      const at = photoView(pixels, view, view.maxSide)
      const shown = await viewPixels(pixels, at)
      const region = await shownFaceRegion(prepared, REGION_SIDE)
      const [photo, face] = await Promise.all([viewJpeg(shown), regionPng(region.shown, REGION_SIDE)])
      session.before = { view: viewKey, shown, at, photo: dataUrl(photo, 'image/jpeg'), face: dataUrl(face) }
    }
    const before = session.before
    const { shown, at } = before
    const made = renderChange(prepared, parameters, picture)
    const [after, face] = await Promise.all([viewJpeg({ ...shown, rgb: agedView(prepared, made, shown, at) }), agedFaceRegion(prepared, made, REGION_SIDE)])
    return {
      photo: { width: pixels.width, height: pixels.height, region: at.region, scale: at.scale, before: before.photo, after: dataUrl(after, 'image/jpeg') },
      position: parameters.position,
      age: positionToAge(parameters.position),
      face: await this.generated(prepared, picture),
      before: before.face,
      after: dataUrl(face),
      refinedIterations: prepared.edit.refinedIterations,
    }
  }

  /** G's own picture, as the editor shows it beside the composite. */
  private async generated(prepared: PreparedFace, rendered: FacePicture): Promise<string> {
    const size = prepared.edit.model.imageSize
    return dataUrl(await rgbToPng({ data: toBytes(rendered.target), width: size, height: size }))
  }

  /** Several looks in one batched render, each drawn into the face region as shown. */
  private async faces(prepared: PreparedFace, looks: AgeParameters[], side: number) {
    const rendered = prepared.edit.renderMany(looks, looks[0]?.spread)
    return Promise.all(
      looks.map(async (look, i) => {
        const made = renderChange(prepared, look, rendered[i])
        return { face: await this.generated(prepared, made.rendered), after: dataUrl(await agedFaceRegion(prepared, made, side)), rendered: made.rendered }
      }),
    )
  }

  /** Every bin at once, from the same z, composited into the photo as an export would be. */
  async strip(sessionId: string, variation: number, spread: number, mode: CompositeMode = 'residual', strength = 1): Promise<EditorStripItem[]> {
    const looks = Array.from({ length: BIN_COUNT }, (_, bin) => ({ position: bin, variation, spread, mode, strength }))
    const faces = await this.faces(this.prepared(sessionId), looks, STRIP_SIDE)
    return faces.map(({ face, after, rendered }, bin) => ({
      bin,
      label: AGE_BINS[bin],
      age: positionToAge(bin),
      face,
      after,
      identityDistance: rendered.identityDistance,
      independentSimilarity: rendered.independentSimilarity,
    }))
  }

  async variations(sessionId: string, parameters: Omit<AgeParameters, 'variation'>, count: number): Promise<EditorVariation[]> {
    const looks = Array.from({ length: count }, (_, variation) => ({ ...parameters, variation }))
    const faces = await this.faces(this.prepared(sessionId), looks, REGION_SIDE)
    return faces.map(({ face, after, rendered }, variation) => ({
      variation,
      face,
      after,
      identityDistance: rendered.identityDistance,
      independentSimilarity: rendered.independentSimilarity,
    }))
  }

  /** The full-resolution composite as PNG or JPEG with provenance inside; recorded in the catalog. */
  async export(sessionId: string, parameters: AgeParameters, format: ExportFormat, outDir?: string): Promise<EditorExport> {
    const session = this.session(sessionId)
    const prepared = this.prepared(sessionId)
    const aged = await agedPhoto(prepared, parameters)
    const jobId = randomUUID()
    const optimize = { ...session.optimize, iterationsDone: prepared.edit.refinedIterations }
    const verdict = await judgeAgedPhoto(prepared, aged)
    const provenance = provenanceRecord(prepared, parameters, aged.rendered, { jobId, kind: 'editor', backend: this.backend, optimize }, verdict)
    const bytes = await encodeWithProvenance(aged.rgb, aged.width, aged.height, format, provenance)
    const age = Math.round(positionToAge(parameters.position))
    const stem = fileStem(prepared.photo.name)
    const folder = outDir ?? join(this.home, 'exports', new Date().toISOString().slice(0, 10))
    const file = join(
      folder,
      `${stem}-age${age}${parameters.variation ? `-v${parameters.variation}` : ''}-${jobId.slice(0, 8)}.${format === 'jpeg' ? 'jpg' : 'png'}`,
    )
    await writeFileAtomic(file, bytes)
    const hash = sha256(bytes)
    const { model } = prepared.edit
    this.catalog.agingJobs.record(
      { id: jobId, kind: 'single', checkpointId: model.checkpoint.id, modelHash: model.modelHash, params: provenance.parameters, outDir: folder },
      [
        {
          jobId,
          inputPath: prepared.photo.path ?? prepared.photo.name,
          inputSha256: prepared.photo.sha256,
          targetAge: positionToAge(parameters.position),
          variation: parameters.variation,
          outputFile: file,
          outputSha256: hash,
          identityDistance: aged.rendered.identityDistance,
          provenance,
        },
      ],
    )
    return { file, sha256: hash, width: aged.width, height: aged.height, format, jobId, verdict }
  }

  close(sessionId: string): { closed: boolean } {
    const session = this.sessions.get(sessionId)
    session?.refining?.abort()
    session?.prepared?.edit.dispose()
    return { closed: this.sessions.delete(sessionId) }
  }
}

const toBytes = (pixels: Float32Array) => Uint8Array.from(pixels, (v) => Math.round(v))

export function modelInfo(model: AgingModel): ModelInfo {
  return {
    runId: model.run.id,
    runName: model.run.name,
    checkpointId: model.checkpoint.id,
    phase: model.checkpoint.phase,
    step: model.checkpoint.step,
    preset: model.run.preset,
    origin: model.run.origin,
    runStatus: model.run.status,
    createdAt: model.checkpoint.createdAt,
    imageSize: model.imageSize,
    modelHash: model.modelHash,
  }
}
