/** A studio job followed from the terminal: its progress as log lines, and Ctrl-C as a cancel. */
import type { JobKind, JobProgress } from '../shared/domain'
import { call } from './client'
import type { CommandContext } from './commands'

export interface Following {
  log: (line: string) => void
  /** The progress line for an event, or null to print nothing. */
  line: (progress: JobProgress) => string | null
  /** What Ctrl-C prints: what is kept, and how to go on. */
  stopping: (jobId: string | undefined) => string
  /** A job known before its first event (a resumed batch). */
  jobId?: string
  /** At most one line this often, but always the last. */
  everyMs?: number
}

/** ", 12 s left" once the job has a rate. */
export const timeLeft = (progress: JobProgress) => (progress.etaSeconds === null ? '' : `, ${Math.ceil(progress.etaSeconds)} s left`)

/** Runs work (the call that starts the job and waits for it) while following the job of this kind. */
export async function followJob<T>(studio: CommandContext['studio'], kind: JobKind, following: Following, work: () => Promise<T>): Promise<T> {
  let jobId = following.jobId
  let lastLine = 0
  const stop = studio.events.subscribe((event, data) => {
    const progress = data as JobProgress
    if (event !== 'job.progress' || progress.kind !== kind) return
    jobId = progress.jobId
    if (following.everyMs && Date.now() - lastLine < following.everyMs && progress.done < progress.total) return
    lastLine = Date.now()
    const line = following.line(progress)
    if (line !== null) following.log(line)
  })
  const interrupt = () => {
    following.log(following.stopping(jobId))
    if (jobId) void call(studio, 'jobs.cancel', { jobId })
  }
  process.once('SIGINT', interrupt)
  try {
    return await work()
  } finally {
    process.off('SIGINT', interrupt)
    stop()
  }
}
