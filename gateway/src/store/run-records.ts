import type { RunKind, RunRecord, RunStatus } from '../runner/run';
import type { Db } from './database';

export interface RunFilter {
  readonly status?: RunStatus;
  readonly owner?: string;
  readonly execConfig?: string;
  readonly kind?: RunKind;
  readonly limit?: number;
}

/** The `runs` table: each run's record as JSON, with the fields lists filter on as columns. */
export class RunRecords {
  private readonly upsertStatement;

  constructor(private readonly db: Db) {
    this.upsertStatement = db.prepare(
      `INSERT INTO runs (id, status, owner, exec_config, kind, created_at, record)
       VALUES (@id, @status, @owner, @exec_config, @kind, @created_at, @record)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, record = excluded.record`,
    );
  }

  save(record: RunRecord): void {
    this.upsertStatement.run({
      id: record.id,
      status: record.status,
      owner: record.owner,
      exec_config: record.execConfig,
      kind: record.kind,
      created_at: record.createdAt,
      record: JSON.stringify(record),
    });
  }

  get(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT record FROM runs WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as RunRecord) : undefined;
  }

  /** Newest first. */
  list(filter: RunFilter = {}): RunRecord[] {
    const columns: [string, string | undefined][] = [
      ['status', filter.status],
      ['owner', filter.owner],
      ['exec_config', filter.execConfig],
      ['kind', filter.kind],
    ];
    const used = columns.filter((entry): entry is [string, string] => entry[1] !== undefined);
    const where = used.map(([column]) => `${column} = @${column}`);
    const values = Object.fromEntries(used);
    const sql = `SELECT record FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ${Math.max(1, Math.min(filter.limit ?? 1000, 10_000))}`;
    return (this.db.prepare(sql).all(values) as { record: string }[]).map((row) => JSON.parse(row.record) as RunRecord);
  }

  /** Runs in any of `statuses`, oldest first (the queue order after a restart). */
  inStatus(statuses: readonly RunStatus[]): RunRecord[] {
    const placeholders = statuses.map(() => '?').join(', ');
    return (
      this.db.prepare(`SELECT record FROM runs WHERE status IN (${placeholders}) ORDER BY created_at, rowid`).all(...statuses) as {
        record: string;
      }[]
    ).map((row) => JSON.parse(row.record) as RunRecord);
  }
}
