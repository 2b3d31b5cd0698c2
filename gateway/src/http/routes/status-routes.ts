import { Router } from 'express';
import { jupyterTimestamp } from '../../common/ids';
import type { KernelManager } from '../../kernels/kernel-manager';
import { identityOf } from '../middleware/auth';

/** Jupyter Server's version this API follows; clients read it for feature checks. */
export const JUPYTER_SERVER_API_VERSION = '2.14.2';

/** GET /api and GET /api/status (a non-admin's counts cover only their own kernels). */
export function statusRoutes(kernels: KernelManager, startedAt: Date, berthVersion: string): Router {
  const router = Router();
  router.get('/api', (_request, response) => {
    response.json({ version: JUPYTER_SERVER_API_VERSION, berth_version: berthVersion });
  });
  router.get('/api/status', (_request, response) => {
    const all = kernels.listFor(identityOf(response));
    const lastActivity = Math.max(startedAt.getTime(), ...all.map((kernel) => kernel.lastActivity));
    response.json({
      started: jupyterTimestamp(startedAt),
      last_activity: jupyterTimestamp(new Date(lastActivity)),
      kernels: all.length,
      connections: all.reduce((sum, kernel) => sum + kernel.connections, 0),
    });
  });
  return router;
}
