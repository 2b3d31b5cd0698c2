import { Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../../common/logger';
import { filterClientEnv } from '../../kernels/client-env';
import type { Permissions } from '../../execution/permissions';
import type { KernelManager } from '../../kernels/kernel-manager';
import { identityOf } from '../middleware/auth';
import { parseBody } from './validate';

const startKernelBody = z
  .object({
    name: z.string().min(1).optional(),
    path: z.string().optional(),
    env: z.unknown().optional(),
  })
  .passthrough();

/**
 * The kernels REST API, with Jupyter Server's status codes. A kernel belongs to the identity
 * that started it; non-admins list and reach only their own (others' ids answer 404).
 */
export function kernelRoutes(kernels: KernelManager, permissions: Permissions, baseUrl: string, log: Logger): Router {
  const router = Router();
  router.get('/api/kernels', (_request, response) => {
    response.json(kernels.listFor(identityOf(response)).map((kernel) => kernel.model()));
  });
  router.post('/api/kernels', async (request, response) => {
    const body = parseBody(startKernelBody, request.body, 'kernel start request');
    const { env, dropped } = filterClientEnv(body.env);
    if (dropped > 0) log.debug({ dropped }, 'dropped client env variables that are not KERNEL_*');
    // KERNEL_USERNAME stays in the kernel's env as a plain variable; the owner comes from the identity.
    const identity = identityOf(response);
    const kernel = await kernels.start({ name: body.name, env, owner: permissions.kernelOwner(identity, env), identity });
    response.status(201).location(`${baseUrl}api/kernels/${kernel.id}`).json(kernel.model());
  });
  router.get('/api/kernels/:id', (request, response) => {
    response.json(kernels.getFor(identityOf(response), request.params.id).model());
  });
  router.delete('/api/kernels/:id', async (request, response) => {
    await kernels.shutdown(kernels.getFor(identityOf(response), request.params.id).id);
    response.status(204).end();
  });
  router.post('/api/kernels/:id/interrupt', async (request, response) => {
    await kernels.interrupt(kernels.getFor(identityOf(response), request.params.id).id);
    response.status(204).end();
  });
  router.post('/api/kernels/:id/restart', async (request, response) => {
    const kernel = await kernels.restart(kernels.getFor(identityOf(response), request.params.id).id);
    response.json(kernel.model());
  });
  return router;
}
