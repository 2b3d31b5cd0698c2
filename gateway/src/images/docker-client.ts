import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Dockerode from 'dockerode';
import { InvalidInputError } from '../common/errors';
import type { ContainerExecConfig } from '../execution/execution-config';

import { DEFAULT_DOCKER_HOST } from './docker-host';

export { DEFAULT_DOCKER_HOST };

/** A Dockerode client for a daemon address (unix socket, or tcp with an optional TLS cert dir). */
export function dockerFor(host: string, tlsCertDir?: string): Dockerode {
  if (host.startsWith('unix://')) return new Dockerode({ socketPath: host.slice('unix://'.length) });
  const url = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(host);
  if (url === null) throw new InvalidInputError(`Docker host ${host} must be "unix:///path/to/docker.sock" or "tcp://host:port"`);
  const address = url[1]!.replace(/^\[|\]$/g, '');
  if (tlsCertDir === undefined) return new Dockerode({ host: address, port: Number(url[2]), protocol: 'http' });
  const read = (name: string): Buffer => readFileSync(join(tlsCertDir, name));
  return new Dockerode({
    host: address,
    port: Number(url[2]),
    protocol: 'https',
    ca: read('ca.pem'),
    cert: read('cert.pem'),
    key: read('key.pem'),
  });
}

export interface DockerDaemon {
  /** The address as configured, for messages. */
  readonly host: string;
  readonly docker: Dockerode;
}

/**
 * The daemons images of a container exec config are built on: each of its Docker daemons (a kernel
 * may land on any of them; TLS cert dirs relative to `configDir`), or the local socket for
 * Kubernetes exec configs (whose nodes pull from the registry).
 */
export function buildDaemonsOf(configDir: string, execConfig: ContainerExecConfig): DockerDaemon[] {
  if (execConfig.backend !== 'docker') return [{ host: DEFAULT_DOCKER_HOST, docker: dockerFor(DEFAULT_DOCKER_HOST) }];
  return execConfig.docker.daemons.map((daemon) => {
    const certDir = daemon.tls === undefined ? undefined : resolve(configDir, daemon.tls.certDir);
    return { host: daemon.host, docker: dockerFor(daemon.host, certDir) };
  });
}

/** The registry an exec config's images go to (Docker: optional; Kubernetes: required). */
export function registryOf(execConfig: ContainerExecConfig): string | undefined {
  return execConfig.backend === 'docker' ? execConfig.docker.registry : execConfig.kubernetes.registry;
}
