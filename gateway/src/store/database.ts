import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the gateway's SQLite database in the data directory. The
 * directory is 0700: kernel records hold HMAC keys. WAL keeps writers from blocking readers.
 */
export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const db = new Database(join(dataDir, 'berth.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** A database in memory with the same schema, for commands that only read a config directory. */
export function openMemoryDatabase(): Db {
  const db = new Database(':memory:');
  migrate(db);
  return db;
}

/** Schema versions, applied in order; each runs once (tracked by user_version). */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE kernels (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     spec TEXT NOT NULL,
     owner TEXT NOT NULL,
     provisioner_record TEXT NOT NULL,
     env TEXT NOT NULL,
     created_at TEXT NOT NULL,
     last_activity TEXT NOT NULL
   );
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     path TEXT NOT NULL,
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     kernel_id TEXT NOT NULL
   );`,
  // Admin-managed config objects (exec configs, code envs): the validated object as JSON, and
  // where it came from ('file': seeded from the config directory; 'api': the admin REST API).
  `CREATE TABLE config_objects (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     body TEXT NOT NULL,
     source TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (kind, id)
   );`,
  // Where a kernel runs: its exec config and code env as they were at start (JSON), so restarts
  // and reattach after a gateway restart use the same image, limits and daemon.
  `ALTER TABLE kernels ADD COLUMN placement TEXT;`,
  // Batch runs (the record as JSON, with the columns lists filter on) and ML model versions.
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     owner TEXT NOT NULL,
     exec_config TEXT NOT NULL,
     kind TEXT NOT NULL,
     created_at TEXT NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX runs_by_status ON runs (status, created_at);
   CREATE TABLE models (
     name TEXT NOT NULL,
     version INTEGER NOT NULL,
     run_id TEXT NOT NULL,
     owner TEXT NOT NULL,
     created_at TEXT NOT NULL,
     summary TEXT NOT NULL,
     state TEXT NOT NULL,
     PRIMARY KEY (name, version)
   );`,
];

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
