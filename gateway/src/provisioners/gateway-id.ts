import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * This gateway's id, kept in its data directory: the same across restarts (so it reattaches to
 * and reaps only its own containers), different for two gateways on one Docker daemon.
 */
export function gatewayId(dataDir: string): string {
  const file = join(dataDir, 'gateway-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}
