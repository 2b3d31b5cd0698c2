import { Router } from 'express';
import type { KernelSpecCatalog } from '../../kernelspecs/catalog';
import type { ResolvedKernelSpec } from '../../kernelspecs/kernelspec';

/** The kernelspec model of Jupyter Server: {name, spec, resources: {file-stem: url}}. */
function specModel(spec: ResolvedKernelSpec, baseUrl: string): object {
  const resources: Record<string, string> = {};
  for (const file of spec.resourceFiles) {
    const key = file.startsWith('logo-') ? file.replace(/\.[^.]+$/, '') : file;
    resources[key] = `${baseUrl}kernelspecs/${encodeURIComponent(spec.name)}/${encodeURIComponent(file)}`;
  }
  return { name: spec.name, spec: spec.spec, resources };
}

/** GET /api/kernelspecs, GET /api/kernelspecs/:name, GET /kernelspecs/:name/:file. */
export function kernelspecRoutes(catalog: KernelSpecCatalog, baseUrl: string): Router {
  const router = Router();
  router.get('/api/kernelspecs', (_request, response) => {
    const kernelspecs: Record<string, object> = {};
    for (const [name, spec] of catalog.list()) kernelspecs[name] = specModel(spec, baseUrl);
    response.json({ default: catalog.defaultSpecName(), kernelspecs });
  });
  router.get('/api/kernelspecs/:name', (request, response) => {
    response.json(specModel(catalog.get(request.params.name), baseUrl));
  });
  router.get('/kernelspecs/:name/:file', (request, response) => {
    response.sendFile(catalog.resourcePath(request.params.name, request.params.file), { maxAge: 3600_000 });
  });
  return router;
}
