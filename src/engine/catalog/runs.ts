import type Database from 'better-sqlite3'
import { hostname } from 'node:os'
import type { AgingModelChoice } from '../../shared/aging'
import type { CheckpointSummary, MetricRow, RunStatus, RunSummary } from '../../shared/domain'
import { METRIC_NAMES, type Losses, type Phase } from '../../shared/training'
import { RunBusyError } from '../errors'
import { leaseHeld, processAlive, type Lease } from './leases'

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

const SELECT_RUN = `
  SELECT r.id, r.name, r.notes, r.preset, r.config, r.seed, r.backend, r.status, r.error, r.created_at AS createdAt,
         r.started_at AS startedAt, r.finished_at AS finishedAt, r.origin, r.trained_seconds AS trainedSeconds,
         r.running_since AS runningSince, r.hardware, r.history_note AS historyNote
  FROM runs r`

type LastValues = Pick<RunSummary, 'phaseSteps' | 'lastLosses'>
const NO_VALUES: LastValues = { phaseSteps: { gan: 0, encoder: 0 }, lastLosses: {} }

/** The encoder phase follows the cGAN phase, so a run with encoder steps is in it. */
const lastPhase = ({ phaseSteps }: LastValues): Phase | null => (phaseSteps.encoder > 0 ? 'encoder' : phaseSteps.gan > 0 ? 'gan' : null)

const toRun = (raw: Record<string, unknown>, last: LastValues = NO_VALUES): RunSummary => {
  const phase = lastPhase(last)
  return {
    ...(raw as unknown as RunSummary),
    config: JSON.parse(raw.config as string) as RunSummary['config'],
    ...last,
    lastPhase: phase,
    lastStep: phase ? last.phaseSteps[phase] : 0,
  }
}

/** What an imported run knows of its own training (a bundle's history, a model card). */
export interface ImportedTraining {
  startedAt: string | null
  finishedAt: string | null
  trainedSeconds: number | null
  hardware: string | null
  note: string
}

/** Closes the open stretch of training time, up to `until` (an SQL time). */
const closeClock = (until: string) => `trained_seconds = CASE WHEN running_since IS NULL THEN trained_seconds
    ELSE COALESCE(trained_seconds, 0) + MAX(0, (julianday(${until}) - julianday(running_since)) * 86400) END, running_since = NULL`

export class RunRepo {
  constructor(private readonly db: Database.Database) {}

