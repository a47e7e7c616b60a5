import type Database from 'better-sqlite3'
import { ageToBin, emptyPerBin, type AgeBin } from '../../shared/ageBins'
import type { AgeSource, Box, ImageFlag, ImageSort, Split } from '../../shared/domain'
import type { TrainConfig } from '../../shared/training'
import { whereClause, type ImageFilter } from './imageFilter'
import { framingOf, maxFillOf, windowFill } from '../../shared/framing'

export type { ImageFilter } from './imageFilter'

export interface NewImage {
  datasetId: number
  sha256: string
  sourcePath: string
  cropFile: string | null
  trainFile: string | null
  /** The face window (DEFAULT_FRAMING) at 64 px: what the Library shows; null before migration 8. */
  thumbFile?: string | null
  width: number | null
  height: number | null
  age: number | null
  ageSource: AgeSource | null
  ageBin: AgeBin | null
  split: Split
  identity?: string | null
  gender?: string | null
  faceBox?: Box | null
  landmarks?: { x: number; y: number }[] | null
  transform?: number[] | null
  faceScore?: number | null
  flags?: ImageFlag[]
  importError?: string | null
  phash?: string | null
  nearDuplicateOf?: number | null
}

export interface ImageRow {
  id: number
  datasetId: number
  datasetName: string
  sha256: string
  sourcePath: string
  cropFile: string | null
  trainFile: string | null
  thumbFile: string | null
  width: number | null
  height: number | null
  age: number | null
  ageSource: AgeSource | null
  bin: AgeBin | null
  split: Split
  excluded: boolean
  flags: ImageFlag[]
  identity: string | null
  gender: string | null
  faceBox: Box | null
  landmarks: { x: number; y: number }[] | null
  /** Crop → photo similarity transform of the master (null for demo faces, drawn whole). */
  transform: number[] | null
  faceScore: number | null
  nearDuplicateOf: number | null
  importError: string | null
  createdAt: string
}

/** Which images a run trains on (a TrainConfig's filters). */
export type TrainingSelection = Pick<TrainConfig, 'datasetId' | 'splits' | 'bins' | 'ageSources' | 'includeExcluded' | 'framing' | 'maxFill'>
export type TrainingRow = { file: string; crop: string | null; bin: number; datasetId: number }

/** A bulk edit from the Library: one field for many images; reviewed clears the flags. */
export type ImagePatch = { age: number } | { excluded: boolean } | { split: Split } | { reviewed: true }

/** The last part of a path or demo:// address, separators of either OS. */
export const fileNameOf = (path: string) => path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)

/** Each sort ties on import order, so pages never overlap or skip. */
const ORDER: Record<ImageSort, string> = {
  imported: 'i.id',
  newest: 'i.id DESC',
  age: 'i.age IS NULL, i.age, i.id',
  'age-desc': 'i.age IS NULL, i.age DESC, i.id',
  name: 'file_name(i.source_path) COLLATE NOCASE, i.id',
  // Least confident first: those are the detections worth a look. Rejected (no score) last.
  confidence: 'i.face_score IS NULL, i.face_score, i.id',
  flagged: "i.import_error IS NOT NULL, i.flags = '[]', i.id",
}

/** A manual age answers the name parser's doubt. */
const CLEAR_UNPARSED = "flags = (SELECT json_group_array(value) FROM json_each(flags) WHERE value <> 'unparsed-name')"

const SELECT_ROW = `
  SELECT i.id, i.dataset_id AS datasetId, d.name AS datasetName, i.sha256, i.source_path AS sourcePath,
         i.crop_file AS cropFile, i.train_file AS trainFile, i.thumb_file AS thumbFile, i.width, i.height, i.age,
         i.age_source AS ageSource, i.age_bin AS bin, i.split, i.excluded, i.flags, i.identity, i.gender,
         i.face_box AS faceBox, i.landmarks, i.face_score AS faceScore, i.near_duplicate_of AS nearDuplicateOf,
         i.import_error AS importError, i.created_at AS createdAt, i.transform
  FROM images i JOIN datasets d ON d.id = i.dataset_id`

const parse = <T>(text: unknown): T | null => (typeof text === 'string' ? (JSON.parse(text) as T) : null)

