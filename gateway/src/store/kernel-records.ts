import type { CodeEnv } from '../execution/code-env';
import type { ExecConfig } from '../execution/execution-config';
import type { ResolvedKernelSpec } from '../kernelspecs/kernelspec';
import type { ProvisionerRecord } from '../provisioners/types';
import type { Db } from './database';

/** What the gateway must remember about a kernel to reattach to it after a restart. */
export interface KernelRecord {
  readonly id: string;
  readonly name: string;
  /** The spec it was started from, so restart and interrupt work even if the spec is later removed. */
  readonly spec: ResolvedKernelSpec;
  readonly owner: string;
  readonly provisionerRecord: ProvisionerRecord;
  /** The client's KERNEL_* variables, reused on restart. */
  readonly env: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly lastActivity: string;
  /** The exec config (and code env) it was started with; absent in records from before placements were kept. */
  readonly placement?: KernelPlacement;
}

export interface KernelPlacement {
  readonly execConfig: ExecConfig;
  readonly codeEnv?: CodeEnv;
}

interface KernelRow {
  id: string;
  name: string;
  spec: string;
  owner: string;
  provisioner_record: string;
  env: string;
  created_at: string;
  last_activity: string;
  placement: string | null;
}

/** The `kernels` table. */
export class KernelRecords {
  private readonly upsertStatement;
  private readonly touchStatement;

  constructor(private readonly db: Db) {
    this.upsertStatement = db.prepare(
      `INSERT INTO kernels (id, name, spec, owner, provisioner_record, env, created_at, last_activity, placement)
       VALUES (@id, @name, @spec, @owner, @provisioner_record, @env, @created_at, @last_activity, @placement)
       ON CONFLICT(id) DO UPDATE SET provisioner_record = excluded.provisioner_record, last_activity = excluded.last_activity`,
    );
    this.touchStatement = db.prepare('UPDATE kernels SET last_activity = ? WHERE id = ?');
  }

  save(record: KernelRecord): void {
    this.upsertStatement.run({
      id: record.id,
      name: record.name,
      spec: JSON.stringify(record.spec),
      owner: record.owner,
      provisioner_record: JSON.stringify(record.provisionerRecord),
      env: JSON.stringify(record.env),
      created_at: record.createdAt,
      last_activity: record.lastActivity,
      placement: record.placement === undefined ? null : JSON.stringify(record.placement),
    });
  }

  touch(id: string, lastActivity: string): void {
    this.touchStatement.run(lastActivity, id);
  }

  list(): KernelRecord[] {
    return (this.db.prepare('SELECT * FROM kernels ORDER BY created_at').all() as KernelRow[]).map((row) => ({
      id: row.id,
      name: row.name,
      spec: JSON.parse(row.spec) as ResolvedKernelSpec,
      owner: row.owner,
      provisionerRecord: JSON.parse(row.provisioner_record) as ProvisionerRecord,
      env: JSON.parse(row.env) as Record<string, string>,
      createdAt: row.created_at,
      lastActivity: row.last_activity,
      ...(row.placement === null ? {} : { placement: JSON.parse(row.placement) as KernelPlacement }),
    }));
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM kernels WHERE id = ?').run(id);
  }
}