  /** A new run, leased to this process from the start. */
  create(id: string, preset: string, config: object, seed: number, backend: string): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, preset, config, seed, backend, status, pid, host, heartbeat_at, started_at, trained_seconds, running_since)
         VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ${NOW}, ${NOW}, 0, ${NOW})`,
      )
      .run(id, preset, JSON.stringify(config), seed, backend, process.pid, hostname())
  }

  /** An imported model bundle or kit: a finished run, marked with where it came from and what is known of its training. */
  createImported(id: string, preset: string, config: object, seed: number, backend: string, origin: string, training?: ImportedTraining): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, preset, config, seed, backend, status, origin, started_at, finished_at, trained_seconds, hardware, history_note)
         VALUES (?, ?, ?, ?, ?, 'done', ?, ?, COALESCE(?, ${NOW}), ?, ?, ?)`,
      )
      .run(
        id,
        preset,
        JSON.stringify(config),
        seed,
        backend,
        origin,
        training?.startedAt ?? null,
        training?.finishedAt ?? null,
        training?.trainedSeconds ?? null,
        training?.hardware ?? null,
        training?.note ?? null,
      )
  }

  /** An imported run learns its history after the fact (the shipped model imported by an older studio). */
  setImportedTraining(id: string, t: ImportedTraining): void {
    this.db
      .prepare('UPDATE runs SET started_at = ?, finished_at = COALESCE(?, finished_at), trained_seconds = ?, hardware = ?, history_note = ? WHERE id = ?')
      .run(t.startedAt, t.finishedAt, t.trainedSeconds, t.hardware, t.note, id)
  }

  /** What the run trains on ("2 CPU cores (…), cpu+blas"), known once its backend started. */
  setHardware(id: string, hardware: string): void {
    this.db.prepare('UPDATE runs SET hardware = ? WHERE id = ?').run(hardware.slice(0, 200), id)
  }

  /**
   * Takes the run's lease for this process: one process trains a run at a time. Refused while
   * another live process holds it (running or paused there); a dead holder's lease is taken over.
   * This process's own lease is taken again freely (threads of one studio are kept apart by its
   * TrainingHost).
   * Check and write happen under one write lock, so two processes cannot both win.
   */
  claim(id: string, isAlive: (pid: number) => boolean = processAlive): void {
    this.db
      .transaction(() => {
        this.refuseHeldElsewhere(id, isAlive, 'stop it there first, or wait for it to finish')
        this.db
          .prepare(
            `UPDATE runs SET status = 'running', pid = ?, host = ?, heartbeat_at = ${NOW}, error = NULL, finished_at = NULL,
                     trained_seconds = COALESCE(trained_seconds, 0), running_since = COALESCE(running_since, ${NOW}) WHERE id = ?`,
          )
          .run(process.pid, hostname(), id)
      })
      .immediate()
  }

  /** Throws RunBusyError when another live process holds the run's lease; call inside the write transaction. */
  private refuseHeldElsewhere(id: string, isAlive: (pid: number) => boolean, advice: string): void {
    const lease = this.db.prepare('SELECT status, pid, host, heartbeat_at AS heartbeatAt FROM runs WHERE id = ?').get(id) as Lease | undefined
    if (!lease || lease.pid === process.pid || !leaseHeld(lease, isAlive)) return
    const where = lease.host && lease.host !== hostname() ? ` on ${lease.host}` : ''
    throw new RunBusyError(`Run ${id} is being trained by process ${lease.pid}${where} (${lease.status}); ${advice}.`)
  }

  /** The lease holder says it is still alive (checked by processes on other hosts). */
  heartbeat(id: string): void {
    this.db.prepare(`UPDATE runs SET heartbeat_at = ${NOW} WHERE id = ? AND pid = ?`).run(id, process.pid)
  }

  get(id: string): RunSummary | undefined {
    const raw = this.db.prepare(`${SELECT_RUN} WHERE r.id = ?`).get(id) as Record<string, unknown> | undefined
    return raw && toRun(raw, this.lastValues(id).get(id))
  }

  list(): RunSummary[] {
    const last = this.lastValues()
    return (this.db.prepare(`${SELECT_RUN} ORDER BY r.created_at DESC`).all() as Record<string, unknown>[]).map((raw) => toRun(raw, last.get(raw.id as string)))
  }

  /** Each metric at its last step, per run and phase: one pass over the metrics' primary key. */
  private lastValues(runId?: string): Map<string, LastValues> {
    const rows = this.db
      .prepare(`SELECT run_id AS runId, phase, name, value, MAX(step) AS step FROM metrics ${runId ? 'WHERE run_id = ?' : ''} GROUP BY run_id, phase, name`)
      .all(...(runId ? [runId] : [])) as { runId: string; phase: Phase; name: string; value: number; step: number }[]
    const byRun = new Map<string, LastValues>()
    for (const row of rows) {
      const last = byRun.get(row.runId) ?? { phaseSteps: { gan: 0, encoder: 0 }, lastLosses: {} }
      last.phaseSteps[row.phase] = Math.max(last.phaseSteps[row.phase] ?? 0, row.step)
      if (row.name !== METRIC_NAMES.imagesPerSecond) last.lastLosses[row.name] = row.value
      byRun.set(row.runId, last)
    }
    // A checkpoint counts too: an imported run may hold one with no metrics behind it.
    const checkpoints = this.db
      .prepare(`SELECT run_id AS runId, phase, MAX(step) AS step FROM checkpoints ${runId ? 'WHERE run_id = ?' : ''} GROUP BY run_id, phase`)
      .all(...(runId ? [runId] : [])) as { runId: string; phase: Phase; step: number }[]
    for (const row of checkpoints) {
      const last = byRun.get(row.runId) ?? { phaseSteps: { gan: 0, encoder: 0 }, lastLosses: {} }
      last.phaseSteps[row.phase] = Math.max(last.phaseSteps[row.phase] ?? 0, row.step)
      byRun.set(row.runId, last)
    }
    return byRun
  }

  /** Renames a run or changes its notes; an empty name clears it. */
  describe(id: string, change: { name?: string; notes?: string }): void {
    if (change.name !== undefined) this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(change.name.trim() || null, id)
    if (change.notes !== undefined) this.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(change.notes, id)
  }

  /**
   * Deletes a run with its metrics, samples and checkpoints. Aging records keep the model's hash
   * but no longer point at the gone checkpoint. Returns the checkpoints so their folders can go too.
   */
  delete(id: string, isAlive: (pid: number) => boolean = processAlive): CheckpointSummary[] {
    const checkpoints = this.checkpoints(id)
    this.db
      .transaction(() => {
        this.refuseHeldElsewhere(id, isAlive, 'stop it there first')
        this.db.prepare('UPDATE aging_jobs SET checkpoint_id = NULL WHERE checkpoint_id IN (SELECT id FROM checkpoints WHERE run_id = ?)').run(id)
        this.db.prepare('DELETE FROM runs WHERE id = ?').run(id)
      })
      .immediate()
    return checkpoints
  }

  /** Each metric at the phase's last step: a bundle's "final losses". */
  finalMetrics(runId: string, phase: Phase): Record<string, number> {
    const rows = this.db
      .prepare('SELECT name, value FROM metrics WHERE run_id = ? AND phase = ? AND step = (SELECT MAX(step) FROM metrics WHERE run_id = ? AND phase = ?)')
      .all(runId, phase, runId, phase) as { name: string; value: number }[]
    return Object.fromEntries(rows.map((m) => [m.name, m.value]))
  }

  /** One metric's values after a step, in step order, a page at a time (the CSV export). */
  metricPage(runId: string, phase: Phase, name: string, afterStep: number, limit: number): { step: number; value: number }[] {
    return this.db
      .prepare('SELECT step, value FROM metrics WHERE run_id = ? AND phase = ? AND name = ? AND step > ? ORDER BY step LIMIT ?')
      .all(runId, phase, name, afterStep, limit) as { step: number; value: number }[]
  }

  /** The run an imported model bundle became, by its origin ("bundle:HASH"). */
  byOrigin(origin: string): string | undefined {
    return (this.db.prepare('SELECT id FROM runs WHERE origin = ?').get(origin) as { id: string } | undefined)?.id
  }

  /** Checkpoints that can age a face (encoder phase), newest first, with their run's name, preset and status. */
  encoderCheckpoints(): AgingModelChoice[] {
    return this.db
      .prepare(
        `SELECT c.run_id AS runId, r.name AS runName, c.id AS checkpointId, c.phase, c.step, r.preset, r.origin, r.status AS runStatus, c.created_at AS createdAt
         FROM checkpoints c JOIN runs r ON r.id = c.run_id WHERE c.phase = 'encoder' ORDER BY c.created_at DESC, c.id DESC`,
      )
      .all() as AgingModelChoice[]
  }

  /** Of these stored files, the ones no sample or image refers to any more. */
  unreferenced(files: string[]): string[] {
    const used = this.db
      .prepare('SELECT 1 FROM samples WHERE file = ? UNION ALL SELECT 1 FROM images WHERE crop_file = ? OR train_file = ? OR thumb_file = ? LIMIT 1')
      .pluck()
    return [...new Set(files)].filter((file) => used.get(file, file, file, file) === undefined)
  }

  /** A new status; training time runs only while the status is 'running'. */
  setStatus(id: string, status: RunStatus, error: string | null = null): void {
    const finished = ['done', 'cancelled', 'failed', 'interrupted'].includes(status)
    const clock = status === 'running' ? `trained_seconds = COALESCE(trained_seconds, 0), running_since = COALESCE(running_since, ${NOW})` : closeClock(NOW)
    this.db.prepare(`UPDATE runs SET status = ?, error = ?, finished_at = ${finished ? NOW : 'NULL'}, ${clock} WHERE id = ?`).run(status, error, id)
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

  /** Metric rows as they came (an imported history), in one transaction. */
  addMetricRows(runId: string, rows: MetricRow[]): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO metrics (run_id, phase, step, name, value) VALUES (?, ?, ?, ?, ?)')
    this.db.transaction(() => rows.forEach((r) => insert.run(runId, r.phase, r.step, r.name, r.value)))()
  }

  metrics(runId: string, sinceStep = -1): MetricRow[] {
    return this.db
      .prepare('SELECT phase, step, name, value FROM metrics WHERE run_id = ? AND step > ? ORDER BY phase, step')
      .all(runId, sinceStep) as MetricRow[]
  }

  addSample(runId: string, phase: Phase, step: number, file: string): void {
    this.db.prepare('INSERT OR REPLACE INTO samples (run_id, phase, step, file) VALUES (?, ?, ?, ?)').run(runId, phase, step, file)
  }

  samples(runId: string): { phase: Phase; step: number; file: string }[] {
    return this.db.prepare('SELECT phase, step, file FROM samples WHERE run_id = ? ORDER BY id').all(runId) as { phase: Phase; step: number; file: string }[]
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
    return this.checkpoints(runId)
      .sort((a, b) => (a.phase === b.phase ? a.step - b.step : a.phase === 'gan' ? -1 : 1))
      .at(-1)
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
    return this.db.prepare('SELECT id, run_id AS runId, phase, step, epoch, dir, sha256, created_at AS createdAt FROM checkpoints WHERE id = ?').get(id) as
      CheckpointSummary | undefined
  }

  /** Runs left 'running' by a process that died are 'interrupted', resumable from their checkpoint. */
  markInterrupted(isAlive: (pid: number) => boolean = processAlive): number {
    const live = this.db
      .prepare("SELECT id, status, pid, host, heartbeat_at AS heartbeatAt FROM runs WHERE status IN ('running', 'paused')")
      .all() as (Lease & { id: string })[]
    const stale = live.filter((run) => !leaseHeld(run, isAlive))
    // A dead trainer's time ends at its last heartbeat, not when someone noticed.
    const stop = this.db.prepare(`UPDATE runs SET ${closeClock('COALESCE(heartbeat_at, running_since)')} WHERE id = ?`)
    for (const run of stale) {
      stop.run(run.id)
      this.setStatus(run.id, 'interrupted')
    }
    return stale.length
  }
}
