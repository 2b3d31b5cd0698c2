import { createServer, type Server } from 'node:http';
import express, { type Express } from 'express';
import { NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { IdentityResolver } from '../execution/identity';
import { Permissions } from '../execution/permissions';
import type { ConfigRegistry } from '../execution/config-registry';
import type { KernelTargets } from '../kernelspecs/kernel-targets';
import type { KernelManager } from '../kernels/kernel-manager';
import type { SessionManager } from '../kernels/session-manager';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { RunService } from '../runner/run-service';
import type { ModelRecords } from '../store/model-records';
import { authenticate } from './middleware/auth';
import { errorHandler } from './middleware/error-handler';
import { jsonBody } from './middleware/json-body';
import { OriginPolicy } from './middleware/origin-policy';
import { requestLog } from './middleware/request-log';
import { kernelEventRoutes } from './routes/kernel-event-routes';
import { notebookRoutes } from './routes/notebook-routes';
import { runRoutes } from './routes/run-routes';
import { kernelRoutes } from './routes/kernel-routes';
import { configObjectRoutes, type ExecConfigStatus } from './routes/config-object-routes';
import { imageRoutes } from './routes/image-routes';
import { kernelspecRoutes } from './routes/kernelspec-routes';
import { sessionRoutes } from './routes/session-routes';
import { statusRoutes } from './routes/status-routes';
import { ChannelsUpgrade } from './ws/channels-upgrade';

export interface HttpServerDeps {
  readonly baseUrl: string;
  readonly identities: IdentityResolver;
  readonly allowOrigin: string | undefined;
  readonly maxMessageBytes: number;
  readonly kernels: KernelManager;
  readonly sessions: SessionManager;
  readonly targets: KernelTargets;
  readonly registry: ConfigRegistry;
  /** Live backend status of an exec config (e.g. which Docker daemons answer), shown to admins. */
  readonly execConfigStatus: ExecConfigStatus;
  /** Relative paths of code envs and exec configs (wheelhouses, resources, TLS certs) resolve against it. */
  readonly configDir: string;
  readonly metrics: GatewayMetrics;
  readonly runs: RunService;
  readonly models: ModelRecords;
  /** Largest run submission (it carries the run's input files). */
  readonly runRequestMaxBytes: number;
  readonly log: Logger;
  readonly version: string;
}

export interface HttpServer {
  readonly app: Express;
  readonly server: Server;
  readonly upgrade: ChannelsUpgrade;
}

/** Builds the express app (Jupyter's endpoints, then /metrics) and the WebSocket upgrade handler. */
export function createHttpServer(deps: HttpServerDeps): HttpServer {
  const log = deps.log.child({ component: 'http' });
  const permissions = new Permissions();
  const origins = new OriginPolicy(deps.allowOrigin);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const api = express.Router();
  api.use(origins.middleware);
  api.use(authenticate(deps.identities)); // every endpoint, /metrics included, needs a valid identity
  // Runs and notebooks carry whole notebooks (and a run its input files): the runs' size limit.
  api.use(
    jsonBody([
      { path: '/api/berth/runs', maxBytes: deps.runRequestMaxBytes },
      { path: '/api/berth/notebooks/parameters', maxBytes: deps.runRequestMaxBytes },
    ]),
  );
  api.use(statusRoutes(deps.kernels, new Date(), deps.version));
  api.use(kernelspecRoutes(deps.targets, deps.baseUrl));
  api.use(configObjectRoutes(deps.registry, permissions, deps.baseUrl, deps.execConfigStatus));
  api.use(imageRoutes(deps.registry, deps.configDir, log));
  api.use(kernelEventRoutes(deps.kernels, permissions));
  api.use(kernelRoutes(deps.kernels, permissions, deps.baseUrl, log));
  api.use(sessionRoutes(deps.sessions, permissions, deps.baseUrl));
  api.use(runRoutes(deps.runs, deps.models));
  api.use(notebookRoutes());
  api.get('/metrics', async (_request, response) => {
    response.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  api.use((request) => {
    throw new NotFoundError(
      `No such endpoint: ${request.method} ${request.path}. The gateway serves the Jupyter Server kernel API under ${deps.baseUrl}api/.`,
    );
  });

  app.use(requestLog(log));
  app.use(deps.baseUrl, api);
  app.use(errorHandler(log));

  const server = createServer({ noDelay: true }, app);
  const upgrade = new ChannelsUpgrade({
    kernels: deps.kernels,
    identities: deps.identities,
    origins,
    metrics: deps.metrics,
    log,
    baseUrl: deps.baseUrl,
    maxMessageBytes: deps.maxMessageBytes,
  });
  server.on('upgrade', (request, socket, head) => {
    if (!upgrade.handle(request, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
  return { app, server, upgrade };
}
