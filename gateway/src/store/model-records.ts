import type { Db } from './database';

/** One trained version of a named model; the files live in the data directory's model store. */
export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly runId: string;
  readonly owner: string;
  readonly createdAt: string;
  /** model.json as the training wrote it: algorithm, task, features, target, metrics summary. */
  readonly summary: Record<string, unknown>;
}

interface ModelRow {
  name: string;
  version: number;
  run_id: string;
  owner: string;
  created_at: string;
  summary: string;
}

/** The `models` table: versions are numbered per name from 1, in training order. */
export class ModelRecords {
  constructor(private readonly db: Db) {}

  /**
   * Claims the next version of `name` for a training that starts now (one synchronous statement:
   * two trainings of one name at once get different versions). It stays hidden until `complete`.
   */
  reserve(name: string, runId: string, owner: string): number {
    const claim = this.db.transaction(() => {
      const row = this.db.prepare('SELECT MAX(version) AS latest FROM models WHERE name = ?').get(name) as { latest: number | null };
      const version = (row.latest ?? 0) + 1;
      this.db
        .prepare("INSERT INTO models (name, version, run_id, owner, created_at, summary, state) VALUES (?, ?, ?, ?, ?, '{}', 'training')")
        .run(name, version, runId, owner, new Date().toISOString());
      return version;
    });
    return claim();
  }

  /** The training finished and its files are kept: the version becomes visible. */
  complete(name: string, version: number, summary: Record<string, unknown>): void {
    this.db
      .prepare("UPDATE models SET summary = ?, created_at = ?, state = 'ready' WHERE name = ? AND version = ?")
      .run(JSON.stringify(summary), new Date().toISOString(), name, version);
  }

  /** The training failed: its version number is given up (a later training takes the next one). */
  release(name: string, version: number): void {
    this.db.prepare("DELETE FROM models WHERE name = ? AND version = ? AND state = 'training'").run(name, version);
  }

  /** A version, or the latest when `version` is undefined. */
  find(name: string, version?: number): ModelVersion | undefined {
    const row = (
      version === undefined
        ? this.db.prepare("SELECT * FROM models WHERE name = ? AND state = 'ready' ORDER BY version DESC LIMIT 1").get(name)
        : this.db.prepare("SELECT * FROM models WHERE name = ? AND version = ? AND state = 'ready'").get(name, version)
    ) as ModelRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(name?: string): ModelVersion[] {
    const rows = (
      name === undefined
        ? this.db.prepare("SELECT * FROM models WHERE state = 'ready' ORDER BY name, version").all()
        : this.db.prepare("SELECT * FROM models WHERE name = ? AND state = 'ready' ORDER BY version").all(name)
    ) as ModelRow[];
    return rows.map(fromRow);
  }
}

function fromRow(row: ModelRow): ModelVersion {
  return {
    name: row.name,
    version: row.version,
    runId: row.run_id,
    owner: row.owner,
    createdAt: row.created_at,
    summary: JSON.parse(row.summary) as Record<string, unknown>,
  };
}
