/**
 * Ageing a face in a real photo, the way the editor and batch both do it: find the faces, align
 * the chosen one into a 256 px master crop, settle its current age, then for any target age
 * render G and composite the change back into the full-resolution photo.
 */
import { basename, extname } from 'node:path'
import { version } from '../../../package.json'
import { ageToBin, AGE_BINS } from '../../shared/ageBins'
import { modelLimits, type ExportVerdict } from '../../shared/aging'
import { framingOf } from '../../shared/framing'
import type { Catalog } from '../catalog/catalog'
import { InputFileError, readRegularFile } from '../inputFiles'
import { sha256 } from '../catalog/files'
import { estimateFaceAge } from '../faces/ageEstimator'
import { alignFace, decodePhoto, findFaces, PhotoError, type PhotoFace, type PhotoFaces } from '../faces/photoFace'
import { SAME_PERSON_DISTANCE, type FaceRecognizer } from '../faces/recognizer'
import type { CropTransform } from '../faces/align'
import { applyFaceChange, faceChange, type CompositeMode } from './composite'
import type { Planes } from '../images/pyramid'
import { faceRegionBox, regionPng, viewPixels, type PhotoView, type RgbImage } from './faceRegion'
import { ageToPosition, positionToAge } from './condition'
import { headPose, type HeadPose } from '../faces/headPose'
import { FaceEdit, type FacePicture, type RenderedFace } from './faceEdit'
import type { AgingModel } from './model'
import { AgeError } from '../errors'
import type { Provenance, SourceFrom } from '../../shared/provenance'
import type { Box } from '../../shared/domain'
import { JUDGE_CALIBRATION } from '../../shared/evaluation'
import { Judges } from '../evaluation/judges'

/** The two identity scores every aged output carries. */
export type IdentityScores = Pick<RenderedFace, 'identityDistance' | 'independentSimilarity'>

/** The aligned crop the composite works in; the model sees it brought down to 64 px. */
export const MASTER_SIZE = 256

export interface OpenedPhoto {
  bytes: Uint8Array
  sha256: string
  name: string
  path: string | null
  found: PhotoFaces
  pixels?: { rgb: Uint8Array; width: number; height: number }
}

/** Photos above this size are refused before reading (the pixel limit is checked after). */
export const MAX_PHOTO_BYTES = 256 * 1024 ** 2

/** A photo's bytes; folders, devices, FIFOs and oversized files are refused with a reason. */
export function readPhotoFile(path: string): Uint8Array {
  try {
    return readRegularFile(path, MAX_PHOTO_BYTES)
  } catch (error) {
    throw error instanceof InputFileError ? new AgeError(error.sentence) : error
  }
}

/** A photo pipeline refusal in the user's terms (no face, not an image); anything else as it is. */
export function asAgeError(error: unknown, name: string): unknown {
  if (!(error instanceof PhotoError)) return error
  if (error.message === 'no face found') return new AgeError(`No face found in ${name}.`)
  // "not an image (unknown or corrupt format)" → "X is not an image Age Studio can read (unknown or corrupt format)."
  const why = /^not an image \((.*)\)$/.exec(error.message)?.[1] ?? error.message
  return new AgeError(`${name} is not an image Age Studio can read (${why}).`)
}

export async function openPhoto(bytes: Uint8Array, name: string, path: string | null): Promise<OpenedPhoto> {
  try {
    return { bytes, sha256: sha256(bytes), name, path, found: await findFaces(bytes) }
  } catch (error) {
    throw asAgeError(error, name)
  }
}

/** A photo's name without folder or extension, safe as part of an output file name. */
export function fileStem(name: string): string {
  return (
    basename(name, extname(name))
      .replace(/[^\w.-]+/g, '_')
      .slice(0, 60) || 'photo'
  )
}

export interface PreparedFace {
  photo: OpenedPhoto
  faceIndex: number
  aligned: PhotoFace
  edit: FaceEdit
  source: { age: number; position: number; from: SourceFrom }
  /** From the landmarks; null for an aligned crop taken as given. */
  pose: HeadPose | null
}

/**
 * The face's current age: as given, else what the catalog holds for the same photo bytes and the
 * same face (its label, or the estimate made at import), else estimated the way import does.
 */
async function sourceAge(
  catalog: Catalog,
  photo: OpenedPhoto,
  face: Box | null,
  crop: Uint8Array,
  size: number,
  given?: number,
): Promise<PreparedFace['source']> {
  const stored = given === undefined ? catalog.images.ageOf(photo.sha256) : undefined
  const sameFace = stored && (face === null || stored.faceBox === null || overlap(face, stored.faceBox) >= 0.5)
  const [age, from]: [number, SourceFrom] =
    given !== undefined
      ? [given, 'given']
      : stored && sameFace
        ? [stored.age, stored.ageSource === 'estimate' ? 'catalog estimate' : 'catalog label']
        : [await estimateFaceAge(crop, size), 'estimated']
  return { age, position: ageToPosition(age), from }
}

