import type Database from 'better-sqlite3'
import type { CheckpointSummary, RunStatus, RunSummary } from '../../shared/domain'
import { METRIC_NAMES, type Losses, type Phase } from '../../shared/training'


const SELECT_RUN = `
  SELECT r.id, r.preset, r.config, r.seed, r.backend, r.status, r.error, r.created_at AS createdAt,
         r.started_at AS startedAt, r.finished_at AS finishedAt, r.origin,
         COALESCE((SELECT MAX(step) FROM metrics m WHERE m.run_id = r.id AND m.phase = (
           SELECT phase FROM metrics m2 WHERE m2.run_id = r.id ORDER BY rowid DESC LIMIT 1)), 0) AS lastStep,
         (SELECT phase FROM metrics m3 WHERE m3.run_id = r.id ORDER BY rowid DESC LIMIT 1) AS lastPhase
  FROM runs r`

const toRun = (raw: Record<string, unknown>): RunSummary => ({ ...(raw as unknown as RunSummary), config: JSON.parse(raw.config as string) })

export class RunRepo {
  constructor(private readonly db: Database.Database) {}

  create(id: string, preset: string, config: object, seed: number, backend: string): void {
    this.db
      .prepare("INSERT INTO runs (id, preset, config, seed, backend, status, pid, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
      .run(id, preset, JSON.stringify(config), seed, backend, process.pid)
  }

  /** An imported model bundle: a finished run with one checkpoint, marked with where it came from. */
  createImported(id: string, preset: string, config: object, seed: number, backend: string, origin: string): void {
    this.db
      .prepare("INSERT INTO runs (id, preset, config, seed, backend, status, origin, started_at, finished_at) VALUES (?, ?, ?, ?, ?, 'done', ?, NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
      .run(id, preset, JSON.stringify(config), seed, backend, origin)
  }

  /** A resumed run belongs to the process that resumed it. */
  claim(id: string): void {
    this.db.prepare("UPDATE runs SET status = 'running', pid = ?, error = NULL, finished_at = NULL WHERE id = ?").run(process.pid, id)
  }

  get(id: string): RunSummary | undefined {
    const raw = this.db.prepare(`${SELECT_RUN} WHERE r.id = ?`).get(id) as Record<string, unknown> | undefined
    return raw && toRun(raw)
  }

  list(): RunSummary[] {
    return (this.db.prepare(`${SELECT_RUN} ORDER BY r.created_at DESC`).all() as Record<string, unknown>[]).map(toRun)
  }

  setStatus(id: string, status: RunStatus, error: string | null = null): void {
    const finished = ['done', 'cancelled', 'failed', 'interrupted'].includes(status)
    this.db
      .prepare(`UPDATE runs SET status = ?, error = ?, finished_at = ${finished ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : 'NULL'} WHERE id = ?`)
      .run(status, error, id)
  }

  /** One step's losses and throughput, in one transaction. */
  addMetrics(runId: string, phase: Phase, step: number, values: Losses & { imagesPerSecond: number }): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO metrics (run_id, phase, step, name, value) VALUES (?, ?, ?, ?, ?)')
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(values)) {
        if (value !== undefined && Number.isFinite(value)) insert.run(runId, phase, step, METRIC_NAMES[key as keyof typeof METRIC_NAMES], value)
      }
    })()
  }

  metrics(runId: string, sinceStep = -1): { phase: string; step: number; name: string; value: number }[] {
    return this.db
      .prepare('SELECT phase, step, name, value FROM metrics WHERE run_id = ? AND step > ? ORDER BY phase, step')
      .all(runId, sinceStep) as { phase: string; step: number; name: string; value: number }[]
  }

  addSample(runId: string, phase: Phase, step: number, file: string): void {
    this.db.prepare('INSERT OR REPLACE INTO samples (run_id, phase, step, file) VALUES (?, ?, ?, ?)').run(runId, phase, step, file)
  }

  samples(runId: string): { phase: string; step: number; file: string }[] {
    return this.db.prepare('SELECT phase, step, file FROM samples WHERE run_id = ? ORDER BY id').all(runId) as {
      phase: string
      step: number
      file: string
    }[]
  }

  addCheckpoint(runId: string, phase: Phase, step: number, epoch: number, dir: string, sha256: string): number {
    const info = this.db
      .prepare('INSERT OR REPLACE INTO checkpoints (run_id, phase, step, epoch, dir, sha256) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, phase, step, epoch, dir, sha256)
    return Number(info.lastInsertRowid)
  }

  checkpoints(runId: string): CheckpointSummary[] {
    return this.db
      .prepare('SELECT id, run_id AS runId, phase, step, epoch, dir, sha256, created_at AS createdAt FROM checkpoints WHERE run_id = ? ORDER BY id')
      .all(runId) as CheckpointSummary[]
  }

  /** The newest checkpoint: the encoder phase comes after the gan phase. */
  latestCheckpoint(runId: string): CheckpointSummary | undefined {
    return this.checkpoints(runId).sort((a, b) => (a.phase === b.phase ? a.step - b.step : a.phase === 'gan' ? -1 : 1)).at(-1)
  }

  /**
   * Takes a run back to one of its checkpoints ("resume from here"): everything recorded after it
   * (later checkpoints, samples, metrics; the encoder phase when it is a cGAN checkpoint) is
   * dropped in one transaction. Returns the dropped checkpoints so their folders can go too.
   */
  rewind(runId: string, to: CheckpointSummary): CheckpointSummary[] {
    const later = (phase: string, step: number) => (to.phase === 'gan' ? phase === 'encoder' || step > to.step : phase === 'encoder' && step > to.step)
    const dropped = this.checkpoints(runId).filter((c) => later(c.phase, c.step))
    const where = `run_id = ? AND (${to.phase === 'gan' ? "phase = 'encoder' OR step > ?" : "phase = 'encoder' AND step > ?"})`
    this.db.transaction(() => {
      for (const table of ['checkpoints', 'samples', 'metrics']) this.db.prepare(`DELETE FROM ${table} WHERE ${where}`).run(runId, to.step)
    })()
    return dropped
  }

  checkpoint(id: number): CheckpointSummary | undefined {
    return this.db
      .prepare('SELECT id, run_id AS runId, phase, step, epoch, dir, sha256, created_at AS createdAt FROM checkpoints WHERE id = ?')
      .get(id) as CheckpointSummary | undefined
  }

  /** Runs left 'running' by a process that died are 'interrupted', resumable from their checkpoint. */
  markInterrupted(isAlive: (pid: number) => boolean = processAlive): number {
    const stale = (this.db.prepare("SELECT id, pid FROM runs WHERE status IN ('running', 'paused')").all() as { id: string; pid: number | null }[])
      .filter((run) => run.pid === null || !isAlive(run.pid))
    for (const run of stale) this.setStatus(run.id, 'interrupted')
    return stale.length
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'
  }
}
