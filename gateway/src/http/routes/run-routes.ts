import { Router } from 'express';
import { z } from 'zod';
import { FINAL_STATUSES, RUN_STATUSES, type RunRecord } from '../../runner/run';
import type { RunLogEntry } from '../../runner/run-log';
import type { RunService } from '../../runner/run-service';
import type { ModelRecords } from '../../store/model-records';
import { identityOf } from '../middleware/auth';
import { parseBody } from './validate';

const listQuerySchema = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    user: z.string().min(1).optional(),
    execConfig: z.string().min(1).optional(),
    kind: z.enum(['notebook', 'recipe', 'ml']).optional(),
    limit: z.coerce.number().int().positive().max(10_000).optional(),
  })
  .strict();

/**
 * Batch runs over REST: submit (201 with the queued record), list with filters, get, cancel, the
 * log (kept as JSON lines; Server-Sent Events with `Accept: text/event-stream`: history, then live
 * until the run ends) and artifacts (output notebook, declared output files, model files).
 * Non-admins see only their own runs; another user's run is 404.
 */
export function runRoutes(runs: RunService, models: ModelRecords): Router {
  const router = Router();

  router.post('/api/berth/runs', async (request, response) => {
    const record = await runs.submit(request.body, identityOf(response));
    response.status(201).location(`runs/${record.id}`).json(record);
  });

  router.get('/api/berth/runs', (request, response) => {
    const query = parseBody(listQuerySchema, request.query, 'run list query');
    const { user, ...filter } = query;
    response.json({ runs: runs.list(identityOf(response), { ...filter, ...(user ? { owner: user } : {}) }) });
  });

  router.get('/api/berth/runs/:id', (request, response) => {
    response.json(runs.get(identityOf(response), String(request.params.id)));
  });

  router.post('/api/berth/runs/:id/cancel', (request, response) => {
    runs.cancel(identityOf(response), String(request.params.id));
    response.status(202).json(runs.get(identityOf(response), String(request.params.id)));
  });

  router.get('/api/berth/runs/:id/logs', (request, response) => {
    const record = runs.get(identityOf(response), String(request.params.id));
    if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
      response.type('application/x-ndjson').send(
        runs.logs
          .history(record.id)
          .map((entry) => `${JSON.stringify(entry)}\n`)
          .join(''),
      );
      return;
    }
    response.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    response.flushHeaders();
    const send = (entry: RunLogEntry | { type: 'end'; run: RunRecord }): void => {
      if (!response.writableEnded) response.write(`event: ${entry.type}\ndata: ${JSON.stringify(entry)}\n\n`);
    };
    // Reading the history and subscribing happen in one synchronous step: no entry is lost or sent twice.
    for (const entry of runs.logs.history(record.id)) send(entry);
    const finish = (): void => {
      unsubscribe();
      send({ type: 'end', run: runs.get(undefined, record.id) });
      response.end();
    };
    const unsubscribe = runs.logs.follow(record.id, (entry) => {
      send(entry);
      if (entry.type === 'status' && FINAL_STATUSES.has(entry.status)) finish();
    });
    if (FINAL_STATUSES.has(runs.get(undefined, record.id).status)) finish();
    request.on('close', unsubscribe);
  });

  router.get('/api/berth/runs/:id/artifacts', (request, response) => {
    const record = runs.get(identityOf(response), String(request.params.id));
    response.json({ artifacts: runs.files(record.id).artifacts() });
  });

  router.get(/^\/api\/berth\/runs\/([^/]+)\/artifacts\/(.+)$/, (request, response) => {
    const params = request.params as unknown as Record<string, string>;
    const record = runs.get(identityOf(response), String(params[0]));
    const path = decodeURIComponent(String(params[1]));
    response.sendFile(runs.files(record.id).artifactPath(path), { dotfiles: 'allow' });
  });

  router.get('/api/berth/models', (_request, response) => {
    const identity = identityOf(response);
    response.json({ models: models.list().filter((model) => identity.admin || model.owner === identity.name) });
  });

  return router;
}
