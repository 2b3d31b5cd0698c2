// The Kubernetes manifests of gateway/deploy/kubernetes as the tests read them: each file parsed
// on its own (one object per file), the kustomization, and the Dockerfile the Deployment's image
// is built from.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1PodSpec,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { parseAllDocuments, parse } from 'yaml';

export const REPO = resolve(__dirname, '../../..');
export const MANIFEST_DIR = join(REPO, 'gateway/deploy/kubernetes');
export const DOCKERFILE = join(REPO, 'gateway/deploy/docker/Dockerfile');

export interface ManifestFile {
  readonly file: string;
  /** Every YAML document of the file (a manifest file must hold exactly one). */
  readonly documents: unknown[];
}

export interface Kustomization {
  readonly namespace?: string;
  readonly resources?: string[];
  readonly [key: string]: unknown;
}

/** Every manifest file but the kustomization, by name. */
export function readManifestFiles(dir = MANIFEST_DIR): ManifestFile[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
    .sort()
    .map((file) => {
      const documents = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
      if (!Array.isArray(documents)) throw new Error(`${file}: not YAML`);
      return {
        file,
        documents: documents.map((document) => {
          if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
          return document.toJS() as unknown;
        }),
      };
    });
}

export function readKustomization(dir = MANIFEST_DIR): Kustomization {
  return parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
}

export interface Manifests {
  readonly serviceAccount: V1ServiceAccount;
  readonly role: V1Role;
  readonly roleBinding: V1RoleBinding;
  readonly configMap: V1ConfigMap;
  readonly deployment: V1Deployment;
  readonly service: V1Service;
  /** Every object, in file order. */
  readonly all: { kind?: string; metadata?: { name?: string; namespace?: string } }[];
}

/** The objects by kind; exactly one of each kind the deployment needs. */
export function readManifests(dir = MANIFEST_DIR): Manifests {
  const all = readManifestFiles(dir).flatMap((file) => file.documents) as Manifests['all'];
  const one = <T>(kind: string): T => {
    const found = all.filter((object) => object.kind === kind);
    if (found.length !== 1) throw new Error(`expected one ${kind} in ${dir}, found ${found.length}`);
    return found[0] as T;
  };
  return {
    serviceAccount: one('ServiceAccount'),
    role: one('Role'),
    roleBinding: one('RoleBinding'),
    configMap: one('ConfigMap'),
    deployment: one('Deployment'),
    service: one('Service'),
    all,
  };
}

export function podSpecOf(deployment: V1Deployment): V1PodSpec {
  const spec = deployment.spec?.template.spec;
  if (spec === undefined) throw new Error('the Deployment has no pod template');
  return spec;
}

/** The gateway container (the pod's only one). */
export function gatewayContainer(deployment: V1Deployment): V1Container {
  const containers = podSpecOf(deployment).containers;
  if (containers.length !== 1) throw new Error(`the gateway pod has ${containers.length} containers, expected 1`);
  return containers[0]!;
}

/** A copy to break in a test, so each check is seen failing. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

export interface DockerfileStage {
  readonly workdir?: string;
  readonly user?: string;
  readonly entrypoint?: string[];
  /** COPY sources from the build context (not from another stage). */
  readonly contextCopies: string[];
}

/** The last stage of the Dockerfile: what the image runs. */
export function finalStage(text = readFileSync(DOCKERFILE, 'utf8')): DockerfileStage {
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const from = lines.map((line, index) => (/^FROM\s/i.test(line) ? index : -1)).filter((index) => index >= 0);
  const stage = lines.slice(from.at(-1) ?? 0);
  const value = (instruction: string): string | undefined =>
    stage
      .filter((line) => line.toUpperCase().startsWith(`${instruction} `))
      .at(-1)
      ?.slice(instruction.length + 1)
      .trim();
  const entrypoint = value('ENTRYPOINT');
  const contextCopies = stage
    .filter((line) => /^COPY\s/i.test(line) && !/--from=/i.test(line))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
  return {
    ...(value('WORKDIR') === undefined ? {} : { workdir: value('WORKDIR') }),
    ...(value('USER') === undefined ? {} : { user: value('USER') }),
    ...(entrypoint === undefined ? {} : { entrypoint: JSON.parse(entrypoint) as string[] }),
    contextCopies,
  };
}
