/** A run's configuration: validated at every entry (CLI, API), stored with the run. */
import { z } from 'zod'
import { DEFAULT_FRAMING, FRAMING_NAMES } from './framing'
import { BIN_COUNT } from './ageBins'
import { AGE_SOURCES, SPLITS } from './domain'

/** The network sizes (engine/model/presets.ts gives each its widths). */
export const PRESET_NAMES = ['paper', 'compact', 'tiny'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

export const PHASES = ['gan', 'encoder', 'all'] as const
export type Phase = 'gan' | 'encoder'
/** torch-*: the PyTorch trainer in resources/torch-trainer, driven as a child process. */
export const TRAIN_BACKENDS = ['torch-cuda', 'tfjs-node-gpu', 'tfjs-node', 'torch-cpu', 'cpu+blas', 'cpu'] as const

export const TrainConfigSchema = z
  .object({
    preset: z.enum(PRESET_NAMES).default('tiny'),
    imageSize: z.union([z.literal(64), z.literal(128)]).default(64),
    datasetId: z.number().int().positive().optional(),
    /** Which catalog images train: labelled, with a training image, and matching these. */
    splits: z.array(z.enum(SPLITS)).min(1).max(3).default(['train']),
    bins: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(BIN_COUNT - 1),
      )
      .min(1)
      .max(BIN_COUNT)
      .optional(),
    ageSources: z.array(z.enum(AGE_SOURCES)).min(1).max(4).optional(),
    includeExcluded: z.boolean().default(false),
    phase: z.enum(PHASES).default('all'),
    /** Steps per phase. */
    steps: z.number().int().min(1).max(10_000_000).default(200),
    /** Encoder steps; by default as many as gan steps. The paper used 100K pairs = steps × batch. */
    encoderSteps: z.number().int().min(1).max(10_000_000).optional(),
    batch: z.number().int().min(2).max(512).default(32),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    lrG: z.number().positive().max(1).default(2e-4),
    lrD: z.number().positive().max(1).default(2e-4),
    lrE: z.number().positive().max(1).default(2e-4),
    beta1: z.number().min(0).max(0.999).default(0.5),
    /** One-sided label smoothing: real targets become 1 − smoothing. */
    labelSmoothing: z.number().min(0).max(0.5).default(0),
    /** Sample labels uniformly over bins instead of by frequency. */
    balanceClasses: z.boolean().default(false),
    /** D sees reals and fakes through random differentiable colour, translation and cutout (DiffAugment).
     * Unset: a new run gets diffAugmentDefault (forNewRun); an older stored run without it trained without. */
    diffAugment: z.boolean().optional(),
    sampleEvery: z.number().int().min(1).max(1_000_000).default(50),
    checkpointEvery: z.number().int().min(1).max(1_000_000).default(100),
    backend: z.enum(TRAIN_BACKENDS).optional(),
    /** Which window of the master the model sees; a new run gets DEFAULT_FRAMING, an old one is `full`. */
    framing: z.enum(FRAMING_NAMES).optional(),
    /** Faces with more of that window outside their photo are left out (see maxFillOf). */
    maxFill: z.number().min(0).max(1).optional(),
  })
  .strict()

export type TrainConfigInput = z.input<typeof TrainConfigSchema>
export type TrainConfig = z.output<typeof TrainConfigSchema>

/** DiffAugment is what let the shipped model train on a few thousand faces; `paper` keeps the paper's D as published. */
export const diffAugmentDefault = (preset: PresetName) => preset !== 'paper'

/** A configuration for a run about to be made: what it leaves unset gets today's defaults (a stored run without a framing is an older run's `full`). */
export const forNewRun = (config: TrainConfig): TrainConfig => ({
  ...config,
  framing: config.framing ?? DEFAULT_FRAMING,
  diffAugment: config.diffAugment ?? diffAugmentDefault(config.preset),
})

export interface Losses {
  dReal?: number
  dFake?: number
  dMismatch?: number
  g?: number
  e?: number
}

/** The losses a step reported, typed (Object.entries of an interface is any). */
export const lossEntries = (losses: Losses) => Object.entries(losses).filter((entry): entry is [keyof Losses, number] => typeof entry[1] === 'number')

/** The catalog's metric names for the losses and throughput (also the chart's series names). */
export const METRIC_NAMES: Record<keyof Losses | 'imagesPerSecond', string> = {
  dReal: 'd_real',
  dFake: 'd_fake',
  dMismatch: 'd_mismatch',
  g: 'g',
  e: 'e',
  imagesPerSecond: 'images_per_second',
}

export interface RunProgress {
  runId: string
  phase: Phase
  epoch: number
  step: number
  totalSteps: number
  losses: Losses
  imagesPerSecond: number
}
