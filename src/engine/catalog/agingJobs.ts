/** Aging jobs and their outputs: what was made, from which input and model, and how. */
import type Database from 'better-sqlite3'
import type { ExportVerdict } from '../../shared/aging'

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

export interface AgingJobRecord {
  id: string
  kind: 'single' | 'batch'
  checkpointId: number
  modelHash: string
  params: object
  outDir: string
}

export interface AgingOutputRecord {
  jobId: string
  inputPath: string
  inputSha256: string
  targetAge: number
  variation: number
  outputFile: string
  outputSha256: string
  identityDistance: number
  provenance: object
}

/** An output as stored, provenance as its JSON text. */
export interface AgingOutputRow {
  input_path: string
  input_sha256: string
  target_age: number
  variation: number
  output_file: string
  output_sha256: string
  identity_distance: number
  provenance: string
  created_at: string
}

export class AgingJobRepo {
  constructor(private readonly db: Database.Database) {}

  exists(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM aging_jobs WHERE id = ?').get(id) !== undefined
  }

  /** Records a new job, or marks a resumed one running again. */
  start(job: AgingJobRecord): void {
    this.db.transaction(() => {
      this.db
        .prepare("INSERT OR IGNORE INTO aging_jobs (id, kind, checkpoint_id, model_hash, params, status, out_dir) VALUES (?, ?, ?, ?, ?, 'running', ?)")
        .run(job.id, job.kind, job.checkpointId, job.modelHash, JSON.stringify(job.params), job.outDir)
      this.db.prepare("UPDATE aging_jobs SET status = 'running', finished_at = NULL WHERE id = ?").run(job.id)
    })()
  }

  addOutput(output: AgingOutputRecord): void {
    this.db
      .prepare(
        'INSERT INTO aging_outputs (job_id, input_path, input_sha256, target_age, variation, output_file, output_sha256, identity_distance, provenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        output.jobId,
        output.inputPath,
        output.inputSha256,
        output.targetAge,
        output.variation,
        output.outputFile,
        output.outputSha256,
        output.identityDistance,
        JSON.stringify(output.provenance),
      )
  }

  finish(id: string, status: 'done' | 'cancelled' | 'failed'): void {
    this.db.prepare(`UPDATE aging_jobs SET status = ?, finished_at = ${NOW} WHERE id = ?`).run(status, id)
  }

  /** A job recorded whole at once (its outputs written): start, outputs and finish in one transaction. */
  record(job: AgingJobRecord, outputs: AgingOutputRecord[]): void {
    this.db.transaction(() => {
      this.start(job)
      for (const output of outputs) this.addOutput(output)
      this.finish(job.id, 'done')
    })()
  }

  /** A batch's stored parameters (its request), or undefined when there is no such batch. */
  batchParams(jobId: string): unknown {
    const row = this.db.prepare("SELECT params FROM aging_jobs WHERE id = ? AND kind = 'batch'").get(jobId) as { params: string } | undefined
    return row && JSON.parse(row.params)
  }

  /** Where a batch writes, or undefined when there is no such batch. */
  batchOutDir(jobId: string): string | undefined {
    const row = this.db.prepare("SELECT out_dir AS outDir FROM aging_jobs WHERE id = ? AND kind = 'batch'").get(jobId) as { outDir: string | null } | undefined
    return row?.outDir ?? undefined
  }

  /** The one file an editor export wrote, as recorded. */
  exportedFile(jobId: string): { file: string; sha256: string } | undefined {
    return this.db
      .prepare(
        "SELECT o.output_file AS file, o.output_sha256 AS sha256 FROM aging_outputs o JOIN aging_jobs j ON j.id = o.job_id WHERE j.id = ? AND j.kind = 'single'",
      )
      .get(jobId) as { file: string; sha256: string } | undefined
  }

  outputs(jobId: string): AgingOutputRow[] {
    return this.db.prepare('SELECT * FROM aging_outputs WHERE job_id = ? ORDER BY id').all(jobId) as AgingOutputRow[]
  }

  /** The recorded identity distance of one output file of a job. */
  /** An output's identity scores: face-api's distance, and the independent judge's similarity when it was recorded. */
  outputScores(jobId: string, file: string): { distance: number; independent?: number; exported?: ExportVerdict } | undefined {
    const row = this.db
      .prepare(
        `SELECT identity_distance AS distance, json_extract(provenance, '$.identity.independent.similarity') AS independent,
                json_extract(provenance, '$.identity.exported') AS exported
         FROM aging_outputs WHERE job_id = ? AND output_file = ?`,
      )
      .get(jobId, file) as { distance: number; independent: number | null; exported: string | null } | undefined
    return (
      row && {
        distance: row.distance,
        independent: row.independent ?? undefined,
        exported: row.exported ? (JSON.parse(row.exported) as ExportVerdict) : undefined,
      }
    )
  }

  countOutputs(jobId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM aging_outputs WHERE job_id = ?').get(jobId) as { n: number }).n
  }
}
