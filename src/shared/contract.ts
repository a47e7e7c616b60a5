/**
 * The one API contract. Both transports (Electron IPC and web-mode WebSocket) carry exactly
 * these calls and events; the engine implements them once (engine/api/handlers.ts).
 * No Node, Electron or DOM imports here: this file is bundled into every process.
 */
import { z } from 'zod'
import type {
  AppInfo,
  DatasetSummary,
  DemoResult,
  ImageDetail,
  ImagePage,
  ImportReport,
  JobFinished,
  JobProgress,
  LibraryStats,
  MetricRow,
  RunDetail,
  RunStatus,
  RunSummary,
} from './domain'
import { AGE_SOURCES, IMAGE_SORTS, IMAGE_STATUSES, IMPORT_FORMATS, SPLITS } from './domain'
import { BIN_COUNT, MAX_AGE } from './ageBins'
import { TrainConfigSchema, type Phase, type RunProgress } from './training'
import {
  BatchRequestSchema,
  COMPOSITE_MODES,
  DEFAULT_SPREAD,
  EXPORT_FORMATS,
  OPTIMIZE_MODES,
  REFINEMENT,
  type AgingModelChoice,
  type BatchReport,
  type EditorExport,
  type EditorOpened,
  type EditorPrepared,
  type EditorProgress,
  type EditorPreview,
  type EditorRender,
  type EditorStripItem,
  type EditorVariation,
  type ModelExport,
  type ModelImport,
  type OutputFile,
} from './aging'
import { EvaluateRequestSchema, type EvaluationSummary } from './evaluation'

/** A call: its input schema, and its result type as a phantom. */
function defineCall<I extends z.ZodType>(input: I) {
  return { returns: <R>() => ({ input, result: undefined as unknown as R }) }
}

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER)
const Bin = z
  .number()
  .int()
  .min(0)
  .max(BIN_COUNT - 1)
const Empty = z.object({}).strict()
const RunId = z.string().regex(/^run-[\w-]{1,60}$/, 'a run id looks like run-20260101120000-abc123')
const RunRef = z.object({ runId: RunId }).strict()

const Age = z.number().int().min(0).max(MAX_AGE)
const Fraction = z.number().min(0).max(0.5)
/** The Library's filters; list adds the bin. */
const ImageFilters = {
  datasetId: Id.optional(),
  split: z.enum(SPLITS).optional(),
  ageSource: z.enum([...AGE_SOURCES, 'none']).optional(),
  status: z.enum(IMAGE_STATUSES).default('all'),
}
const Sort = z.enum(IMAGE_SORTS).default('imported')
const SplitPlan = { seed: z.number().int().min(0).max(0xffffffff).default(0), val: Fraction.default(0.1), test: Fraction.default(0.1) }

const UploadId = z.string().uuid()
const SessionId = z.string().uuid()
const Path = z.string().min(1).max(4096)
/** A file by path (desktop, CLI) or by a finished upload (web mode). */
const FileRef = z.union([z.object({ path: Path }).strict(), z.object({ uploadId: UploadId }).strict()])
const Position = z
  .number()
  .min(0)
  .max(BIN_COUNT - 1)
/** How a face is aged and put back: the knobs render, variations and export share. */
const Look = {
  sessionId: SessionId,
  position: Position,
  spread: z.number().min(0).max(2).default(DEFAULT_SPREAD),
  mode: z.enum(COMPOSITE_MODES).default('residual'),
  strength: z.number().min(0).max(2).default(1),
}
const Variation = z.number().int().min(0).max(64).default(0)
const Pixels = z.number().int().min(0).max(100_000)
const ViewRequest = z
  .object({ x: Pixels, y: Pixels, width: Pixels.min(1), height: Pixels.min(1), maxSide: z.number().int().min(64).max(2048).default(1200) })
  .strict()
/** 512 KiB of bytes as base64, well under web mode's 1 MiB message cap. */
export const UPLOAD_CHUNK_BYTES = 512 * 1024

/** Caps the demo size so a typo cannot fill a disk (6 bins × 5,000). */
export const MAX_DEMO_COUNT = 30_000

