/** The connection-file shape every Jupyter kernel reads (snake_case, per the spec). */
export interface ConnectionInfo {
  readonly ip: string;
  readonly transport: 'tcp';
  readonly shell_port: number;
  readonly iopub_port: number;
  readonly stdin_port: number;
  readonly control_port: number;
  readonly hb_port: number;
  /** HMAC key: a secret. Never log a ConnectionInfo; the logger redacts `key`. */
  readonly key: string;
  readonly signature_scheme: 'hmac-sha256';
  readonly kernel_name?: string;
}

export type KernelPorts = Pick<ConnectionInfo, 'shell_port' | 'iopub_port' | 'stdin_port' | 'control_port' | 'hb_port'>;

export const PORT_NAMES = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const;

/** `tcp://ip:port` for one of the kernel's channels. */
export function channelUrl(connection: ConnectionInfo, port: keyof KernelPorts): string {
  return `${connection.transport}://${connection.ip}:${connection[port]}`;
}