const toRow = (raw: Record<string, unknown>): ImageRow => ({
  ...(raw as unknown as ImageRow),
  excluded: raw.excluded === 1,
  flags: parse<ImageFlag[]>(raw.flags) ?? [],
  faceBox: parse<Box>(raw.faceBox),
  landmarks: parse<{ x: number; y: number }[]>(raw.landmarks),
  transform: parse<number[]>(raw.transform),
})

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value))

export interface CalibrationFace {
  id: number
  crop: string
  train: string
  age: number | null
  identity: string | null
  duplicateOf: number | null
}

export class ImageRepo {
  constructor(private readonly db: Database.Database) {
    db.function('file_name', { deterministic: true }, (path) => fileNameOf(String(path)))
  }

  /** Inserts new images; an sha256 already in the catalog is skipped. Returns the new ids in order (null = duplicate). */
  insertMany(images: NewImage[]): { inserted: number; duplicates: number; ids: (number | null)[] } {
    const insert = this.db.prepare(
      `INSERT INTO images (dataset_id, sha256, source_path, crop_file, train_file, thumb_file, width, height, age, age_source, age_bin, split,
                           identity, gender, face_box, landmarks, transform, face_score, flags, import_error, phash, near_duplicate_of)
       VALUES (@datasetId, @sha256, @sourcePath, @cropFile, @trainFile, @thumbFile, @width, @height, @age, @ageSource, @ageBin, @split,
               @identity, @gender, @faceBox, @landmarks, @transform, @faceScore, @flags, @importError, @phash, @nearDuplicateOf)
       ON CONFLICT (sha256) DO NOTHING`,
    )
    return this.db.transaction(() => {
      const ids = images.map((image) => {
        const result = insert.run({
          ...image,
          thumbFile: image.thumbFile ?? null,
          identity: image.identity ?? null,
          gender: image.gender ?? null,
          faceBox: json(image.faceBox),
          landmarks: json(image.landmarks),
          transform: json(image.transform),
          faceScore: image.faceScore ?? null,
          flags: JSON.stringify(image.flags ?? []),
          importError: image.importError ?? null,
          phash: image.phash ?? null,
          nearDuplicateOf: image.nearDuplicateOf ?? null,
        })
        return result.changes ? Number(result.lastInsertRowid) : null
      })
      const inserted = ids.filter((id) => id !== null).length
      return { inserted, duplicates: images.length - inserted, ids }
    })()
  }

  /** For a file already in the catalog: why its import was refused (null if it was not); undefined if unknown. */
  importErrorOf(sha256: string): string | null | undefined {
    const row = this.db.prepare('SELECT import_error AS error FROM images WHERE sha256 = ?').get(sha256) as { error: string | null } | undefined
    return row?.error
  }

  /** Images whose stored hash is of an older kind (the difference hash used before the DCT hash), to hash again. */
  legacyHashes(currentPrefix: string): { id: number; sourcePath: string }[] {
    return this.db
      .prepare('SELECT id, source_path AS sourcePath FROM images WHERE phash IS NOT NULL AND substr(phash, 1, length(?)) <> ?')
      .all(currentPrefix, currentPrefix) as { id: number; sourcePath: string }[]
  }

  /** The first `limit` cropped faces with what the judges' calibration (npm run bench -- --calibrate-judges) pairs them by. */
  calibrationFaces(limit: number): CalibrationFace[] {
    return this.db
      .prepare(
        `SELECT id, crop_file AS crop, train_file AS train, age, identity, near_duplicate_of AS duplicateOf FROM images
        WHERE crop_file IS NOT NULL AND train_file IS NOT NULL AND import_error IS NULL ORDER BY id LIMIT ?`,
      )
      .all(limit) as CalibrationFace[]
  }

  /** Faces cropped from a photo file (not demo faces), to crop again: the stored alignment with its photo's hash. */
  croppedFaces(
    datasetId?: number,
  ): { id: number; sha256: string; sourcePath: string; transform: string; cropFile: string; trainFile: string; thumbFile: string | null }[] {
    const where = `crop_file IS NOT NULL AND train_file IS NOT NULL AND transform IS NOT NULL AND import_error IS NULL${datasetId === undefined ? '' : ' AND dataset_id = ?'}`
    return this.db
      .prepare(
        `SELECT id, sha256, source_path AS sourcePath, transform, crop_file AS cropFile, train_file AS trainFile, thumb_file AS thumbFile FROM images WHERE ${where} ORDER BY id`,
      )
      .all(...(datasetId === undefined ? [] : [datasetId])) as ReturnType<ImageRepo['croppedFaces']>
  }

