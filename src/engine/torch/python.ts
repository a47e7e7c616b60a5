/**
 * Finding a Python with PyTorch for the torch backends: AGE_STUDIO_PYTHON if set, else the first
 * of python3 and /usr/bin/python3 (Debian's python3-torch lives there when a pyenv python3 comes
 * first on PATH) whose probe imports torch. Probed once per process, asynchronously: a spawnSync
 * in a worker thread while the main thread also waits in one can hang both (SIGCHLD is
 * process-wide), which froze a run starting while the studio answered app.info.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { projectRoot } from '../tf/blasAddon'

export interface TorchProbe {
  python: string
  torch: string
  cuda: boolean
  devices: string[]
  distributed: boolean
}

export type TorchStatus = { ok: true; probe: TorchProbe } | { ok: false; reason: string }

/** The trainer package shipped with the studio (resources/torch-trainer). */
export const TRAINER_DIR = join(projectRoot(), 'resources', 'torch-trainer')

let pending: Promise<TorchStatus> | undefined
const run = promisify(execFile)

function candidates(): string[] {
  const chosen = process.env.AGE_STUDIO_PYTHON
  return chosen ? [chosen] : ['python3', '/usr/bin/python3']
}

export function torchStatus(): Promise<TorchStatus> {
  pending ??= probeCandidates()
  return pending
}

async function probeCandidates(): Promise<TorchStatus> {
  const reasons: string[] = []
  for (const python of candidates()) {
    let stdout: string
    try {
      ;({ stdout } = await run(python, ['-m', 'agecgan', 'probe'], { cwd: TRAINER_DIR, encoding: 'utf8', timeout: 60_000 }))
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string }
      reasons.push(
        `${python}: ${failure.code === 'ENOENT' ? 'not found' : `the probe failed (${failure.stderr?.trim().split('\n').at(-1) ?? failure.message})`}`,
      )
      continue
    }
    let probe: Partial<TorchProbe>
    try {
      probe = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Partial<TorchProbe>
    } catch {
      reasons.push(`${python}: the probe printed no answer`)
      continue
    }
    if (!probe.torch) {
      reasons.push(`${python} has no torch`)
      continue
    }
    return { ok: true, probe: { ...(probe as TorchProbe), python } }
  }
  return { ok: false, reason: reasons.join('; ') }
}

export const TORCH_BACKENDS = ['torch-cuda', 'torch-cpu'] as const
export type TorchBackend = (typeof TORCH_BACKENDS)[number]
export const isTorchBackend = (name: string | undefined): name is TorchBackend => TORCH_BACKENDS.includes(name as TorchBackend)

/** The torch rungs of the backend ladder, with why each is (un)available. */
export async function torchBackendStatuses(): Promise<{ name: TorchBackend; available: boolean; canTrain: true; detail: string }[]> {
  const status = await torchStatus()
  if (!status.ok) return TORCH_BACKENDS.map((name) => ({ name, available: false, canTrain: true, detail: status.reason }))
  const { python, torch, cuda, devices } = status.probe
  return [
    {
      name: 'torch-cuda',
      available: cuda,
      canTrain: true,
      detail: cuda ? `PyTorch ${torch} on ${devices.join(', ')} (${python})` : `no CUDA device (PyTorch ${torch}, ${python})`,
    },
    { name: 'torch-cpu', available: true, canTrain: true, detail: `PyTorch ${torch} on the CPU (${python})` },
  ]
}

/** Throws, saying why, when a torch backend cannot train here. */
export async function requireTorchBackend(name: TorchBackend): Promise<TorchProbe> {
  const rung = (await torchBackendStatuses()).find((status) => status.name === name)!
  if (!rung.available) throw new Error(`Backend ${name} is not available: ${rung.detail}.`)
  return ((await torchStatus()) as { probe: TorchProbe }).probe
}
