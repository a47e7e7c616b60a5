/**
 * Finding a Python with PyTorch for the torch backends: AGE_STUDIO_PYTHON if set, else the first
 * of python3 and /usr/bin/python3 (Debian's python3-torch lives there when a pyenv python3 comes
 * first on PATH) whose probe imports torch. Probed once per process.
 */
import { spawnSync } from 'node:child_process'
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

let cached: TorchStatus | undefined

function candidates(): string[] {
  const chosen = process.env.AGE_STUDIO_PYTHON
  return chosen ? [chosen] : ['python3', '/usr/bin/python3']
}

export function torchStatus(): TorchStatus {
  if (cached) return cached
  const reasons: string[] = []
  for (const python of candidates()) {
    const result = spawnSync(python, ['-m', 'agecgan', 'probe'], { cwd: TRAINER_DIR, encoding: 'utf8', timeout: 60_000 })
    if (result.error) {
      reasons.push(`${python}: ${(result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : result.error.message}`)
      continue
    }
    let probe: Partial<TorchProbe> & { error?: string }
    try {
      probe = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')
    } catch {
      reasons.push(`${python}: the probe failed (${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.status}`})`)
      continue
    }
    if (!probe.torch) {
      reasons.push(`${python} has no torch`)
      continue
    }
    return (cached = { ok: true, probe: { ...(probe as TorchProbe), python } })
  }
  return (cached = { ok: false, reason: reasons.join('; ') })
}

export const TORCH_BACKENDS = ['torch-cuda', 'torch-cpu'] as const
export type TorchBackend = (typeof TORCH_BACKENDS)[number]
export const isTorchBackend = (name: string | undefined): name is TorchBackend => TORCH_BACKENDS.includes(name as TorchBackend)

/** The torch rungs of the backend ladder, with why each is (un)available. */
export function torchBackendStatuses(): { name: TorchBackend; available: boolean; canTrain: true; detail: string }[] {
  const status = torchStatus()
  if (!status.ok) return TORCH_BACKENDS.map((name) => ({ name, available: false, canTrain: true, detail: status.reason }))
  const { python, torch, cuda, devices } = status.probe
  return [
    { name: 'torch-cuda', available: cuda, canTrain: true, detail: cuda ? `PyTorch ${torch} on ${devices.join(', ')} (${python})` : `no CUDA device (PyTorch ${torch}, ${python})` },
    { name: 'torch-cpu', available: true, canTrain: true, detail: `PyTorch ${torch} on the CPU (${python})` },
  ]
}

/** Throws, saying why, when a torch backend cannot train here. */
export function requireTorchBackend(name: TorchBackend): TorchProbe {
  const rung = torchBackendStatuses().find((status) => status.name === name)!
  if (!rung.available) throw new Error(`Backend ${name} is not available: ${rung.detail}.`)
  return (torchStatus() as { probe: TorchProbe }).probe
}