  setCrops(id: number, files: { cropFile: string; trainFile: string; thumbFile: string }): void {
    this.db.prepare('UPDATE images SET crop_file = ?, train_file = ?, thumb_file = ? WHERE id = ?').run(files.cropFile, files.trainFile, files.thumbFile, id)
  }

  setHash(id: number, phash: string | null): void {
    this.db.prepare('UPDATE images SET phash = ? WHERE id = ?').run(phash, id)
  }

  /** The age a photo (by its bytes' hash) carries in the catalog, if any: where it came from and which face it is of. */
  ageOf(sha256: string): { age: number; ageSource: AgeSource; faceBox: Box | null } | undefined {
    const row = this.db.prepare('SELECT age, age_source AS ageSource, face_box AS faceBox FROM images WHERE sha256 = ? AND age IS NOT NULL').get(sha256) as
      { age: number; ageSource: AgeSource; faceBox: string | null } | undefined
    return row && { ...row, faceBox: parse<Box>(row.faceBox) }
  }

  /**
   * The rows a run trains on: labelled, not refused at import, matching the run's filters, and
   * with no more of the run's window outside the photo than it allows (a row with no transform,
   * a demo face, was drawn whole).
   */
  trainingRows(selection: TrainingSelection): TrainingRow[] {
    const clauses = ['age_bin IS NOT NULL', 'train_file IS NOT NULL', 'import_error IS NULL']
    const params: unknown[] = []
    const oneOf = (column: string, values: readonly unknown[]) => {
      clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`)
      params.push(...values)
    }
    oneOf('split', selection.splits)
    if (selection.bins) oneOf('age_bin', selection.bins)
    if (selection.ageSources) oneOf('age_source', selection.ageSources)
    if (!selection.includeExcluded) clauses.push('excluded = 0')
    if (selection.datasetId !== undefined) oneOf('dataset_id', [selection.datasetId])
    const sql = `SELECT train_file AS file, crop_file AS crop, age_bin AS bin, dataset_id AS datasetId, width, height, transform FROM images WHERE ${clauses.join(' AND ')} ORDER BY id`
    const rows = this.db.prepare(sql).all(...params) as (TrainingRow & { width: number | null; height: number | null; transform: string | null })[]
    const [framing, limit] = [framingOf(selection), maxFillOf(selection)]
    const fits = (row: (typeof rows)[number]) =>
      limit >= 1 || !row.transform || windowFill(JSON.parse(row.transform) as number[], row.width!, row.height!, framing) <= limit
    return rows.filter(fits).map(({ file, crop, bin, datasetId }) => ({ file, crop, bin, datasetId }))
  }

  /** The photo a training row was imported from: where it was and the hash of its bytes then. */
  photoOf(trainFile: string): { sourcePath: string; sha256: string } | undefined {
    return this.db.prepare('SELECT source_path AS sourcePath, sha256 FROM images WHERE train_file = ?').get(trainFile) as
      { sourcePath: string; sha256: string } | undefined
  }

  /** Every stored perceptual hash, for the near-duplicate check of an import. */
  hashes(): { id: number; phash: string }[] {
    return this.db.prepare('SELECT id, phash FROM images WHERE phash IS NOT NULL').all() as { id: number; phash: string }[]
  }

  /** What settling a near-duplicate group needs of its members. */
  groupMembers(ids: number[]): GroupMember[] {
    const statement = this.db.prepare('SELECT id, width, height, sha256, identity, split, flags FROM images WHERE id = ?')
    return ids.flatMap((id) => {
      const raw = statement.get(id) as (Omit<GroupMember, 'flags'> & { flags: string }) | undefined
      return raw ? [{ ...raw, flags: parse<ImageFlag[]>(raw.flags) ?? [] }] : []
    })
  }

  /** Each member's original (null for the original itself), flags and split, in one transaction. */
  settleGroup(members: { id: number; nearDuplicateOf: number | null; flags: ImageFlag[]; split: Split }[]): void {
    const statement = this.db.prepare('UPDATE images SET near_duplicate_of = ?, flags = ?, split = ? WHERE id = ?')
    this.db.transaction(() => members.forEach((m) => statement.run(m.nearDuplicateOf, JSON.stringify(m.flags), m.split, m.id)))()
  }

  count(filter: ImageFilter = {}): number {
    const w = whereClause(filter)
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM images i${w.sql}`).get(...w.params) as { n: number }).n
  }

  /** The histogram (real and estimated ages stacked) and the Library's counters, under a filter but any bin. */
  stats(filter: ImageFilter = {}) {
    const w = whereClause(filter, ['bin'])
    const rows = this.db
      .prepare(
        `SELECT i.age_bin AS bin, i.age_source = 'estimate' AS estimated, i.import_error IS NOT NULL AS rejected,
                i.flags <> '[]' AS flagged, i.excluded, COUNT(*) AS n
         FROM images i${w.sql} GROUP BY 1, 2, 3, 4, 5`,
      )
      .all(...w.params) as { bin: number | null; estimated: number | null; rejected: number; flagged: number; excluded: number; n: number }[]
    const stats = { total: 0, perBin: emptyPerBin(), estimatedPerBin: emptyPerBin(), unlabelled: 0, rejected: 0, flagged: 0, excluded: 0 }
    for (const row of rows) {
      stats.total += row.n
      if (row.excluded) stats.excluded += row.n
      if (row.rejected) {
        stats.rejected += row.n
        continue
      }
      if (row.flagged) stats.flagged += row.n
      if (row.bin === null) stats.unlabelled += row.n
      else (row.estimated ? stats.estimatedPerBin : stats.perBin)[row.bin] += row.n
    }
    return stats
  }

  list(filter: ImageFilter, offset: number, limit: number): ImageRow[] {
    const w = whereClause(filter)
    const rows = this.db.prepare(`${SELECT_ROW}${w.sql} ORDER BY ${ORDER[filter.sort ?? 'imported']} LIMIT ? OFFSET ?`).all(...w.params, limit, offset)
    return (rows as Record<string, unknown>[]).map(toRow)
  }

  ids(filter: ImageFilter, limit: number): number[] {
    const w = whereClause(filter)
    return this.db
      .prepare(`SELECT i.id FROM images i${w.sql} ORDER BY ${ORDER[filter.sort ?? 'imported']} LIMIT ?`)
      .pluck()
      .all(...w.params, limit) as number[]
  }

  get(id: number): ImageRow | undefined {
    const raw = this.db.prepare(`${SELECT_ROW} WHERE i.id = ?`).get(id) as Record<string, unknown> | undefined
    return raw && toRow(raw)
  }

  /** Applies one edit to many images in one transaction; returns how many exist and changed. A manual age is a real label. */
  update(ids: number[], patch: ImagePatch): number {
    const [sql, params] =
      'age' in patch
        ? [`age = ?, age_bin = ?, age_source = 'manual', ${CLEAR_UNPARSED}`, [patch.age, ageToBin(patch.age)]]
        : 'excluded' in patch
          ? ['excluded = ?', [patch.excluded ? 1 : 0]]
          : 'reviewed' in patch
            ? ["flags = '[]'", []]
            : ['split = ?', [patch.split]]
    // Rejected images have nothing to train on: only their exclusion may change.
    const guard = 'excluded' in patch ? '' : ' AND import_error IS NULL'
    const statement = this.db.prepare(`UPDATE images SET ${sql} WHERE id = ?${guard}`)
    return this.db.transaction(() => ids.reduce((n, id) => n + statement.run(...params, id).changes, 0))()
  }

  /** Reassigns the splits of a dataset (seeded, by identity where known) in one transaction; a near-duplicate follows its original. */
  resplit(datasetId: number, splitOf: (key: string) => Split): number {
    const rows = this.db
      .prepare(
        `SELECT i.id, COALESCE(o.sha256, i.sha256) AS sha256, CASE WHEN o.id IS NULL THEN i.identity ELSE o.identity END AS identity
         FROM images i LEFT JOIN images o ON o.id = i.near_duplicate_of WHERE i.dataset_id = ?`,
      )
      .all(datasetId) as {
      id: number
      sha256: string
      identity: string | null
    }[]
    const statement = this.db.prepare('UPDATE images SET split = ? WHERE id = ?')
    return this.db.transaction(() => rows.reduce((n, row) => n + statement.run(splitOf(splitKey(row.identity, row.sha256)), row.id).changes, 0))()
  }
}

export interface GroupMember {
  id: number
  width: number | null
  height: number | null
  sha256: string
  identity: string | null
  split: Split
  flags: ImageFlag[]
}

/** What a split is drawn for: the person when the dataset names one, else the photo. */
export const splitKey = (identity: string | null | undefined, sha256: string) => (identity ? `person:${identity}` : `photo:${sha256}`)
