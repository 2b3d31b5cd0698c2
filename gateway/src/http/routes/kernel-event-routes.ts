import { Router, type Response } from 'express';
import type { Identity } from '../../execution/identity';
import type { Permissions } from '../../execution/permissions';
import { FINAL_EVENTS, type KernelEvent } from '../../kernels/kernel-events';
import type { KernelManager } from '../../kernels/kernel-manager';
import { identityOf } from '../middleware/auth';

/**
 * Kernel events as Server-Sent Events (EventSource works with `?token=`): one kernel's stages and
 * state changes (`/api/berth/kernels/{id}/events`: its history first, then live, ending when the
 * kernel is gone), or those of every kernel the caller may see (`/api/berth/kernels/events`, live).
 * Each event is `event: <type>` with the JSON event as data.
 */
export function kernelEventRoutes(kernels: KernelManager, permissions: Permissions): Router {
  const router = Router();

  const open = (response: Response): ((event: KernelEvent) => void) => {
    response.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    response.flushHeaders();
    return (event) => {
      if (!response.writableEnded) response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
  };

  const visible = (identity: Identity, event: KernelEvent): boolean => permissions.canSeeKernel(identity, { owner: event.owner });

  router.get('/api/berth/kernels/events', (request, response) => {
    const identity = identityOf(response);
    const send = open(response);
    const unsubscribe = kernels.events.subscribe((event) => {
      if (visible(identity, event)) send(event);
    });
    request.on('close', unsubscribe);
  });

  router.get('/api/berth/kernels/:id/events', (request, response) => {
    const identity = identityOf(response);
    const id = String(request.params.id);
    kernels.getFor(identity, id); // 404 for a kernel the caller may not see, like the kernels API
    const send = open(response);
    for (const event of kernels.events.history(id)) send(event);
    const unsubscribe = kernels.events.subscribe((event) => {
      if (event.kernelId !== id) return;
      send(event);
      if (FINAL_EVENTS.has(event.type)) {
        unsubscribe();
        response.end();
      }
    });
    request.on('close', unsubscribe);
  });
  return router;
}
