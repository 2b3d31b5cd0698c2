import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../../common/logger';
import type { ConfigRegistry } from '../../execution/config-registry';
import { baseImageJobs } from '../../images/base-images';
import { baseRecipeSchema, defaultBaseTag } from '../../images/base-recipe';
import { codeEnvImageJobs, listImages, type ImageSource } from '../../images/code-env-images';
import { DEFAULT_DOCKER_HOST, dockerFor } from '../../images/docker-client';
import { runImageJobs, type ImageJob } from '../../images/image-jobs';
import { errorBody } from '../middleware/error-handler';
import { adminOnly } from '../middleware/auth';
import { parseBody } from './validate';

/**
 * The image builder over REST, for admins: GET /api/berth/images lists base and code-env images
 * with their state; POST …/images/base and …/images/code-envs build and answer with the build log
 * as JSON lines (application/x-ndjson: the same events the CLI draws), ending with a "done" or an
 * "error" line. Builds run one at a time: a second request waits for the first.
 */

const baseBuildSchema = z
  .object({
    recipe: baseRecipeSchema.default({ type: 'container-exec', r: false, cuda: false }),
    tag: z.string().min(1).optional().describe('Name for the finished image (default berth/base[-r]:latest, berth/cuda[-r]:latest)'),
    dockerHost: z.string().min(1).default(DEFAULT_DOCKER_HOST).describe('Docker daemon to build on'),
    force: z.boolean().default(false),
    push: z.boolean().default(false).describe('Push the tag afterwards (it must name a registry)'),
  })
  .strict();

const codeEnvBuildSchema = z
  .object({
    codeEnv: z.string().min(1).optional().describe('One code env (or all: true)'),
    all: z.boolean().default(false),
    execConfig: z.string().min(1).optional().describe('Only for this exec config'),
    force: z.boolean().default(false),
    push: z.boolean().default(false).describe("Push each image to its exec config's registry"),
  })
  .strict();

export function imageRoutes(registry: ConfigRegistry, configDir: string, log: Logger): Router {
  const router = Router();
  const path = '/api/berth/images';
  const source = (): ImageSource => ({ dir: configDir, execConfigs: registry.execConfigs(), codeEnvs: registry.codeEnvs() });
  let queue: Promise<unknown> = Promise.resolve();

  /** Streams the jobs' events; errors after the first byte become an "error" line (the status is sent by then). */
  const stream = async (response: Response, jobs: readonly ImageJob[]): Promise<void> => {
    response.status(200).type('application/x-ndjson');
    response.flushHeaders();
    const write = (value: object): void => {
      if (!response.writableEnded && !response.destroyed) response.write(`${JSON.stringify(value)}\n`);
    };
    const run = queue.then(() => runImageJobs(jobs, write));
    queue = run.catch(() => undefined);
    try {
      await run;
    } catch (error) {
      const { body } = errorBody(error);
      log.warn({ code: body.code, message: body.message }, 'image build failed');
      write({ type: 'error', code: body.code, message: body.message, ...(body.details === undefined ? {} : { details: body.details }) });
    }
    response.end();
  };

  router.get(path, adminOnly, async (_request, response) => {
    response.json(await listImages(source()));
  });
  router.post(`${path}/base`, adminOnly, async (request, response) => {
    const body = parseBody(baseBuildSchema, request.body ?? {}, 'base image build');
    const jobs = baseImageJobs({ host: body.dockerHost, docker: dockerFor(body.dockerHost) }, body.recipe, {
      tag: body.tag ?? defaultBaseTag(body.recipe),
      force: body.force,
      push: body.push,
    });
    await stream(response, jobs);
  });
  router.post(`${path}/code-envs`, adminOnly, async (request, response) => {
    const body = parseBody(codeEnvBuildSchema, request.body ?? {}, 'code env image build');
    const jobs = await codeEnvImageJobs(
      source(),
      {
        all: body.all,
        ...(body.codeEnv === undefined ? {} : { codeEnvId: body.codeEnv }),
        ...(body.execConfig === undefined ? {} : { execConfigId: body.execConfig }),
      },
      { force: body.force, push: body.push },
    );
    await stream(response, jobs);
  });
  return router;
}
