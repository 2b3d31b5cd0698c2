import { Router } from 'express';
import { ForbiddenError } from '../../common/errors';
import type { ConfigRegistry } from '../../execution/config-registry';
import { describeAccess } from '../../execution/exec-config-choice';
import type { ExecConfig } from '../../execution/execution-config';
import type { Permissions } from '../../execution/permissions';
import { adminOnly, identityOf } from '../middleware/auth';

/** What a non-admin sees of an exec config they may use: no daemons, mounts, env or registries. */
function publicView(config: ExecConfig): object {
  return {
    id: config.id,
    displayName: config.displayName ?? config.id,
    description: config.description,
    backend: config.backend,
    resources: config.resources,
    timeouts: config.timeouts,
  };
}

/**
 * The admin API for exec configs and code envs (under /api/berth/). Admins list, read, create
 * (POST, 409 if the id exists), replace (PUT) and delete them; non-admins may only list and read
 * the exec configs they are allowed to use, in a reduced view.
 */
/** `status` is read-only (as in Kubernetes objects): a GET's body can be PUT back unchanged. */
function withoutStatus(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('status' in body)) return body;
  const { status: _status, ...rest } = body as Record<string, unknown>;
  return rest;
}

/** Live status of an exec config's backend (its Docker daemons), for admins; undefined for backends without one. */
export type ExecConfigStatus = (config: ExecConfig) => Promise<object | undefined>;

export function configObjectRoutes(
  registry: ConfigRegistry,
  permissions: Permissions,
  baseUrl: string,
  statusOf: ExecConfigStatus,
): Router {
  const router = Router();
  const execConfigs = '/api/berth/execution-configs';
  const codeEnvs = '/api/berth/code-envs';

  router.get(execConfigs, (_request, response) => {
    const identity = identityOf(response);
    const all = registry.execConfigs();
    response.json(identity.admin ? all : all.filter((config) => permissions.canUseExecConfig(identity, config)).map(publicView));
  });
  router.get(`${execConfigs}/:id`, async (request, response) => {
    const identity = identityOf(response);
    const config = registry.getExecConfig(String(request.params.id));
    if (identity.admin) {
      const status = await statusOf(config);
      response.json(status === undefined ? config : { ...config, status });
      return;
    }
    if (!permissions.canUseExecConfig(identity, config)) {
      throw new ForbiddenError(
        `Exec config "${config.id}" is for ${describeAccess({ groups: config.permissions.groups, users: config.permissions.users })} only; ask an admin to add you to one of these groups. GET ${execConfigs} lists the ones you may use.`,
        { details: { groups: config.permissions.groups, users: config.permissions.users } },
      );
    }
    response.json(publicView(config));
  });
  router.post(execConfigs, adminOnly, (request, response) => {
    const config = registry.createExecConfig(withoutStatus(request.body));
    response
      .status(201)
      .location(`${baseUrl}${execConfigs.slice(1)}/${config.id}`)
      .json(config);
  });
  router.put(`${execConfigs}/:id`, adminOnly, (request, response) => {
    response.json(registry.updateExecConfig(String(request.params.id), withoutStatus(request.body)));
  });
  router.delete(`${execConfigs}/:id`, adminOnly, (request, response) => {
    registry.deleteExecConfig(String(request.params.id));
    response.status(204).end();
  });

  router.get(codeEnvs, adminOnly, (_request, response) => {
    response.json(registry.codeEnvs());
  });
  router.get(`${codeEnvs}/:id`, adminOnly, (request, response) => {
    response.json(registry.getCodeEnv(String(request.params.id)));
  });
  router.post(codeEnvs, adminOnly, (request, response) => {
    const codeEnv = registry.createCodeEnv(request.body);
    response
      .status(201)
      .location(`${baseUrl}${codeEnvs.slice(1)}/${codeEnv.id}`)
      .json(codeEnv);
  });
  router.put(`${codeEnvs}/:id`, adminOnly, (request, response) => {
    response.json(registry.updateCodeEnv(String(request.params.id), request.body));
  });
  router.delete(`${codeEnvs}/:id`, adminOnly, (request, response) => {
    registry.deleteCodeEnv(String(request.params.id));
    response.status(204).end();
  });
  return router;
}
