import type Database from 'better-sqlite3'
import { emptyPerBin, type AgeBin } from '../../shared/ageBins'
import type { AgeSource, Split } from '../../shared/domain'

export interface NewImage {
  datasetId: number
  sha256: string
  sourcePath: string
  cropFile: string | null
  trainFile: string | null
  width: number | null
  height: number | null
  age: number | null
  ageSource: AgeSource | null
  ageBin: AgeBin | null
  split: Split
}

export interface ImageRow {
  id: number
  datasetId: number
  datasetName: string
  sha256: string
  sourcePath: string
  cropFile: string | null
  trainFile: string | null
  width: number | null
  height: number | null
  age: number | null
  ageSource: AgeSource | null
  bin: AgeBin | null
  split: Split
  excluded: boolean
  importError: string | null
  createdAt: string
}

export interface ImageFilter {
  bin?: number | null
  datasetId?: number
}

const SELECT_ROW = `
  SELECT i.id, i.dataset_id AS datasetId, d.name AS datasetName, i.sha256, i.source_path AS sourcePath,
         i.crop_file AS cropFile, i.train_file AS trainFile, i.width, i.height, i.age,
         i.age_source AS ageSource, i.age_bin AS bin, i.split, i.excluded, i.import_error AS importError,
         i.created_at AS createdAt
  FROM images i JOIN datasets d ON d.id = i.dataset_id`

function where(filter: ImageFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = []
  const params: unknown[] = []
  if (filter.bin !== undefined && filter.bin !== null) {
    clauses.push('i.age_bin = ?')
    params.push(filter.bin)
  }
  if (filter.datasetId !== undefined) {
    clauses.push('i.dataset_id = ?')
    params.push(filter.datasetId)
  }
  return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params }
}

const toRow = (raw: Record<string, unknown>): ImageRow => ({ ...(raw as unknown as ImageRow), excluded: raw.excluded === 1 })

export class ImageRepo {
  constructor(private readonly db: Database.Database) {}

  /** Inserts new images; an sha256 already in the catalog is skipped. Returns how many were new. */
  insertMany(images: NewImage[]): { inserted: number; duplicates: number } {
    const insert = this.db.prepare(
      `INSERT INTO images (dataset_id, sha256, source_path, crop_file, train_file, width, height, age, age_source, age_bin, split)
       VALUES (@datasetId, @sha256, @sourcePath, @cropFile, @trainFile, @width, @height, @age, @ageSource, @ageBin, @split)
       ON CONFLICT (sha256) DO NOTHING`,
    )
    return this.db.transaction(() => {
      let inserted = 0
      for (const image of images) inserted += insert.run(image).changes
      return { inserted, duplicates: images.length - inserted }
    })()
  }

  hasSha(sha256: string): boolean {
    return this.db.prepare('SELECT 1 FROM images WHERE sha256 = ?').get(sha256) !== undefined
  }

  count(filter: ImageFilter = {}): number {
    const w = where(filter)
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM images i${w.sql}`).get(...w.params) as { n: number }).n
  }

  /** Images per bin plus the unlabelled count, for the histogram. */
  perBin(filter: Omit<ImageFilter, 'bin'> = {}): { perBin: number[]; unlabelled: number; total: number } {
    const w = where(filter)
    const rows = this.db
      .prepare(`SELECT i.age_bin AS bin, COUNT(*) AS n FROM images i${w.sql} GROUP BY i.age_bin`)
      .all(...w.params) as { bin: number | null; n: number }[]
    const perBin = emptyPerBin()
    let unlabelled = 0
    for (const row of rows) {
      if (row.bin === null) unlabelled += row.n
      else perBin[row.bin] = row.n
    }
    return { perBin, unlabelled, total: perBin.reduce((a, b) => a + b, unlabelled) }
  }

  list(filter: ImageFilter, offset: number, limit: number): ImageRow[] {
    const w = where(filter)
    return (
      this.db.prepare(`${SELECT_ROW}${w.sql} ORDER BY i.id LIMIT ? OFFSET ?`).all(...w.params, limit, offset) as Record<
        string,
        unknown
      >[]
    ).map(toRow)
  }

  get(id: number): ImageRow | undefined {
    const raw = this.db.prepare(`${SELECT_ROW} WHERE i.id = ?`).get(id) as Record<string, unknown> | undefined
    return raw && toRow(raw)
  }
}
