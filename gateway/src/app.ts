import { isAbsolute, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from './common/logger';
import type { GatewayConfig } from './config/schema';
import { InvalidInputError } from './common/errors';
import { formatProblem, loadConfigDir } from './execution/config-dir';
import { ConfigRegistry } from './execution/config-registry';
import { IdentityResolver } from './execution/identity';
import { createHttpServer, type HttpServer } from './http/server';
import { KernelSpecCatalog, standardKernelsDirs } from './kernelspecs/catalog';
import { KernelTargets } from './kernelspecs/kernel-targets';
import { Culler } from './kernels/culler';
import { kernelLabels, KernelManager } from './kernels/kernel-manager';
import { SessionManager } from './kernels/session-manager';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { DockerProvisioner } from './provisioners/docker/docker-provisioner';
import { gatewayId } from './provisioners/gateway-id';
import { KubernetesProvisioner } from './provisioners/kubernetes/kubernetes-provisioner';
import { kernelBaseEnv, LocalProvisioner } from './provisioners/local/local-provisioner';
import { ProvisionerRouter } from './provisioners/provisioner-router';
import { defaultKernelPortRange, PortAllocator } from './provisioners/local/port-allocator';
import { ConfigObjects } from './store/config-objects';
import { openDatabase, type Db } from './store/database';
import { KernelRecords } from './store/kernel-records';
import { SessionRecords } from './store/session-records';
import { RunRecords } from './store/run-records';
import { ModelRecords } from './store/model-records';
import { RunService } from './runner/run-service';
import { MlRuns } from './runner/ml/ml-runs';
import { chooseExecConfig } from './execution/exec-config-choice';

import { BERTH_VERSION } from './common/version';
export { loadConfig } from './config/load';
export type { GatewayConfig } from './config/schema';

export { BERTH_VERSION } from './common/version';

/** Where the repository's shipped kernelspecs live, relative to the compiled or source file. */
const SHIPPED_KERNELSPECS = resolve(__dirname, '..', '..', 'kernelspecs');

export interface GatewayOverrides {
  readonly logger?: Logger;
  /** Environment kernels inherit (default: the gateway's, without BERTH_*). */
  readonly kernelEnv?: Record<string, string>;
}

export interface GatewayServices {
  readonly kernels: KernelManager;
  readonly sessions: SessionManager;
  readonly catalog: KernelSpecCatalog;
  readonly registry: ConfigRegistry;
  readonly targets: KernelTargets;
  readonly metrics: GatewayMetrics;
  readonly runs: RunService;
  readonly models: ModelRecords;
  readonly db: Db;
  readonly log: Logger;
}

export interface Gateway {
  /** Reattaches kernels from a previous run, then listens. Resolves with the bound URL. */
  start(): Promise<{ url: string; port: number }>;
  /** Stops listening; shuts kernels down unless `keepKernels` (or config keepKernelsOnStop). */
  stop(options?: { keepKernels?: boolean }): Promise<void>;
  readonly services: GatewayServices;
  readonly http: HttpServer;
}

/** Exec config ids the gateway settings name, with the setting (they must exist, and cannot be deleted). */
function gatewayReferences(config: GatewayConfig): Map<string, string> {
  const references = new Map<string, string>([[config.defaultExecutionConfig, 'defaultExecutionConfig']]);
  for (const [group, id] of Object.entries(config.groupDefaults)) {
    if (!references.has(id)) references.set(id, `groupDefaults.${group}`);
  }
  return references;
}

/** The composition root: builds every service from the config, with no global state. */
export function createGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Gateway {
  const log = overrides.logger ?? createLogger({ level: config.logLevel });
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  const catalog = new KernelSpecCatalog(
    standardKernelsDirs({ shippedDir: SHIPPED_KERNELSPECS, extraDirs: config.kernelspecDirs }),
    config.defaultKernelName,
    log.child({ component: 'kernelspecs' }),
  );
  const kernelspecNames = (): ReadonlySet<string> => new Set(catalog.list().keys());
  // The config directory is validated before anything is opened: a bad one stops the start, listing every problem.
  const configDir = config.configDir ? loadConfigDir(config.configDir, { kernelspecNames: kernelspecNames() }) : undefined;
  const db = openDatabase(dataDir);
  const kernelRecords = new KernelRecords(db);
  const sessionRecords = new SessionRecords(db);
  const registry = new ConfigRegistry(new ConfigObjects(db), { kernelspecNames, gatewayReferences: gatewayReferences(config) });
  if (configDir) registry.seedFrom(configDir);
  for (const [id, setting] of gatewayReferences(config)) {
    if (!registry.findExecConfig(id)) {
      const known = registry.execConfigs().map((execConfig) => execConfig.id);
      db.close();
      throw new InvalidInputError(
        `The gateway's ${setting} names the exec config "${id}", which does not exist (exec configs: ${known.join(', ')}). Add it to the config directory, or fix the setting.`,
      );
    }
  }
  const leftover = registry.problems();
  if (leftover.length > 0)
    log.warn({ problems: leftover.map(formatProblem) }, 'exec configs and code envs made through the API do not fit the config directory');
  const targets = new KernelTargets(catalog, registry, config);
  const defaultRange = defaultKernelPortRange();
  const ports = new PortAllocator('127.0.0.1', {
    min: config.kernels.portRangeMin ?? defaultRange.min,
    max: config.kernels.portRangeMax ?? defaultRange.max,
  });
  const local = new LocalProvisioner({
    runtimeDir: join(dataDir, 'runtime'),
    ip: '127.0.0.1',
    ports,
    cwd: process.cwd(),
    baseEnv: overrides.kernelEnv ?? kernelBaseEnv(process.env),
  });
  // One id for every backend: what this gateway started, on any daemon or cluster, carries it.
  const ownId = gatewayId(dataDir);
  const docker = new DockerProvisioner({
    ports,
    runtimeDir: join(dataDir, 'runtime'),
    gatewayId: ownId,
    configDir: config.configDir ? resolve(config.configDir) : dataDir,
    execConfigs: () => registry.execConfigs(),
    log: log.child({ component: 'docker' }),
  });
  const kubernetes = new KubernetesProvisioner({
    ports,
    gatewayId: ownId,
    configDir: config.configDir ? resolve(config.configDir) : dataDir,
    execConfigs: () => registry.execConfigs(),
    log: log.child({ component: 'kubernetes' }),
  });
  const provisioner = new ProvisionerRouter([local, docker, kubernetes]);
  // Metrics and the kernel manager refer to each other (kernel counts; start latency), as do
  // kernels and sessions (a removed kernel ends its sessions): late-bound through closures.
  let sessions: SessionManager | undefined = undefined;
  const metrics = new GatewayMetrics(() => kernels.list().map((kernel) => ({ state: kernel.executionState, ...kernelLabels(kernel) })));
  const kernels: KernelManager = new KernelManager({
    catalog,
    targets,
    provisioner,
    records: kernelRecords,
    metrics,
    log,
    onRemoved: (kernelId) => sessions?.kernelRemoved(kernelId),
    options: {
      startupTimeoutMs: config.kernels.startupTimeoutSeconds * 1000,
      shutdownGraceMs: config.kernels.shutdownGraceSeconds * 1000,
      restartLimit: config.kernels.restartLimit,
      restartWindowMs: config.kernels.restartWindowSeconds * 1000,
      maxKernels: config.kernels.maxKernels,
      maxKernelsPerUser: config.kernels.maxKernelsPerUser,
      buffer: { maxMessages: config.kernels.bufferMaxMessages, maxBytes: config.kernels.bufferMaxBytes },
    },
  });
  sessions = new SessionManager(sessionRecords, kernels);
  const culler = new Culler(
    kernels,
    {
      idleTimeoutMs: config.kernels.cullIdleTimeoutSeconds * 1000,
      intervalMs: config.kernels.cullIntervalSeconds * 1000,
      cullConnected: config.kernels.cullConnected,
      cullBusy: config.kernels.cullBusy,
    },
    log.child({ component: 'culler' }),
  );
  const models = new ModelRecords(db);
  const runs = new RunService({
    kernels,
    targets,
    records: new RunRecords(db),
    runsDir: join(dataDir, 'runs'),
    limits: config.runs,
    defaultExecConfig: (identity) =>
      chooseExecConfig({
        groups: identity?.groups ?? [],
        groupDefaults: config.groupDefaults,
        gatewayDefault: config.defaultExecutionConfig,
      }).id,
    ml: new MlRuns(models, join(dataDir, 'models')),
    log,
  });
  const identities = new IdentityResolver(config.auth, config.token);
  const http = createHttpServer({
    baseUrl: config.baseUrl,
    identities,
    allowOrigin: config.allowOrigin,
    maxMessageBytes: config.maxMessageBytes,
    kernels,
    sessions,
    targets,
    registry,
    configDir: config.configDir ? resolve(config.configDir) : dataDir,
    execConfigStatus: async (execConfig) => ({
      waitingStarts: kernels.waitingStarts(execConfig.id),
      ...(execConfig.backend === 'docker' ? { daemons: await docker.daemons.status(execConfig) } : {}),
    }),
    metrics,
    runs,
    models,
    runRequestMaxBytes: config.runs.maxRequestBytes,
    log,
    version: BERTH_VERSION,
  });
  const services: GatewayServices = { kernels, sessions, catalog, registry, targets, metrics, runs, models, db, log };

  return {
    services,
    http,
    async start() {
      const { reattached, discarded } = await kernels.reattachAll();
      if (reattached + discarded > 0) log.info({ reattached, discarded }, 'kernels from the previous run');
      const recovered = await runs.recover();
      if (recovered.requeued + recovered.failed > 0) log.info(recovered, 'batch runs from the previous run');
      await new Promise<void>((resolvePromise, reject) => {
        http.server.once('error', reject);
        http.server.listen(config.port, config.ip, () => {
          http.server.off('error', reject);
          resolvePromise();
        });
      });
      culler.start();
      const port = (http.server.address() as AddressInfo).port;
      const host = config.ip.includes(':') ? `[${config.ip}]` : config.ip;
      const url = `http://${host}:${port}${config.baseUrl}`;
      const auth = config.auth.proxy ? 'proxy+token' : identities.enabled ? 'token' : 'none';
      log.info({ url, auth, users: config.auth.users.length, dataDir }, 'Berth gateway listening');
      return { url, port };
    },
    async stop(options = {}) {
      culler.stop();
      const closed = new Promise<void>((resolvePromise) => http.server.close(() => resolvePromise()));
      http.server.closeAllConnections();
      await runs.stop();
      if (options.keepKernels ?? config.kernels.keepKernelsOnStop) kernels.detachAll();
      else await kernels.shutdownAll();
      http.upgrade.close();
      await closed;
      kernels.persistActivity();
      db.close();
    },
  };
}