export const calls = {
  'app.info': defineCall(Empty).returns<AppInfo>(),
  'library.datasets': defineCall(Empty).returns<DatasetSummary[]>(),
  'library.stats': defineCall(z.object(ImageFilters).strict()).returns<LibraryStats>(),
  'library.list': defineCall(
    z
      .object({
        bin: Bin.nullable().default(null),
        ...ImageFilters,
        sort: Sort,
        offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
  ).returns<ImagePage>(),
  /** The ids matching a filter, for "select all" before a bulk edit. */
  'library.ids': defineCall(z.object({ bin: Bin.nullable().default(null), ...ImageFilters, sort: Sort }).strict()).returns<number[]>(),
  'library.image': defineCall(z.object({ id: Id }).strict()).returns<ImageDetail>(),
  'library.createDemo': defineCall(
    z
      .object({
        count: z.number().int().min(6).max(MAX_DEMO_COUNT).default(600),
        seed: z.number().int().min(0).max(0xffffffff).default(1),
      })
      .strict(),
  ).returns<DemoResult>(),
  'library.import': defineCall(
    z
      .object({
        paths: z.array(z.string().min(1).max(4096)).min(1).max(100),
        format: z.enum(IMPORT_FORMATS).default('auto'),
        dataset: z.string().trim().min(1).max(100).optional(),
        estimateAges: z.boolean().default(false),
        ...SplitPlan,
      })
      .strict(),
  ).returns<ImportReport>(),
  'library.update': defineCall(
    z
      .object({
        ids: z.array(Id).min(1).max(100_000),
        /** reviewed: someone looked at the flagged images and keeps them as they are; clears their flags. */
        patch: z.union([
          z.object({ age: Age }).strict(),
          z.object({ excluded: z.boolean() }).strict(),
          z.object({ split: z.enum(SPLITS) }).strict(),
          z.object({ reviewed: z.literal(true) }).strict(),
        ]),
      })
      .strict(),
  ).returns<{ updated: number }>(),
  'library.resplit': defineCall(z.object({ datasetId: Id, ...SplitPlan }).strict()).returns<{ updated: number }>(),
  'runs.list': defineCall(Empty).returns<RunSummary[]>(),
  'runs.get': defineCall(RunRef).returns<RunDetail>(),
  'runs.metrics': defineCall(z.object({ runId: RunId, sinceStep: z.number().int().min(-1).default(-1) }).strict()).returns<MetricRow[]>(),
  'runs.sample': defineCall(z.object({ runId: RunId, phase: z.enum(['gan', 'encoder']), step: z.number().int().min(0) }).strict()).returns<{ image: string }>(),
  /** What a configuration would train on, per bin, before the run starts. */
  'runs.preview': defineCall(TrainConfigSchema).returns<{ perBin: number[]; total: number }>(),
  'runs.start': defineCall(TrainConfigSchema).returns<{ runId: string }>(),
  /** Continues a run from its newest checkpoint, or from an earlier one, dropping what came after it. */
  'runs.resume': defineCall(z.object({ runId: RunId, checkpointId: Id.optional() }).strict()).returns<{ runId: string }>(),
  /** Names a run or changes its notes (an empty name clears it). */
  'runs.describe': defineCall(
    z.object({ runId: RunId, name: z.string().max(100).optional(), notes: z.string().max(10_000).optional() }).strict(),
  ).returns<RunSummary>(),
  /** Deletes a run that is not training, with its checkpoints, samples and metrics. */
  'runs.delete': defineCall(RunRef).returns<{ checkpoints: number; samples: number }>(),
  /** Writes the run's metrics as CSV (one row per phase and step); web mode also downloads it from /download/runs/ID/metrics.csv. */
  'runs.exportMetrics': defineCall(z.object({ runId: RunId, out: Path, force: z.boolean().default(false) }).strict()).returns<{ path: string; rows: number }>(),
  /**
   * Judges one checkpoint on faces of the run's held-out split (never its training split) with
   * the independent judges; runs as a job (progress, jobs.cancel) and answers when done.
   */
  'runs.evaluate': defineCall(EvaluateRequestSchema).returns<EvaluationSummary>(),
  /** The run's stored evaluations, oldest checkpoint first. */
  'runs.evaluations': defineCall(RunRef).returns<EvaluationSummary[]>(),
  'runs.pause': defineCall(RunRef).returns<{ ok: boolean }>(),
  'runs.continue': defineCall(RunRef).returns<{ ok: boolean }>(),
  'runs.cancel': defineCall(RunRef).returns<{ ok: boolean }>(),
  'uploads.begin': defineCall(z.object({ name: z.string().min(1).max(255), size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict()).returns<{
    uploadId: string
  }>(),
  'uploads.chunk': defineCall(
    z
      .object({
        uploadId: UploadId,
        offset: z.number().int().min(0),
        data: z
          .string()
          .max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4)
          .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
      })
      .strict(),
  ).returns<{ received: number }>(),
  'uploads.finish': defineCall(z.object({ uploadId: UploadId }).strict()).returns<{ uploadId: string; name: string; size: number; sha256: string }>(),
  /**
   * Moves finished uploads into a managed folder, <home>/imports/<folder>/<path>, keeping the
   * structure a dropped folder had; library.import and batch.run then take that folder's path.
   */
  'uploads.collect': defineCall(
    z
      .object({
        folder: z.string().min(1).max(100),
        files: z
          .array(z.object({ uploadId: UploadId, path: z.string().min(1).max(1024) }).strict())
          .min(1)
          .max(2000),
      })
      .strict(),
  ).returns<{ folder: string; placed: number }>(),
  /** Checkpoints the editor and batch can use: encoder-phase ones, newest first. */
  'editor.models': defineCall(Empty).returns<AgingModelChoice[]>(),
  'editor.open': defineCall(FileRef).returns<EditorOpened>(),
  'editor.prepare': defineCall(
    z
      .object({ sessionId: SessionId, faceIndex: z.number().int().min(0).max(1000), runId: RunId, checkpointId: Id.optional(), sourceAge: Age.optional() })
      .strict(),
  ).returns<EditorPrepared>(),
  /** Starts identity-preserving refinement in the background; editor.progress events follow. */
  'editor.refine': defineCall(
    z
      .object({
        sessionId: SessionId,
        mode: z.enum(OPTIMIZE_MODES).default('identity'),
        iterations: z.number().int().min(1).max(2000).default(REFINEMENT.iterations),
        /** continue: go on from the current z after a Stop, up to `iterations` steps in all. */
        from: z.enum(['start', 'continue']).default('start'),
      })
      .strict(),
  ).returns<{ started: boolean }>(),
  'editor.stop': defineCall(z.object({ sessionId: SessionId }).strict()).returns<{ stopped: boolean }>(),
  /** view: the part of the photo to show (photo pixels) and the longest side to send; default the whole photo at 1200. */
  'editor.render': defineCall(z.object({ ...Look, variation: Variation, view: ViewRequest.optional() }).strict()).returns<EditorRender>(),
  /** The same pictures without the identity scores (about half the work): while the slider moves and refinement runs. */
  'editor.preview': defineCall(z.object({ ...Look, variation: Variation, view: ViewRequest.optional() }).strict()).returns<EditorPreview>(),
  'editor.strip': defineCall(
    z.object({ sessionId: SessionId, variation: Variation, spread: Look.spread, mode: Look.mode, strength: Look.strength }).strict(),
  ).returns<EditorStripItem[]>(),
  'editor.variations': defineCall(z.object({ ...Look, count: z.number().int().min(1).max(8).default(4) }).strict()).returns<EditorVariation[]>(),
  'editor.export': defineCall(
    z.object({ ...Look, variation: Variation, format: z.enum(EXPORT_FORMATS).default('png'), outDir: Path.optional() }).strict(),
  ).returns<EditorExport>(),
  'editor.close': defineCall(z.object({ sessionId: SessionId }).strict()).returns<{ closed: boolean }>(),
  'models.export': defineCall(
    z.object({ runId: RunId, checkpointId: Id.optional(), out: Path, force: z.boolean().default(false) }).strict(),
  ).returns<ModelExport>(),
  'models.import': defineCall(FileRef).returns<ModelImport>(),
  /** Ages every photo under the paths; runs as a job (progress, jobs.cancel) and answers when done. */
  'batch.run': defineCall(BatchRequestSchema).returns<BatchReport>(),
  /** Continues a cancelled or interrupted batch: outputs already written are kept, not redone. */
  'batch.resume': defineCall(z.object({ jobId: z.string().uuid() }).strict()).returns<BatchReport>(),
  /** What a batch's output folder holds, for downloads in web mode (/download/batch/ID/files/PATH, /download/batch/ID/all.zip). */
  'batch.files': defineCall(z.object({ jobId: z.string().uuid() }).strict()).returns<{ outDir: string; files: OutputFile[] }>(),
  'jobs.cancel': defineCall(z.object({ jobId: z.string().min(1).max(100) }).strict()).returns<{
    cancelled: boolean
  }>(),
} as const

export type Calls = typeof calls
export type CallName = keyof Calls
/** What a client sends (defaults may be omitted). */
export type CallInput<K extends CallName> = z.input<Calls[K]['input']>
/** What a handler receives, after validation and defaults. */
export type CallArgs<K extends CallName> = z.output<Calls[K]['input']>
export type CallResult<K extends CallName> = Calls[K]['result']

export const CALL_NAMES = Object.keys(calls) as CallName[]

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name)
}

/** Every streamed event and its payload. */
export interface StudioEvents {
  'job.progress': JobProgress
  'job.finished': JobFinished
  'catalog.changed': { datasetId: number | null }
  'run.progress': RunProgress
  'run.sample': { runId: string; phase: Phase; step: number; file: string }
  'run.checkpoint': { runId: string; phase: Phase; step: number; checkpointId: number; dir: string }
  'run.status': { runId: string; status: RunStatus; error: string | null }
  /** A run was renamed, its notes changed, or it was deleted. */
  'run.changed': { runId: string; deleted: boolean }
  'editor.progress': EditorProgress
}
export type EventName = keyof StudioEvents
export type EventListener = <E extends EventName>(event: E, payload: StudioEvents[E]) => void

/**
 * `exists`: an output would replace a file; the same call with `force: true` replaces it.
 * `busy`: the run is training (here or in another process); stop it first.
 */
export type ErrorCode = 'bad_input' | 'unknown_call' | 'not_found' | 'cancelled' | 'exists' | 'busy' | 'internal'
export interface ApiErrorBody {
  code: ErrorCode
  message: string
}

/** The envelope both transports return, so errors keep their code across contextBridge. */
export type Reply<R> = { ok: true; result: R } | { ok: false; error: ApiErrorBody }

/** The engine side: one function per call. A missing or extra call is a type error. */
export type Handlers = { [K in CallName]: (input: CallArgs<K>) => Promise<CallResult<K>> }

/** What a transport (preload bridge or WebSocket) offers the renderer. */
export interface StudioTransport {
  call<K extends CallName>(name: K, input: CallInput<K>): Promise<Reply<CallResult<K>>>
  subscribe(listener: EventListener): () => void
}

/** What the UI uses: calls resolve to results or throw a StudioError. */
export interface StudioClient {
  call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallResult<K>>
  on<E extends EventName>(event: E, handler: (payload: StudioEvents[E]) => void): () => void
}

export class StudioError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'StudioError'
  }
}

/** Turns a transport into the client the UI uses; the same code for both transports. */
export function createClient(transport: StudioTransport): StudioClient {
  return {
    async call(name, input) {
      const reply = await transport.call(name, input)
      if (!reply.ok) throw new StudioError(reply.error.code, reply.error.message)
      return reply.result
    },
    on(event, handler) {
      return transport.subscribe((name, payload) => {
        if ((name as EventName) === event) handler(payload as never)
      })
    },
  }
}
