// Kubernetes objects checked the way a cluster would read them: against the OpenAPI schemas of
// Kubernetes 1.34 (kubernetes-models 5.1.0), and through the typed models of
// @kubernetes/client-node, which drop any field they do not know (a misspelt field passes the
// schema, which allows unknown fields, but not the trip). Both packages are ES modules, which jest
// (CommonJS here) cannot load, so the checks run in a child node process.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export interface KubeValidation {
  /** The schema validator's message, or null when the object is valid. */
  readonly error: string | null;
  /** The object after a trip through @kubernetes/client-node's typed models: unknown fields are dropped. */
  readonly roundTrip: unknown;
}

// The model of each object is found from its apiVersion and kind, as kubernetes-models lays its
// files out (v1/Pod, apps/v1/Deployment, rbac.authorization.k8s.io/v1/Role): a kind it has no
// model for is an error, never a pass.
const VALIDATOR = `
import { readFileSync } from 'node:fs';
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { parse } from 'yaml';
const message = (e) => String(e && e.message ? e.message : e);
const objects = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const object of objects) {
  let error = null;
  try {
    const models = await import('kubernetes-models/' + object.apiVersion + '/' + object.kind);
    new models[object.kind](object).validate();
  } catch (e) {
    error = message(e);
  }
  let roundTrip = null;
  try {
    roundTrip = parse(dumpYaml(loadYaml(JSON.stringify(object))));
  } catch (e) {
    roundTrip = { error: message(e) };
  }
  results.push({ error, roundTrip });
}
process.stdout.write(JSON.stringify(results));
`;

/** One result per object, in order. */
export function validateKubeObjects(objects: readonly object[]): KubeValidation[] {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', VALIDATOR], {
    cwd: resolve(__dirname, '../..'),
    input: JSON.stringify(objects),
    encoding: 'utf8',
  });
  return JSON.parse(output) as KubeValidation[];
}
