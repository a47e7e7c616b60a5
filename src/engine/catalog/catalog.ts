/** The SQLite catalog: one database file in the data directory, migrated on open. */
import type Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { MIGRATIONS, type Migration } from './migrations'
import { openDatabase } from './native'
import { DatasetRepo } from './datasets'
import { ImageRepo } from './images'
import { RunRepo } from './runs'
import { AgingJobRepo } from './agingJobs'
import { EvaluationRepo } from './evaluations'

export const CATALOG_FILE = 'catalog.sqlite'

export interface CatalogOptions {
  /** Path to a better_sqlite3.node built for this runtime (Electron passes its own). */
  nativeBinding?: string
  migrations?: Migration[]
}

export class Catalog {
  readonly datasets: DatasetRepo
  readonly images: ImageRepo
  readonly runs: RunRepo
  readonly agingJobs: AgingJobRepo
  readonly evaluations: EvaluationRepo

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {
    this.datasets = new DatasetRepo(db)
    this.images = new ImageRepo(db)
    this.runs = new RunRepo(db)
    this.agingJobs = new AgingJobRepo(db)
    this.evaluations = new EvaluationRepo(db)
  }

  static open(home: string, options: CatalogOptions = {}): Catalog {
    mkdirSync(home, { recursive: true })
    const path = join(home, CATALOG_FILE)
    const db = openDatabase(path, options.nativeBinding)
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('foreign_keys = ON')
      db.pragma('busy_timeout = 5000')
      migrate(db, options.migrations ?? MIGRATIONS)
    } catch (error) {
      db.close()
      if ((error as { code?: string }).code === 'SQLITE_NOTADB') {
        throw new Error(`${path} is not an Age Studio catalog (not a SQLite database): move it aside or use another --home.`)
      }
      throw error
    }
    return new Catalog(db, path)
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  /** Runs fn in one transaction: writes that belong together land together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  close(): void {
    this.db.close()
  }
}

/** Applies every migration above the stored version, each in its own transaction. */
export function migrate(db: Database.Database, migrations: Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number
  const newest = migrations.at(-1)?.version ?? 0
  if (current > newest) {
    throw new Error(
      `This catalog has schema version ${current}, newer than this Age Studio understands (${newest}); ` + 'update Age Studio or use another --home.',
    )
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue
    db.transaction(() => {
      db.exec(migration.sql)
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
  return db.pragma('user_version', { simple: true }) as number
}
