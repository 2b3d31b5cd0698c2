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

  /** The version a new training of `name` gets. */
  nextVersion(name: string): number {
    const row = this.db.prepare('SELECT MAX(version) AS latest FROM models WHERE name = ?').get(name) as { latest: number | null };
    return (row.latest ?? 0) + 1;
  }

  add(model: ModelVersion): void {
    this.db
      .prepare('INSERT INTO models (name, version, run_id, owner, created_at, summary) VALUES (?, ?, ?, ?, ?, ?)')
      .run(model.name, model.version, model.runId, model.owner, model.createdAt, JSON.stringify(model.summary));
  }

  /** A version, or the latest when `version` is undefined. */
  find(name: string, version?: number): ModelVersion | undefined {
    const row = (
      version === undefined
        ? this.db.prepare('SELECT * FROM models WHERE name = ? ORDER BY version DESC LIMIT 1').get(name)
        : this.db.prepare('SELECT * FROM models WHERE name = ? AND version = ?').get(name, version)
    ) as ModelRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(name?: string): ModelVersion[] {
    const rows = (
      name === undefined
        ? this.db.prepare('SELECT * FROM models ORDER BY name, version').all()
        : this.db.prepare('SELECT * FROM models WHERE name = ? ORDER BY version').all(name)
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
