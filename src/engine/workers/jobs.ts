/**
 * Long work as jobs: each has an id, reports progress (count, rate, time left) as events and
 * can be cancelled. Work yields between items so the process stays responsive; heavy jobs
 * (import, batch) run in worker threads on top of this (workerJob.ts).
 */
import { randomUUID } from 'node:crypto'
import type { JobKind } from '../../shared/domain'
import { Cancelled } from '../errors'
import type { EventHub } from '../events'

export class JobCancelled extends Cancelled {
  override name = 'JobCancelled'
}

export class Job {
  readonly id = randomUUID()
  private readonly controller = new AbortController()
  private readonly startedAt = performance.now()
  private lastReport = 0

  constructor(
    readonly kind: JobKind,
    private readonly events: EventHub,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal
  }

  cancel(): void {
    this.controller.abort()
  }

  /** Throws JobCancelled when cancel() was called; call between items. */
  checkpoint(): void {
    if (this.controller.signal.aborted) throw new JobCancelled()
  }

  /** Emits progress, at most every 100 ms plus the final item. */
  progress(done: number, total: number): void {
    const now = performance.now()
    if (done < total && now - this.lastReport < 100) return
    this.lastReport = now
    const seconds = (now - this.startedAt) / 1000
    const rate = seconds > 0 ? done / seconds : 0
    const etaSeconds = rate > 0 ? (total - done) / rate : null
    this.events.emit('job.progress', { jobId: this.id, kind: this.kind, done, total, rate, etaSeconds })
  }
}

export class JobRegistry {
  private readonly running = new Map<string, Job>()

  constructor(private readonly events: EventHub) {}

  /** Runs work as a job; emits job.finished with its outcome and rethrows its error. */
  async run<T>(kind: JobKind, work: (job: Job) => Promise<T>, onStart?: (job: Job) => void): Promise<T> {
    const job = new Job(kind, this.events)
    this.running.set(job.id, job)
    onStart?.(job)
    try {
      const result = await work(job)
      this.events.emit('job.finished', { jobId: job.id, kind, status: 'done', error: null })
      return result
    } catch (error) {
      const cancelled = error instanceof JobCancelled
      const message = error instanceof Error ? error.message : String(error)
      this.events.emit('job.finished', {
        jobId: job.id,
        kind,
        status: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? null : message,
      })
      throw error
    } finally {
      this.running.delete(job.id)
    }
  }

  cancel(jobId: string): boolean {
    const job = this.running.get(jobId)
    job?.cancel()
    return job !== undefined
  }
}

/** Lets the event loop breathe between items of synchronous work. */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))
