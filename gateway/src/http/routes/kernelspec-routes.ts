import { Router } from 'express';
import type { KernelTargets } from '../../kernelspecs/kernel-targets';
import type { ResolvedKernelSpec } from '../../kernelspecs/kernelspec';
import { identityOf } from '../middleware/auth';

/** The kernelspec model of Jupyter Server: {name, spec, resources: {file-stem: url}}. */
function specModel(spec: ResolvedKernelSpec, baseUrl: string): object {
  const resources: Record<string, string> = {};
  for (const file of spec.resourceFiles) {
    const key = file.startsWith('logo-') ? file.replace(/\.[^.]+$/, '') : file;
    resources[key] = `${baseUrl}kernelspecs/${encodeURIComponent(spec.name)}/${encodeURIComponent(file)}`;
  }
  return { name: spec.name, spec: spec.spec, resources };
}

/**
 * GET /api/kernelspecs, GET /api/kernelspecs/:name, GET /kernelspecs/:name/:file. The caller sees
 * the plain specs and the code env × exec config pairs whose exec config they may use.
 */
export function kernelspecRoutes(targets: KernelTargets, baseUrl: string): Router {
  const router = Router();
  router.get('/api/kernelspecs', (_request, response) => {
    const kernelspecs: Record<string, object> = {};
    const identity = identityOf(response);
    for (const [name, spec] of targets.list(identity)) kernelspecs[name] = specModel(spec, baseUrl);
    response.json({ default: targets.defaultSpecName(identity), kernelspecs });
  });
  router.get('/api/kernelspecs/:name', (request, response) => {
    response.json(specModel(targets.get(identityOf(response), request.params.name), baseUrl));
  });
  router.get('/kernelspecs/:name/:file', (request, response) => {
    response.sendFile(targets.resourcePath(identityOf(response), request.params.name, request.params.file), { maxAge: 3600_000 });
  });
  return router;
}
