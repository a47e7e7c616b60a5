/**
 * The PyTorch trainer's event lines (train.py's Events.emit), validated. A kit's events.jsonl
 * comes back from another machine: every field that names a file or a row (phase, step) is checked
 * here before anything is built from it, and the paths the trainer reports are never used: the
 * studio builds them from phase and step.
 */
import { join } from 'node:path'
import { z } from 'zod'
import { METRIC_NAMES, type Losses } from '../../shared/training'
import { checkpointName } from '../model/checkpoint'

/** Steps past this are not a run anyone trained (10^8 paper steps is years of one GPU). */
export const MAX_STEP = 100_000_000

const Phase = z.enum(['gan', 'encoder'])
const Step = z.number().int().min(0).max(MAX_STEP)
const Count = z.number().int().min(0).max(MAX_STEP)
const Metric = z.number().finite()
const LossesSchema = z
  .record(z.string().max(40), Metric.nullable())
  .transform((losses): Losses =>
    Object.fromEntries(Object.entries(losses).filter(([name, value]) => name in METRIC_NAMES && name !== 'imagesPerSecond' && value !== null)),
  )

export const TrainerEventSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('started'),
    world: z.number().int().min(1).max(100_000),
    device: z.string().max(100),
    torch: z.string().max(100).optional(),
    deviceName: z.string().max(100).optional(),
  }),
  z.object({
    event: z.literal('progress'),
    phase: Phase,
    step: Step,
    totalSteps: Count,
    epoch: Count,
    losses: LossesSchema,
    imagesPerSecond: z.number().finite().min(0),
  }),
  z.object({ event: z.literal('sample'), phase: Phase, step: Step, file: z.string().max(4096).optional() }),
  z.object({ event: z.literal('checkpoint'), phase: Phase, step: Step, epoch: Count, dir: z.string().max(4096).optional() }),
  z.object({ event: z.enum(['paused', 'running']) }),
  z.object({ event: z.literal('done'), status: z.enum(['done', 'cancelled', 'interrupted']) }),
  z.object({ event: z.literal('failed'), error: z.string().max(10_000) }),
])
export type TrainerEvent = z.infer<typeof TrainerEventSchema>
export type EventOf<E extends TrainerEvent['event']> = Extract<TrainerEvent, { event: E }>

/** One line, or a sentence saying why it is not an event (the first problem, in plain words). */
export function parseEvent(line: string): TrainerEvent | string {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return 'is not JSON'
  }
  const parsed = TrainerEventSchema.safeParse(json)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const field = issue.path.join('.') || 'event'
  return `has a bad ${field} (${issue.message})`
}

/** Where a run's checkpoint and sample grid live, relative to its output folder: built here, never read from an event. */
export const checkpointFolder = (out: string, phase: string, step: number) => join(out, 'checkpoints', checkpointName(phase, step))
export const sampleFile = (out: string, phase: string, step: number) => join(out, 'samples', `${checkpointName(phase, step)}.png`)
