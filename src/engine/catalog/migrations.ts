/**
 * Numbered schema migrations. A migration is never edited once released: add the next number.
 * The applied version lives in PRAGMA user_version; each migration runs in its own transaction.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

const NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'catalog v1: datasets, images, runs, metrics, samples, checkpoints, aging jobs',
    sql: `
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL,
        root TEXT,
        options TEXT NOT NULL DEFAULT '{}',
        imported_at TEXT NOT NULL DEFAULT ${NOW}
      );
      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL UNIQUE,
        source_path TEXT NOT NULL,
        crop_file TEXT,
        train_file TEXT,
        width INTEGER,
        height INTEGER,
        face_box TEXT,
        landmarks TEXT,
        transform TEXT,
        age INTEGER CHECK (age IS NULL OR age BETWEEN 0 AND 120),
        age_source TEXT CHECK (age_source IN ('label', 'filename', 'estimate', 'manual')),
        age_bin INTEGER CHECK (age_bin BETWEEN 0 AND 5),
        identity TEXT,
        gender TEXT,
        split TEXT NOT NULL DEFAULT 'train' CHECK (split IN ('train', 'val', 'test')),
        excluded INTEGER NOT NULL DEFAULT 0 CHECK (excluded IN (0, 1)),
        flags TEXT NOT NULL DEFAULT '[]',
        import_error TEXT,
        created_at TEXT NOT NULL DEFAULT ${NOW},
        CHECK ((age IS NULL) = (age_bin IS NULL)),
        CHECK ((age IS NULL) = (age_source IS NULL))
      );
      CREATE INDEX images_by_bin ON images(age_bin, id);
      CREATE INDEX images_by_dataset ON images(dataset_id, id);
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        preset TEXT NOT NULL,
        config TEXT NOT NULL,
        seed INTEGER NOT NULL,
        backend TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN
          ('pending', 'running', 'paused', 'done', 'cancelled', 'failed', 'interrupted')),
        error TEXT,
        created_at TEXT NOT NULL DEFAULT ${NOW},
        started_at TEXT,
        finished_at TEXT
      );
      CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        phase TEXT NOT NULL,
        step INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (run_id, phase, name, step)
      ) WITHOUT ROWID;
      CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        phase TEXT NOT NULL,
        step INTEGER NOT NULL,
        file TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT ${NOW},
        UNIQUE (run_id, phase, step)
      );
      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        phase TEXT NOT NULL,
        step INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        dir TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT ${NOW},
        UNIQUE (run_id, phase, step)
      );
      CREATE TABLE aging_jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('single', 'batch')),
        checkpoint_id INTEGER REFERENCES checkpoints(id),
        model_hash TEXT,
        params TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT ${NOW},
        finished_at TEXT
      );
      CREATE TABLE aging_outputs (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES aging_jobs(id) ON DELETE CASCADE,
        input_path TEXT NOT NULL,
        input_sha256 TEXT NOT NULL,
        target_age REAL,
        variation INTEGER NOT NULL DEFAULT 0,
        output_file TEXT NOT NULL,
        output_sha256 TEXT NOT NULL,
        identity_distance REAL,
        provenance TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT ${NOW}
      );
    `,
  },
  {
    version: 2,
    name: 'runs remember the process that trains them, so a dead one shows as interrupted',
    sql: 'ALTER TABLE runs ADD COLUMN pid INTEGER;',
  },
  {
    version: 3,
    name: 'imported photos: perceptual hash, near-duplicate link and detection score',
    sql: `
      ALTER TABLE images ADD COLUMN phash TEXT;
      ALTER TABLE images ADD COLUMN near_duplicate_of INTEGER REFERENCES images(id) ON DELETE SET NULL;
      ALTER TABLE images ADD COLUMN face_score REAL;
      CREATE INDEX images_by_split ON images(split, id);
    `,
  },
  {
    version: 4,
    name: 'imported model bundles become runs with an origin; aging jobs remember their output folder',
    sql: `
      ALTER TABLE runs ADD COLUMN origin TEXT;
      ALTER TABLE aging_jobs ADD COLUMN out_dir TEXT;
      CREATE INDEX aging_outputs_by_job ON aging_outputs(job_id, input_sha256, target_age, variation);
    `,
  },
  {
    version: 5,
    name: 'a run is trained by one process at a time: its lease names the host and a heartbeat beside the pid',
    sql: `
      ALTER TABLE runs ADD COLUMN host TEXT;
      ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
    `,
  },
  {
    version: 6,
    name: 'runs get a name and notes from their user',
    sql: `
      ALTER TABLE runs ADD COLUMN name TEXT;
      ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 7,
    name: "evaluations: the independent judges' verdict on a checkpoint, per held-out split",
    sql: `
      CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
        split TEXT NOT NULL CHECK (split IN ('val', 'test')),
        faces INTEGER NOT NULL,
        metrics TEXT NOT NULL,
        details_file TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT ${NOW}
      );
      CREATE INDEX evaluations_by_run ON evaluations(run_id, checkpoint_id);
    `,
  },
  {
    version: 8,
    name: 'images.thumb_file: the Library shows the face as new runs see it (the face window), not the wide master with its mirrored borders',
    sql: 'ALTER TABLE images ADD COLUMN thumb_file TEXT;',
  },
  {
    version: 9,
    name: 'runs count only the time they trained (not paused), name the hardware, and an imported run says where its history came from',
    sql: `
      ALTER TABLE runs ADD COLUMN trained_seconds REAL;
      ALTER TABLE runs ADD COLUMN running_since TEXT;
      ALTER TABLE runs ADD COLUMN hardware TEXT;
      ALTER TABLE runs ADD COLUMN history_note TEXT;
      ALTER TABLE evaluations ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
      UPDATE runs SET trained_seconds = (julianday(finished_at) - julianday(started_at)) * 86400
        WHERE started_at IS NOT NULL AND finished_at IS NOT NULL;
      UPDATE runs SET trained_seconds = 0, running_since = started_at
        WHERE started_at IS NOT NULL AND finished_at IS NULL AND status = 'running';
      UPDATE runs SET trained_seconds = (julianday(COALESCE(heartbeat_at, started_at)) - julianday(started_at)) * 86400
        WHERE started_at IS NOT NULL AND finished_at IS NULL AND status != 'running';
    `,
  },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version