/** Intersection over union of two boxes. */
function overlap(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x))
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
  return (w * h) / (a.width * a.height + b.width * b.height - w * h)
}

export async function prepareFace(
  catalog: Catalog,
  photo: OpenedPhoto,
  faceIndex: number,
  model: AgingModel,
  recognizer: FaceRecognizer,
  givenAge?: number,
): Promise<PreparedFace> {
  const face = photo.found.faces[faceIndex]
  if (!face) throw new AgeError(`${photo.name} has ${photo.found.faces.length} face(s); there is no face ${faceIndex + 1}.`)
  const aligned = await alignFace(photo.bytes, photo.found, face, MASTER_SIZE)
  const source = await sourceAge(catalog, photo, face.box, aligned.crop, MASTER_SIZE, givenAge)
  const edit = await FaceEdit.create(model, recognizer, aligned.crop, MASTER_SIZE, source.position)
  return { photo, faceIndex, aligned, edit, source, pose: headPose(face.landmarks) }
}

/** A face whose aligned crop is given as is: no detection, no photo to composite into. */
export type GivenCrop = Omit<PreparedFace, 'aligned'> & { aligned: null }

/** An aligned crop at the model's size taken as the model's own input (`age-studio age` on an aligned face). */
export async function prepareGivenCrop(
  catalog: Catalog,
  photo: OpenedPhoto,
  rgb: Uint8Array,
  model: AgingModel,
  recognizer: FaceRecognizer,
  givenAge?: number,
): Promise<GivenCrop> {
  const source = await sourceAge(catalog, photo, null, rgb, model.imageSize, givenAge)
  const edit = await FaceEdit.create(model, recognizer, rgb, model.imageSize, source.position, 'full')
  return { photo, faceIndex: 0, aligned: null, edit, source, pose: null }
}

export interface AgeParameters {
  position: number
  variation: number
  spread: number
  mode: CompositeMode
  /** How much of the model's change goes in: 0 the photo as it is, 1 the change, 2 twice it. */
  strength: number
}

export interface AgedPhoto {
  rgb: Uint8Array
  width: number
  height: number
  rendered: RenderedFace
}

/** G's pictures at the asked age and the change they make to the aligned crop: what every composite applies. */
export interface FaceChange<P extends FacePicture = RenderedFace> {
  rendered: P
  change: Planes
}

/** The change `rendered` (G's pictures for these parameters: scored, or a preview's) makes to the aligned crop. */
export function renderChange<P extends FacePicture>({ aligned, edit }: PreparedFace, parameters: AgeParameters, rendered: P): FaceChange<P> {
  const change = scaled(
    parameters.strength,
    faceChange({
      original: aligned.crop,
      size: MASTER_SIZE,
      target: rendered.target,
      source: rendered.source,
      modelSize: edit.model.imageSize,
      mode: parameters.mode,
      framing: framingOf(edit.model.config),
    }),
  )
  return { rendered, change }
}

/** The change times the strength (1 as it is; 0 none at all, so the photo's pixels come back unchanged). */
function scaled(strength: number, change: Planes): Planes {
  if (strength !== 1) for (let i = 0; i < change.data.length; i++) change.data[i] *= strength
  return change
}

/**
 * The whole photo aged at full resolution. `rendered`: G's pictures when the caller drew several
 * ages in one batch; `into`: the previous output's buffer, reused once that output is written.
 */
export async function agedPhoto(
  prepared: PreparedFace,
  parameters: AgeParameters,
  { rendered, into }: { rendered?: RenderedFace; into?: Uint8Array } = {},
): Promise<AgedPhoto> {
  const { photo, aligned, edit } = prepared
  photo.pixels ??= await decodePhoto(photo.bytes)
  const made = renderChange(prepared, parameters, rendered ?? edit.render(parameters.position, parameters.variation, parameters.spread))
  const rgb = applyFaceChange(photo.pixels, made.change, aligned.transform, into)
  return { rgb, width: photo.pixels.width, height: photo.pixels.height, rendered: made.rendered }
}

/**
 * The face change drawn straight into a view of the photo as shown (its region, at its scale),
 * without compositing the whole full-resolution photo and scaling it down: the editor's photo
 * view on every slider move, and every face region below. At scale 1 the pixels are the full
 * composite's; scaled, they are the change resampled once.
 */
