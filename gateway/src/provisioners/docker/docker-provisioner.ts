import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { BackendUnavailableError, GatewayError, KernelLaunchError } from '../../common/errors';
import { LABELS, MANAGED_BY_VALUE } from '../../common/labels';
import type { Logger } from '../../common/logger';
import type { ExecConfig } from '../../execution/execution-config';
import type { ImageTemplates } from '../../images/dockerfile';
import { unreachableCode } from '../../images/docker-stream';
import { loadImageTemplates } from '../../images/image-templates';
import type { ConnectionInfo } from '../../protocol/connection-info';
import { connectionPorts, newConnection } from '../local/connection-file';
import type { PortAllocator } from '../local/port-allocator';
import type { KernelProvisioner, LaunchRequest, LaunchStage, ProvisionedKernel, ProvisionerRecord } from '../types';
import { ContainerKernel, type ContainerState } from './container-kernel';
import { DaemonPool, type DaemonAddress } from './daemon-pool';
import type { ContainerApi, DockerApi } from './docker-api';
import { CONNECTION_DIR, CONNECTION_FILE, CONTAINER_LABELS, containerSpec } from './container-spec';
import { kernelImage } from './kernel-image';

export interface DockerProvisionerOptions {
  /** The gateway's kernel ports (host network): shared with the local backend, so the two never collide. */
  readonly ports: PortAllocator;
  /** This gateway's id, on every container it starts (reattach and orphan reaping look only at its own). */
  readonly gatewayId: string;
  /** The gateway's 0700 runtime dir: connection files bind-mounted into containers on local daemons. */
  readonly runtimeDir: string;
  /** Relative paths of exec configs and code envs (TLS cert dirs, wheelhouses) resolve against it. */
  readonly configDir: string;
  /** Every exec config now, to find the daemons to reap. */
  readonly execConfigs: () => readonly ExecConfig[];
  readonly log: Logger;
  readonly templates?: ImageTemplates;
}

type Daemon = DaemonAddress;

/** Ports inside a container on a bridge or named network, where the container has its own address. */
const CONTAINER_PORTS = [50001, 50002, 50003, 50004, 50005];

/**
 * The `docker` backend: one container per kernel from the code env's image (or the exec
 * config's base image), with the exec config's limits, as a non-root user with every capability
 * dropped. The connection file is bind-mounted read-only (local daemons) or copied in before
 * the container starts (remote ones), so the HMAC key is in neither the container's config nor
 * its environment.
 */
export class DockerProvisioner implements KernelProvisioner {
  readonly name = 'docker' as const;
  private readonly templates: ImageTemplates;
  /** The daemons, their health and this gateway's kernels on each. */
  readonly daemons: DaemonPool;

  constructor(private readonly options: DockerProvisionerOptions) {
    this.templates = options.templates ?? loadImageTemplates();
    this.daemons = new DaemonPool(options.configDir);
    mkdirSync(options.runtimeDir, { recursive: true, mode: 0o700 });
  }

  private containers(daemon: Daemon): DockerApi {
    return this.daemons.containers(daemon);
  }

  /** What a kernel gives back once gone for good: its host ports, its connection file, its place on the daemon. */
  private releaser(kernelId: string, connection: ConnectionInfo, hostPorts: boolean): () => void {
    return () => {
      if (hostPorts) this.options.ports.release(connectionPorts(connection));
      rmSync(this.connectionFilePath(kernelId), { force: true });
      this.daemons.release(kernelId);
    };
  }

  /** The connection file bind-mounted into a kernel's container on a local daemon. */
  private connectionFilePath(kernelId: string): string {
    return join(this.options.runtimeDir, `container-${kernelId}.json`);
  }

  /** Daemon errors become 503 naming the daemon; Berth's own errors pass through. */
  private describe(error: unknown, daemon: Daemon, execConfig: string): Error {
    if (error instanceof GatewayError) return error;
    const code = unreachableCode(error);
    if (code !== undefined) {
      return new BackendUnavailableError(
        `Docker daemon ${daemon.host} of exec config "${execConfig}" is unreachable (${code}): start it, or ask an admin to fix the exec config.`,
        {
          cause: error,
          details: { daemon: daemon.host, executionConfig: execConfig },
        },
      );
    }
    const message = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message ?? String(error);
    return new KernelLaunchError(`Docker daemon ${daemon.host} refused the kernel container: ${message}`, {
      cause: error,
      details: { daemon: daemon.host },
    });
  }

