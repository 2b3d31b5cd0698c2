import type { Db } from './database';

/** The kinds of admin-managed objects the `config_objects` table holds. */
export type ConfigObjectKind = 'execution-config' | 'code-env';

/** Where a stored object came from: the config directory (reseeded at each start) or the admin API. */
export type ConfigObjectSource = 'file' | 'api';

export interface ConfigObjectRecord<T> {
  readonly kind: ConfigObjectKind;
  readonly id: string;
  /** The validated object (schema output). */
  readonly body: T;
  readonly source: ConfigObjectSource;
  readonly updatedAt: string;
}

interface ConfigObjectRow {
  kind: ConfigObjectKind;
  id: string;
  body: string;
  source: ConfigObjectSource;
  updated_at: string;
}

/** The `config_objects` table: exec configs and code envs, one row per kind and id. */
export class ConfigObjects {
  constructor(private readonly db: Db) {}

  list<T>(kind: ConfigObjectKind): ConfigObjectRecord<T>[] {
    const rows = this.db.prepare('SELECT * FROM config_objects WHERE kind = ? ORDER BY id').all(kind) as ConfigObjectRow[];
    return rows.map((row) => fromRow<T>(row));
  }

  get<T>(kind: ConfigObjectKind, id: string): ConfigObjectRecord<T> | undefined {
    const row = this.db.prepare('SELECT * FROM config_objects WHERE kind = ? AND id = ?').get(kind, id) as ConfigObjectRow | undefined;
    return row && fromRow<T>(row);
  }

  put(kind: ConfigObjectKind, id: string, body: unknown, source: ConfigObjectSource): void {
    this.db
      .prepare(
        `INSERT INTO config_objects (kind, id, body, source, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, source = excluded.source, updated_at = excluded.updated_at`,
      )
      .run(kind, id, JSON.stringify(body), source, new Date().toISOString());
  }

  remove(kind: ConfigObjectKind, id: string): boolean {
    return this.db.prepare('DELETE FROM config_objects WHERE kind = ? AND id = ?').run(kind, id).changes > 0;
  }

  /**
   * Makes the store match a config directory, in one transaction: every object of the directory
   * is written (replacing a stored one of the same id, whatever its source), and objects seeded
   * from an earlier directory that it no longer holds are removed. Objects created through the
   * API with ids the directory does not use are kept.
   */
  seed(objects: readonly { kind: ConfigObjectKind; id: string; body: unknown }[]): void {
    this.db.transaction(() => {
      const wanted = new Set(objects.map((object) => `${object.kind}/${object.id}`));
      const stale = (this.db.prepare("SELECT kind, id FROM config_objects WHERE source = 'file'").all() as ConfigObjectRow[]).filter(
        (row) => !wanted.has(`${row.kind}/${row.id}`),
      );
      for (const row of stale) this.remove(row.kind, row.id);
      for (const object of objects) this.put(object.kind, object.id, object.body, 'file');
    })();
  }
}

function fromRow<T>(row: ConfigObjectRow): ConfigObjectRecord<T> {
  return { kind: row.kind, id: row.id, body: JSON.parse(row.body) as T, source: row.source, updatedAt: row.updated_at };
}
