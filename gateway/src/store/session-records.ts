import type { Db } from './database';

/** A Jupyter session: a document path bound to a kernel. */
export interface SessionRecord {
  readonly id: string;
  readonly path: string;
  readonly name: string;
  readonly type: string;
  readonly kernelId: string;
}

interface SessionRow {
  id: string;
  path: string;
  name: string;
  type: string;
  kernel_id: string;
}

/** The `sessions` table. */
export class SessionRecords {
  constructor(private readonly db: Db) {}

  save(session: SessionRecord): void {
    this.db
      .prepare(
        `INSERT INTO sessions (id, path, name, type, kernel_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET path = excluded.path, name = excluded.name, type = excluded.type, kernel_id = excluded.kernel_id`,
      )
      .run(session.id, session.path, session.name, session.type, session.kernelId);
  }

  get(id: string): SessionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return row && fromRow(row);
  }

  findByPath(path: string): SessionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sessions WHERE path = ?').get(path) as SessionRow | undefined;
    return row && fromRow(row);
  }

  list(): SessionRecord[] {
    return (this.db.prepare('SELECT * FROM sessions ORDER BY rowid').all() as SessionRow[]).map(fromRow);
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  removeByKernel(kernelId: string): void {
    this.db.prepare('DELETE FROM sessions WHERE kernel_id = ?').run(kernelId);
  }
}

function fromRow(row: SessionRow): SessionRecord {
  return { id: row.id, path: row.path, name: row.name, type: row.type, kernelId: row.kernel_id };
}