  async launch(request: LaunchRequest, signal: AbortSignal, onProgress: (stage: LaunchStage) => void): Promise<ProvisionedKernel> {
    const execConfig = request.execConfig;
    if (execConfig.backend !== 'docker') throw new Error(`DockerProvisioner: exec config ${execConfig.id} is ${execConfig.backend}`);
    const { address: daemon, skipped } = await this.daemons.choose(execConfig);
    for (const down of skipped) {
      this.options.log.warn(
        { kernelId: request.kernelId, daemon: down.host, err: down.error },
        'Docker daemon unreachable; placing the kernel elsewhere',
      );
    }
    const docker = this.daemons.client(daemon);
    const hostNetwork = execConfig.docker.network === 'host';

    const image = await kernelImage(
      docker,
      daemon.host,
      { configDir: this.options.configDir, templates: this.templates },
      execConfig,
      request.codeEnv,
      () => onProgress('pulling-image'),
    ).catch((error: unknown) => {
      throw this.describe(error, daemon, execConfig.id);
    });
    if (image.stale !== undefined) this.options.log.warn({ kernelId: request.kernelId, image: image.ref }, image.stale);

    onProgress('allocating-ports');
    const connection =
      request.reuseConnection ??
      newConnection('127.0.0.1', hostNetwork ? await this.options.ports.allocate(5) : CONTAINER_PORTS, request.spec.name);
    const releasePorts = (): void => {
      if (hostNetwork && request.reuseConnection === undefined) this.options.ports.release(connectionPorts(connection));
    };
    // Inside a container of its own network the kernel binds every interface; on the host network, loopback.
    const inside: ConnectionInfo = hostNetwork ? connection : { ...connection, ip: '0.0.0.0' };
    // A daemon on this host gets the connection file as a read-only bind mount (a file in the 0700
    // runtime dir); a remote one gets it copied in before start, which costs about 0.1 s a kernel.
    const connectionMount = daemon.host.startsWith('unix://') ? this.connectionFilePath(request.kernelId) : undefined;
    if (connectionMount !== undefined) writeFileSync(connectionMount, JSON.stringify(inside), { mode: 0o644 });
    let container: ContainerApi | undefined;
    try {
      if (signal.aborted) throw signal.reason;
      onProgress('creating-container');
      container = await this.containers(daemon).createContainer(
        containerSpec({
          kernelId: request.kernelId,
          image: image.ref,
          execConfig,
          ...(request.codeEnv === undefined ? {} : { codeEnvId: request.codeEnv.id }),
          owner: request.owner,
          gatewayId: this.options.gatewayId,
          language: request.spec.spec.language,
          env: { ...execConfig.env, ...(request.codeEnv?.env ?? {}), ...request.spec.spec.env, ...request.env },
          name: `berth-kernel-${request.kernelId.slice(0, 8)}-${Date.now().toString(36)}`,
          ...(connectionMount === undefined ? {} : { connectionMount }),
        }),
      );
      if (connectionMount === undefined) await container.putArchive(connectionArchive(inside, execConfig.docker.user), { path: '/tmp' });
      if (signal.aborted) throw signal.reason;
      onProgress('starting-container');
      await container.start();
      let outside = connection;
      if (!hostNetwork) {
        // Bridge and named networks: the gateway reaches the container at its own address. (Not
        // exercised on Berth's CI machines, which have no bridge network.)
        const info = await container.inspect();
        const networks = info.NetworkSettings.Networks;
        const address = networks[execConfig.docker.network]?.IPAddress ?? Object.values(networks)[0]?.IPAddress;
        if (!address) {
          throw new KernelLaunchError(
            `The kernel container has no address on network "${execConfig.docker.network}" of Docker daemon ${daemon.host}: that daemon has no such network (a dockerd run with --bridge=none has no bridge). Ask an admin to set docker.network of exec config "${execConfig.id}" to "host" or to a network the daemon has.`,
            { details: { daemon: daemon.host, network: execConfig.docker.network } },
          );
        }
        outside = { ...connection, ip: address };
      }
      onProgress('waiting-for-kernel');
      const state: ContainerState = {
        containerId: container.id,
        daemon: daemon.host,
        hostPorts: hostNetwork,
        ...(daemon.tlsCertDir === undefined ? {} : { tlsCertDir: daemon.tlsCertDir }),
      };
      this.daemons.place(request.kernelId, daemon.host, execConfig.resources.memory ?? 0);
      return new ContainerKernel(outside, container, state, request.kernelId, this.releaser(request.kernelId, connection, hostNetwork));
    } catch (error) {
      await container?.remove({ force: true }).catch(() => undefined);
      if (connectionMount !== undefined && request.reuseConnection === undefined) rmSync(connectionMount, { force: true });
      releasePorts();
      throw this.describe(error, daemon, execConfig.id);
    }
  }

