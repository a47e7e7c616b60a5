/** Evaluations: the judges' verdict on one checkpoint over one held-out split. */
import type Database from 'better-sqlite3'
import type { EvalSplit, EvaluationMetrics, EvaluationSummary } from '../../shared/evaluation'

interface Row {
  id: number
  run_id: string
  checkpoint_id: number
  phase: string
  step: number
  split: EvalSplit
  metrics: string
  details_file: string
  created_at: string
  imported: number
}

const SELECT = `SELECT e.id, e.run_id, e.checkpoint_id, c.phase, c.step, e.split, e.metrics, e.details_file, e.created_at, e.imported
  FROM evaluations e JOIN checkpoints c ON c.id = e.checkpoint_id`

const summary = (row: Row): EvaluationSummary => ({
  id: row.id,
  runId: row.run_id,
  checkpointId: row.checkpoint_id,
  phase: row.phase,
  step: row.step,
  split: row.split,
  createdAt: row.created_at,
  metrics: JSON.parse(row.metrics) as EvaluationMetrics,
  detailsFile: row.details_file,
  imported: row.imported === 1,
})

export class EvaluationRepo {
  constructor(private readonly db: Database.Database) {}

  /** `imported`: when it was judged elsewhere (a bundle's history), and so not here. */
  add(
    runId: string,
    checkpointId: number,
    split: EvalSplit,
    metrics: EvaluationMetrics,
    detailsFile: string,
    imported?: { createdAt: string },
  ): EvaluationSummary {
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO evaluations (run_id, checkpoint_id, split, faces, metrics, details_file, imported, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`,
      )
      .run(runId, checkpointId, split, metrics.faces, JSON.stringify(metrics), detailsFile, imported ? 1 : 0, imported?.createdAt ?? null)
    return this.get(Number(lastInsertRowid))!
  }

  get(id: number): EvaluationSummary | undefined {
    const row = this.db.prepare(`${SELECT} WHERE e.id = ?`).get(id) as Row | undefined
    return row && summary(row)
  }

  /** A run's evaluations, oldest checkpoint first, then oldest evaluation. */
  forRun(runId: string): EvaluationSummary[] {
    return (this.db.prepare(`${SELECT} WHERE e.run_id = ? ORDER BY c.id, e.id`).all(runId) as Row[]).map(summary)
  }

  /** The newest evaluation of a checkpoint, on any split. */
  latestFor(checkpointId: number): EvaluationSummary | undefined {
    const row = this.db.prepare(`${SELECT} WHERE e.checkpoint_id = ? ORDER BY e.id DESC LIMIT 1`).get(checkpointId) as Row | undefined
    return row && summary(row)
  }
}
