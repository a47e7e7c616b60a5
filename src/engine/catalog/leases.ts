/** A run's lease: which process trains it, and whether that process still lives. */
import { hostname } from 'node:os'
import type { RunStatus } from '../../shared/domain'

/** A holder on another host cannot be asked whether its pid lives: its heartbeat must be this fresh. */
export const LEASE_STALE_MS = 5 * 60 * 1000

export interface Lease {
  status: RunStatus
  pid: number | null
  host: string | null
  heartbeatAt: string | null
}

export function leaseHeld(lease: Lease, isAlive: (pid: number) => boolean): boolean {
  if (lease.status !== 'running' && lease.status !== 'paused') return false
  if (lease.pid === null) return false
  if (!lease.host || lease.host === hostname()) return isAlive(lease.pid)
  return lease.heartbeatAt !== null && Date.now() - Date.parse(lease.heartbeatAt) < LEASE_STALE_MS
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'
  }
}
