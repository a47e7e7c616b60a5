/** Aging jobs and their outputs in the catalog: what was made, from which input and model, and how. */
import type { Catalog } from '../catalog/catalog'

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

export function agingJobExists(catalog: Catalog, id: string): boolean {
  return catalog.db.prepare('SELECT 1 FROM aging_jobs WHERE id = ?').get(id) !== undefined
}

export function startAgingJob(catalog: Catalog, job: AgingJobRecord): void {
  catalog.db
    .prepare("INSERT OR IGNORE INTO aging_jobs (id, kind, checkpoint_id, model_hash, params, status, out_dir) VALUES (?, ?, ?, ?, ?, 'running', ?)")
    .run(job.id, job.kind, job.checkpointId, job.modelHash, JSON.stringify(job.params), job.outDir)
  catalog.db.prepare("UPDATE aging_jobs SET status = 'running', finished_at = NULL WHERE id = ?").run(job.id)
}

export function addAgingOutput(catalog: Catalog, output: AgingOutputRecord): void {
  catalog.db
    .prepare(
      'INSERT INTO aging_outputs (job_id, input_path, input_sha256, target_age, variation, output_file, output_sha256, identity_distance, provenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(output.jobId, output.inputPath, output.inputSha256, output.targetAge, output.variation, output.outputFile, output.outputSha256, output.identityDistance, JSON.stringify(output.provenance))
}

export function finishAgingJob(catalog: Catalog, id: string, status: 'done' | 'cancelled' | 'failed'): void {
  catalog.db.prepare("UPDATE aging_jobs SET status = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(status, id)
}