  async reattach(record: ProvisionerRecord): Promise<ProvisionedKernel | undefined> {
    const state = record.state as unknown as ContainerState;
    const container = this.containers({
      host: state.daemon,
      ...(state.tlsCertDir === undefined ? {} : { tlsCertDir: state.tlsCertDir }),
    }).getContainer(state.containerId);
    const info = await container.inspect().catch(() => undefined);
    if (info?.State?.Running !== true || info.Config.Labels?.[LABELS.kernelId] !== record.kernelId) return undefined;
    if (state.hostPorts) this.options.ports.claim(connectionPorts(record.connection));
    this.daemons.place(record.kernelId, state.daemon, info.HostConfig?.Memory ?? 0);
    return new ContainerKernel(
      record.connection,
      container,
      state,
      record.kernelId,
      this.releaser(record.kernelId, record.connection, state.hostPorts),
    );
  }

  async discard(record: ProvisionerRecord): Promise<void> {
    const state = record.state as unknown as ContainerState;
    rmSync(this.connectionFilePath(record.kernelId), { force: true });
    await this.containers({ host: state.daemon, ...(state.tlsCertDir === undefined ? {} : { tlsCertDir: state.tlsCertDir }) })
      .getContainer(state.containerId)
      .remove({ force: true })
      .catch(() => undefined);
  }

  /** Removes this gateway's kernel containers that no record knows, on every daemon of every Docker exec config. */
  async reapOrphans(knownKernelIds: ReadonlySet<string>): Promise<number> {
    const daemons = new Map<string, Daemon>();
    for (const config of this.options.execConfigs()) {
      if (config.backend === 'docker') for (const address of this.daemons.addresses(config)) daemons.set(address.host, address);
    }
    let reaped = 0;
    for (const daemon of daemons.values()) {
      const docker = this.containers(daemon);
      const containers = await docker
        .listContainers({
          all: true,
          filters: JSON.stringify({ label: [`${LABELS.managedBy}=${MANAGED_BY_VALUE}`, `${LABELS.gatewayId}=${this.options.gatewayId}`] }),
        })
        .catch((error: unknown) => {
          this.options.log.warn({ daemon: daemon.host, err: (error as Error).message }, 'cannot list kernel containers to reap');
          return [];
        });
      for (const found of containers) {
        const kernelId = found.Labels[CONTAINER_LABELS.kernelId];
        if (kernelId !== undefined && knownKernelIds.has(kernelId)) continue;
        await docker
          .getContainer(found.Id)
          .remove({ force: true })
          .catch(() => undefined);
        this.options.log.info(
          { daemon: daemon.host, container: found.Id.slice(0, 12), kernelId },
          'removed a kernel container no record knows',
        );
        reaped += 1;
      }
    }
    return reaped;
  }
}

/** The connection file as a tar for putArchive into /tmp: owned by the container's user when it is numeric, 0600. */
function connectionArchive(connection: ConnectionInfo, user: string): Readable {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
  const uid = numeric ? Number(numeric[1]) : 0;
  const gid = numeric ? Number(numeric[2] ?? numeric[1]) : 0;
  // A named user's uid is unknown here: then the file must be readable by others in the container.
  const [dirMode, fileMode] = numeric ? [0o700, 0o600] : [0o755, 0o644];
  const tar = pack();
  const mtime = new Date();
  const dir = CONNECTION_DIR.slice('/tmp/'.length);
  tar.entry({ name: dir, type: 'directory', mode: dirMode, uid, gid, mtime });
  tar.entry(
    { name: `${dir}/${CONNECTION_FILE.slice(CONNECTION_DIR.length + 1)}`, type: 'file', mode: fileMode, uid, gid, mtime },
    JSON.stringify(connection),
  );
  tar.finalize();
  return tar as unknown as Readable;
}
