import { Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../../common/logger';
import { filterClientEnv } from '../../kernels/client-env';
import type { KernelManager } from '../../kernels/kernel-manager';
import { parseBody } from './validate';

const startKernelBody = z
  .object({
    name: z.string().min(1).optional(),
    path: z.string().optional(),
    env: z.unknown().optional(),
  })
  .passthrough();

/** Who owns a kernel: the client's KERNEL_USERNAME (Jupyter Server sends it), else "anonymous". */
export function ownerOf(env: Readonly<Record<string, string>>): string {
  return env['KERNEL_USERNAME'] || 'anonymous';
}

/** The kernels REST API, with Jupyter Server's status codes. */
export function kernelRoutes(kernels: KernelManager, baseUrl: string, log: Logger): Router {
  const router = Router();
  router.get('/api/kernels', (_request, response) => {
    response.json(kernels.list().map((kernel) => kernel.model()));
  });
  router.post('/api/kernels', async (request, response) => {
    const body = parseBody(startKernelBody, request.body, 'kernel start request');
    const { env, dropped } = filterClientEnv(body.env);
    if (dropped > 0) log.debug({ dropped }, 'dropped client env variables that are not KERNEL_*');
    const kernel = await kernels.start({ name: body.name, env, owner: ownerOf(env) });
    response.status(201).location(`${baseUrl}api/kernels/${kernel.id}`).json(kernel.model());
  });
  router.get('/api/kernels/:id', (request, response) => {
    response.json(kernels.get(request.params.id).model());
  });
  router.delete('/api/kernels/:id', async (request, response) => {
    await kernels.shutdown(request.params.id);
    response.status(204).end();
  });
  router.post('/api/kernels/:id/interrupt', async (request, response) => {
    await kernels.interrupt(request.params.id);
    response.status(204).end();
  });
  router.post('/api/kernels/:id/restart', async (request, response) => {
    const kernel = await kernels.restart(request.params.id);
    response.json(kernel.model());
  });
  return router;
}
