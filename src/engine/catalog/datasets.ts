import type Database from 'better-sqlite3'
import type { DatasetSummary } from '../../shared/domain'

export class DatasetRepo {
  constructor(private readonly db: Database.Database) {}

  /** Returns the dataset's id, creating it when it does not exist yet. */
  ensure(name: string, format: string, root: string | null, options: object = {}): number {
    const found = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined
    if (found) return found.id
    const info = this.db.prepare('INSERT INTO datasets (name, format, root, options) VALUES (?, ?, ?, ?)').run(name, format, root, JSON.stringify(options))
    return Number(info.lastInsertRowid)
  }

  list(): DatasetSummary[] {
    return this.db
      .prepare(
        `SELECT d.id, d.name, d.format, d.root, d.imported_at AS importedAt,
                (SELECT COUNT(*) FROM images i WHERE i.dataset_id = d.id) AS imageCount,
                (SELECT COUNT(*) FROM images i WHERE i.dataset_id = d.id AND i.import_error IS NOT NULL) AS refusedCount
         FROM datasets d ORDER BY d.id`,
      )
      .all() as DatasetSummary[]
  }

  exists(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(id) !== undefined
  }
}