export function agedView(prepared: PreparedFace, { change }: Pick<FaceChange, 'change'>, shown: RgbImage, { region, scale }: PhotoView): Uint8Array {
  const [a, b, c, d, e, f] = prepared.aligned.transform
  const inView: CropTransform = [a * scale, b * scale, (c - region.x) * scale, d * scale, e * scale, (f - region.y) * scale]
  return applyFaceChange(shown, change, inView)
}

type ShownRegion = { shown: RgbImage; at: PhotoView }
const shownRegions = new WeakMap<PreparedFace, Map<number, Promise<ShownRegion>>>()

/** The face region of the photo (what the aligned crop covers) as shown side×side; kept per face and side. */
export function shownFaceRegion(prepared: PreparedFace, side: number): Promise<ShownRegion> {
  const bySide = shownRegions.get(prepared) ?? new Map<number, Promise<ShownRegion>>()
  shownRegions.set(prepared, bySide)
  let made = bySide.get(side)
  if (!made) {
    made = (async () => {
      const pixels = (prepared.photo.pixels ??= await decodePhoto(prepared.photo.bytes))
      const box = faceRegionBox(prepared.aligned.transform, MASTER_SIZE, pixels.width, pixels.height)
      const at: PhotoView = { region: { x: box.left, y: box.top, width: box.width, height: box.height }, scale: side / Math.max(box.width, box.height) }
      return { shown: await viewPixels(pixels, at), at }
    })()
    bySide.set(side, made)
  }
  return made
}

/** The face region, aged, as a side×side PNG (letterboxed in black): strip, variations, the editor's after. */
export async function agedFaceRegion(prepared: PreparedFace, made: Pick<FaceChange, 'change'>, side: number): Promise<Buffer> {
  const { shown, at } = await shownFaceRegion(prepared, side)
  return regionPng({ ...shown, rgb: agedView(prepared, made, shown, at) }, side)
}

/** The parameters of one output; `mode` null when G's output is written as it is, not composited. */
export type ProvenanceParameters = Omit<AgeParameters, 'mode'> & { mode: CompositeMode | null }

export interface ProvenanceContext {
  jobId: string
  kind: Provenance['kind']
  backend: string
  optimize: { mode: string; iterationsRequested: number; iterationsDone: number }
}

/** What an exported image says about itself: input, model, parameters, identity score, time. */
export function provenanceRecord(
  prepared: PreparedFace | GivenCrop,
  parameters: ProvenanceParameters,
  scores: IdentityScores,
  context: ProvenanceContext,
  exported?: ExportVerdict,
): Provenance {
  const { identityDistance, independentSimilarity } = scores
  const { photo, aligned, edit, source } = prepared
  const { run, checkpoint, modelHash, imageSize } = edit.model
  const targetAge = positionToAge(parameters.position)
  return {
    tool: `Age Studio ${version}`,
    kind: context.kind,
    jobId: context.jobId,
    createdAt: new Date().toISOString(),
    input: {
      name: photo.name,
      path: photo.path,
      sha256: photo.sha256,
      width: photo.found.width,
      height: photo.found.height,
      face: aligned && {
        index: prepared.faceIndex,
        of: photo.found.faces.length,
        box: aligned.face.box,
        score: aligned.face.score,
        transform: aligned.transform,
        ...(prepared.pose && { yaw: prepared.pose.yaw }),
      },
    },
    model: {
      hash: modelHash,
      runId: run.id,
      origin: run.origin,
      preset: run.preset,
      seed: run.seed,
      imageSize,
      checkpoint: { id: checkpoint.id, phase: checkpoint.phase, step: checkpoint.step },
    },
    parameters: {
      targetAge: Math.round(targetAge * 10) / 10,
      position: parameters.position,
      bin: AGE_BINS[ageToBin(Math.round(targetAge)) ?? 0],
      variation: parameters.variation,
      spread: parameters.spread,
      strength: parameters.strength,
      composite: parameters.mode,
      sourceAge: source.age,
      sourceFrom: source.from,
      optimize: context.optimize,
    },
    identity: {
      distance: identityDistance,
      threshold: SAME_PERSON_DISTANCE,
      samePerson: identityDistance < SAME_PERSON_DISTANCE,
      independent: {
        judge: JUDGE_CALIBRATION.judges,
        similarity: independentSimilarity,
        threshold: JUDGE_CALIBRATION.identityThreshold,
        samePerson: Judges.verified(independentSimilarity),
      },
      ...(exported && { exported }),
    },
    backend: context.backend,
    limits: modelLimits(imageSize),
  }
}
