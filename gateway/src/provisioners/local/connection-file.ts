import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { PORT_NAMES, type ConnectionInfo } from '../../protocol/connection-info';

/** A fresh connection for a kernel on `ip`, with the given five ports and a new HMAC key. */
export function newConnection(ip: string, ports: readonly number[], kernelName: string): ConnectionInfo {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = ports as [number, number, number, number, number];
  return {
    ip,
    transport: 'tcp',
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: randomUUID(),
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
  };
}

export function connectionPorts(connection: ConnectionInfo): number[] {
  return PORT_NAMES.map((name) => connection[name]);
}

/** Writes the connection file readable by its owner only: it holds the HMAC key. */
export function writeConnectionFile(path: string, connection: ConnectionInfo): void {
  writeFileSync(path, JSON.stringify(connection, null, 1), { mode: 0o600 });
}
