/**
 * Reading a run kit's outputs as untrusted input. A kit comes back from a machine the studio does
 * not control, so nothing in it is used as it stands: events are validated line by line, file
 * paths are built from (phase, step), every file is read by its own handle as a regular file with
 * one name (never through a link), every checkpoint's networks are checked against the spec, and
 * what passes is written, as bytes, into a staging folder the studio made. A kit with anything
 * false in it is refused whole, with the file and the reason.
 */
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, writeFileSync, writeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { decodesAsPng } from '../images/encode'
import { z } from 'zod'
import { TrainConfigSchema, type Phase, type TrainConfig } from '../../shared/training'
import { InputFileError, openRegularFile, readRegularFile } from '../inputFiles'
import { checkpointName } from '../model/checkpoint'
import { checkNetwork } from '../model/networkCheck'
import { NETWORK_BUILDERS, type NetworkName } from '../model/networks'
import { preset, type Preset } from '../model/presets'
import { checkpointFolder, parseEvent, sampleFile, type EventOf, type TrainerEvent } from './kitEvents'
import { BadInput } from '../errors'

export class RunKitError extends BadInput {}

const MIB = 2 ** 20
const LIMITS = { spec: 16 * MIB, events: 512 * MIB, state: 4 * MIB, modelJson: 16 * MIB, weights: 2048 * MIB, torchState: 8192 * MIB, sample: 64 * MIB }
const NETWORK_NAMES: NetworkName[] = NETWORK_BUILDERS.map(([name]) => name)
/** What train.py writes into a checkpoint folder, and nothing else. */
const CHECKPOINT_ENTRIES = new Set([...NETWORK_NAMES, 'torch-state.pt', 'state.json'])

export interface KitContents {
  config: TrainConfig
  /** sha256 of spec.json's configuration and events.jsonl: the same kit read twice has the same one. */
  fingerprint: string
  events: TrainerEvent[]
  checkpoints: EventOf<'checkpoint'>[]
  samples: (EventOf<'sample'> & { png: Buffer })[]
  /** Sentences for what the events name but the kit does not hold (a checkpoint or sample deleted there). */
  missing: string[]
}

/** A file refused as input (a link, a FIFO, too large…) refuses the kit, in the same words. */
const asKitError = (error: unknown) => (error instanceof InputFileError ? new RunKitError(`The kit is refused: ${error.sentence}`) : error)

const kitFile = (path: string, max: number) => {
  try {
    return readRegularFile(path, max, { linked: false })
  } catch (error) {
    throw asKitError(error)
  }
}

/** lstat without following: 'missing', or refused unless a real folder. */
function realFolder(path: string, missingOk = false): 'missing' | 'folder' {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    if (missingOk) return 'missing'
    throw new RunKitError(`The kit is refused: ${path} does not exist.`)
  }
  if (stat.isSymbolicLink()) throw new RunKitError(`The kit is refused: ${path} is a symlink; a kit's folders must be its own.`)
  if (!stat.isDirectory()) throw new RunKitError(`The kit is refused: ${path} is not a folder.`)
  return 'folder'
}

/** Copies a regular, single-named file by its handle (torch-state.pt runs to gigabytes: never whole in memory). */
function copyKitFile(from: string, to: string, max: number): void {
  let opened
  try {
    opened = openRegularFile(from, max, { linked: false })
  } catch (error) {
    throw asKitError(error)
  }
  const out = openSync(to, 'wx')
  try {
    const chunk = Buffer.alloc(8 * MIB)
    for (let read; (read = readSync(opened.fd, chunk, 0, chunk.length, null)) > 0;) writeSync(out, chunk, 0, read)
  } finally {
    closeSync(opened.fd)
    closeSync(out)
  }
}

const StateJson = z.object({ phase: z.enum(['gan', 'encoder']), step: z.number().int().min(0), trainer: z.literal('torch') })

/** Checks one checkpoint folder completely and writes what it holds into `into`. */
async function stageCheckpoint(folder: string, e: EventOf<'checkpoint'>, p: Preset, into: string): Promise<void> {
  const name = checkpointName(e.phase, e.step)
  const entries = readdirSync(folder).filter((entry) => !entry.startsWith('.'))
  const stray = entries.find((entry) => !CHECKPOINT_ENTRIES.has(entry))
  if (stray) throw new RunKitError(`The kit is refused: checkpoint ${name} holds ${JSON.stringify(stray.slice(0, 80))}, which a checkpoint never has.`)
  mkdirSync(into)
  for (const network of NETWORK_NAMES) {
    const dir = join(folder, network)
    realFolder(dir)
    const extra = readdirSync(dir).find((entry) => entry !== 'model.json' && entry !== 'weights.bin')
    if (extra)
      throw new RunKitError(`The kit is refused: ${dir} holds ${JSON.stringify(extra.slice(0, 80))}; a network folder holds model.json and weights.bin.`)
    const [json, weights] = [kitFile(join(dir, 'model.json'), LIMITS.modelJson), kitFile(join(dir, 'weights.bin'), LIMITS.weights)]
    try {
      await checkNetwork(json, weights, network, p, `The ${network} of checkpoint ${name}`)
    } catch (error) {
      throw new RunKitError(`The kit is refused: ${(error as Error).message}`)
    }
    mkdirSync(join(into, network))
    writeFileSync(join(into, network, 'model.json'), json)
    writeFileSync(join(into, network, 'weights.bin'), weights)
  }
  const stateBytes = kitFile(join(folder, 'state.json'), LIMITS.state)
  let state: z.infer<typeof StateJson>
  try {
    state = StateJson.parse(JSON.parse(stateBytes.toString('utf8')))
  } catch (error) {
    throw new RunKitError(
      `The kit is refused: ${join(folder, 'state.json')} is not a torch checkpoint's state (${(error as Error).message.split('\n')[0].slice(0, 160)}).`,
    )
  }
  if (state.phase !== e.phase || state.step !== e.step) {
    throw new RunKitError(
      `The kit is refused: checkpoint ${name}'s own state says ${state.phase} step ${state.step}; the events say ${e.phase} step ${e.step}.`,
    )
  }
  writeFileSync(join(into, 'state.json'), stateBytes)
  copyKitFile(join(folder, 'torch-state.pt'), join(into, 'torch-state.pt'), LIMITS.torchState)
}

