/** What a run trains on, in one line, so a run (and a bundle exported from it) says what its time was spent on. */
import { cpus } from 'node:os'

const cpuLine = () => {
  const all = cpus()
  const model = all[0]?.model.replace(/\s+/g, ' ').trim()
  return `${all.length} CPU core${all.length === 1 ? '' : 's'}${model ? ` (${model})` : ''}`
}

/** The in-process backends (tfjs, cpu+blas): this machine's CPUs. */
export const localHardware = (backend: string) => `${cpuLine()}, ${backend}`

/**
 * The PyTorch trainer, from its `started` event: the device it picked (and its name on a GPU), the
 * world size, torch's version. `here`: it ran on this machine (a kit's CPUs are not known).
 */
export function torchHardware(started: { device: string; world: number; torch?: string; deviceName?: string }, here = true): string {
  const device = started.device.startsWith('cuda') ? `${started.world} × ${started.deviceName ?? 'CUDA GPU'}` : here ? cpuLine() : 'CPU'
  return `${device}, PyTorch ${started.torch ?? '?'} (${started.device}${started.world > 1 ? `, ${started.world} processes` : ''})`
}
