import type Dockerode from 'dockerode';

/**
 * The Docker Engine calls the Docker backend makes for kernel containers, narrowed from dockerode
 * (which implements them as is): everything the backend may do to a daemon is listed here.
 * Images (lookup, pull) go through the image builder's client of the same daemon.
 */

/** One container: start it, watch it, signal it, read its log, copy a file in, remove it. */
export type ContainerApi = Pick<Dockerode.Container, 'id' | 'start' | 'inspect' | 'kill' | 'remove' | 'wait' | 'logs' | 'putArchive'>;

export interface DockerApi {
  createContainer(options: Dockerode.ContainerCreateOptions): Promise<ContainerApi>;
  getContainer(id: string): ContainerApi;
  listContainers(options: { all?: boolean; filters?: string }): Promise<Dockerode.ContainerInfo[]>;
  /** `docker info`: whether the daemon answers, and its memory. */
  info(): Promise<{ MemTotal?: number }>;
}