/** Every event line; the last one may be cut short by a kill, any other bad one refuses the kit. */
function parseEvents(bytes: Buffer, config: TrainConfig): TrainerEvent[] {
  const lines = bytes.toString('utf8').split('\n')
  const limit: Record<Phase, number> = { gan: config.steps, encoder: config.encoderSteps ?? config.steps }
  const events: TrainerEvent[] = []
  lines.forEach((line, i) => {
    if (!line.trim()) return
    const event = parseEvent(line)
    if (typeof event === 'string') {
      if (event === 'is not JSON' && lines.slice(i + 1).every((rest) => !rest.trim())) return
      throw new RunKitError(`The kit is refused: out/events.jsonl line ${i + 1} ${event}.`)
    }
    if ('step' in event && event.step > limit[event.phase]) {
      throw new RunKitError(
        `The kit is refused: out/events.jsonl line ${i + 1} is at ${event.phase} step ${event.step}, past the spec's ${limit[event.phase]}.`,
      )
    }
    events.push(event)
  })
  return events
}

/** The kit's configuration and fingerprint: enough to tell a kit already imported, before any checkpoint is read. */
export function readKitSpec(dir: string): { config: TrainConfig; eventBytes: Buffer; fingerprint: string } {
  realFolder(dir)
  realFolder(join(dir, 'out'))
  let config: TrainConfig
  const specBytes = kitFile(join(dir, 'spec.json'), LIMITS.spec)
  try {
    config = TrainConfigSchema.parse((JSON.parse(specBytes.toString('utf8')) as { config?: unknown }).config)
  } catch (error) {
    throw new RunKitError(`${dir} is not a run kit (spec.json: ${(error as Error).message.split('\n')[0].slice(0, 160)}).`)
  }
  const eventBytes = kitFile(join(dir, 'out', 'events.jsonl'), LIMITS.events)
  const fingerprint = createHash('sha256').update(JSON.stringify(config)).update('\0').update(eventBytes).digest('hex')
  return { config, eventBytes, fingerprint }
}

/** Validates the whole kit and stages its checkpoints under `staging/checkpoints/`; nothing is written anywhere else. */
export async function readKit(dir: string, staging: string): Promise<KitContents> {
  const { config, eventBytes, fingerprint } = readKitSpec(dir)
  const events = parseEvents(eventBytes, config)
  const out = join(dir, 'out')
  const p = preset(config.preset, config.imageSize)
  const missing: string[] = []
  const latest = <E extends EventOf<'checkpoint'> | EventOf<'sample'>>(list: E[]) => [
    ...new Map(list.map((e) => [checkpointName(e.phase, e.step), e])).values(),
  ]

  const checkpoints: EventOf<'checkpoint'>[] = []
  const announced = latest(events.filter((e): e is EventOf<'checkpoint'> => e.event === 'checkpoint'))
  if (announced.length > 0) realFolder(join(out, 'checkpoints'))
  mkdirSync(join(staging, 'checkpoints'), { recursive: true })
  for (const e of announced) {
    const folder = checkpointFolder(out, e.phase, e.step)
    if (realFolder(folder, true) === 'missing') {
      missing.push(`checkpoint ${checkpointName(e.phase, e.step)}`)
      continue
    }
    await stageCheckpoint(folder, e, p, join(staging, 'checkpoints', checkpointName(e.phase, e.step)))
    checkpoints.push(e)
  }
  if (checkpoints.length === 0) throw new RunKitError(`${dir} has no finished checkpoint under out/checkpoints; run its trainer first.`)

  const samples: KitContents['samples'] = []
  const sampleEvents = latest(events.filter((e): e is EventOf<'sample'> => e.event === 'sample'))
  if (sampleEvents.length > 0) realFolder(join(out, 'samples'))
  for (const e of sampleEvents) {
    const file = sampleFile(out, e.phase, e.step)
    try {
      lstatSync(file)
    } catch {
      missing.push(`sample ${checkpointName(e.phase, e.step)}.png`)
      continue
    }
    const png = kitFile(file, LIMITS.sample)
    if (!(await decodesAsPng(png))) throw new RunKitError(`The kit is refused: ${file} is not a PNG image.`)
    samples.push({ ...e, png })
  }
  return { config, fingerprint, events, checkpoints, samples, missing }
}
