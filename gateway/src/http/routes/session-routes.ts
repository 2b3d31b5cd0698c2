import { Router } from 'express';
import { z } from 'zod';
import { InvalidInputError } from '../../common/errors';
import type { Permissions } from '../../execution/permissions';
import { filterClientEnv } from '../../kernels/client-env';
import type { SessionManager } from '../../kernels/session-manager';
import { identityOf } from '../middleware/auth';
import { parseBody } from './validate';

const kernelRef = z
  .object({ id: z.string().min(1).optional(), name: z.string().min(1).optional(), env: z.unknown().optional() })
  .passthrough();

const sessionBody = z
  .object({
    path: z.string().optional(),
    name: z.string().optional(),
    type: z.string().optional(),
    kernel: kernelRef.nullish(),
    notebook: z.object({ path: z.string().optional(), name: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();

/** The sessions REST API (Jupyter Server 2 shapes); a non-admin sees only sessions on their own kernels. */
export function sessionRoutes(sessions: SessionManager, permissions: Permissions, baseUrl: string): Router {
  const router = Router();
  router.get('/api/sessions', (_request, response) => {
    response.json(sessions.list(identityOf(response)));
  });
  router.post('/api/sessions', async (request, response) => {
    const body = parseBody(sessionBody, request.body, 'session request');
    const path = body.path ?? body.notebook?.path;
    if (!path)
      throw new InvalidInputError(
        'Missing field "path": the document the session is for, e.g. {"path": "Untitled.ipynb", "type": "notebook"}.',
      );
    const type = body.type ?? (body.notebook ? 'notebook' : undefined);
    if (!type) throw new InvalidInputError('Missing field "type": e.g. "notebook" or "console".');
    const { env } = filterClientEnv(body.kernel?.env);
    const identity = identityOf(response);
    const session = await sessions.create({
      path,
      name: body.name ?? body.notebook?.name ?? '',
      type,
      kernel: { id: body.kernel?.id, name: body.kernel?.name },
      env,
      owner: permissions.kernelOwner(identity, env),
      identity,
    });
    response.status(201).location(`${baseUrl}api/sessions/${session.id}`).json(session);
  });
  router.get('/api/sessions/:id', (request, response) => {
    response.json(sessions.get(request.params.id, identityOf(response)));
  });
  router.patch('/api/sessions/:id', async (request, response) => {
    const body = parseBody(sessionBody, request.body, 'session update');
    const { env } = filterClientEnv(body.kernel?.env);
    const identity = identityOf(response);
    const session = await sessions.update(request.params.id, {
      path: body.path ?? body.notebook?.path,
      name: body.name ?? body.notebook?.name,
      type: body.type,
      kernel: body.kernel ? { id: body.kernel.id, name: body.kernel.name } : undefined,
      env,
      owner: permissions.kernelOwner(identity, env),
      identity,
    });
    response.json(session);
  });
  router.delete('/api/sessions/:id', async (request, response) => {
    await sessions.remove(request.params.id, identityOf(response));
    response.status(204).end();
  });
  return router;
}
