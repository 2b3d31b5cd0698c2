import { createHash } from 'node:crypto';
import { LABELS, MANAGED_BY_VALUE } from '../common/labels';
import type { BuildInputs, ContextEntry } from './dockerfile';
import { contextEntries } from './dockerfile';

/**
 * Pure image identity: the content hash of everything that goes into an image, the tag and labels
 * derived from it, and why an existing image is stale. Nothing changed → same hash → same tag, so
 * the builder can skip; a different parent image id or Berth version gives a different spec hash.
 */

export const IMAGE_LABELS = {
  managedBy: LABELS.managedBy,
  version: 'berth.io/version',
  parentImageId: 'berth.io/parent-image-id',
  specHash: 'berth.io/spec-hash',
  /** Hash of the build inputs alone (without parent id and version): tells "spec changed" apart. */
  contentHash: 'berth.io/content-hash',
  /** The parent image as named (e.g. "berth/base:latest"): finds the previous build on that base. */
  parentImage: 'berth.io/parent-image',
  /** base | r | cuda | code-env */
  kind: 'berth.io/image-kind',
  codeEnv: 'berth.io/code-env',
  /** The image's own repository:tag. Images built FROM a Berth image inherit its labels; this one tells them apart. */
  ref: 'berth.io/image-ref',
} as const;

export type ImageKind = 'base' | 'r' | 'cuda' | 'code-env';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function entryDigest(entry: ContextEntry): string {
  const mode = (entry.mode & 0o7777).toString(8);
  return entry.type === 'file' ? `file ${entry.path} ${mode} ${sha256(entry.content)}` : `dir ${entry.path} ${mode}`;
}

/**
 * SHA-256 of the build inputs: template name, rendered Dockerfile, build args and every context
 * entry (path, mode, content). Independent of object key order and of the order entries arrive in.
 */
export function contentHash(inputs: BuildInputs): string {
  const args = Object.keys(inputs.buildArgs)
    .sort()
    .map((name) => [name, inputs.buildArgs[name]]);
  const entries = contextEntries(inputs).map(entryDigest);
  return sha256(JSON.stringify({ v: 1, template: inputs.template, args, entries }));
}

/** SHA-256 of the content hash with the parent image id and the Berth version: what the tag is made from. */
export function specHash(parts: { contentHash: string; parentImageId: string; berthVersion: string }): string {
  return sha256(JSON.stringify({ v: 1, content: parts.contentHash, parent: parts.parentImageId, berth: parts.berthVersion }));
}

export interface ImageSpec {
  /** repository:tag */
  readonly ref: string;
  readonly repository: string;
  readonly tag: string;
  readonly contentHash: string;
  readonly specHash: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ImageSpecInput {
  readonly kind: ImageKind;
  readonly inputs: BuildInputs;
  /** The parent image as named in FROM, and its id on the daemon (sha256:…). */
  readonly parentImage: string;
  readonly parentImageId: string;
  readonly berthVersion: string;
  /** Repository for the image; code envs get `berth/codeenv-<id>` by default. */
  readonly repository?: string;
  /** Required for kind "code-env". */
  readonly codeEnvId?: string;
  /** More labels (e.g. a test's own); they cannot override Berth's. */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

export const TAG_HASH_LENGTH = 12;

/** The repository code-env images get by default. */
export function codeEnvRepository(codeEnvId: string): string {
  return `berth/codeenv-${codeEnvId}`;
}

/** Tag, labels and hashes of the image built from `input`. */
export function imageSpec(input: ImageSpecInput): ImageSpec {
  if (input.kind === 'code-env' && input.codeEnvId === undefined) throw new Error('imageSpec: a code-env image needs codeEnvId');
  const content = contentHash(input.inputs);
  const spec = specHash({ contentHash: content, parentImageId: input.parentImageId, berthVersion: input.berthVersion });
  const repository = input.repository ?? (input.codeEnvId !== undefined ? codeEnvRepository(input.codeEnvId) : `berth/${input.kind}`);
  const tag = spec.slice(0, TAG_HASH_LENGTH);
  const labels: Record<string, string> = {
    ...(input.extraLabels ?? {}),
    [IMAGE_LABELS.managedBy]: MANAGED_BY_VALUE,
    [IMAGE_LABELS.kind]: input.kind,
    [IMAGE_LABELS.version]: input.berthVersion,
    [IMAGE_LABELS.parentImage]: input.parentImage,
    [IMAGE_LABELS.parentImageId]: input.parentImageId,
    [IMAGE_LABELS.contentHash]: content,
    [IMAGE_LABELS.specHash]: spec,
    [IMAGE_LABELS.ref]: `${repository}:${spec.slice(0, TAG_HASH_LENGTH)}`,
  };
  if (input.codeEnvId !== undefined) labels[IMAGE_LABELS.codeEnv] = input.codeEnvId;
  return { ref: `${repository}:${tag}`, repository, tag, contentHash: content, specHash: spec, labels };
}

export type StaleReason = 'base-rebuilt' | 'spec-changed' | 'berth-upgraded';

export type ImageState =
  { readonly state: 'up-to-date' } | { readonly state: 'missing' } | { readonly state: 'stale'; readonly reasons: readonly StaleReason[] };

export const STALE_REASON_TEXT: Readonly<Record<StaleReason, string>> = {
  'base-rebuilt': 'the base image was rebuilt',
  'spec-changed': 'the image spec changed (packages, resources, env or Dockerfile)',
  'berth-upgraded': 'Berth was upgraded since it was built',
};

/**
 * The state of an image given the labels of the newest existing image for the same thing (same
 * code env on the same parent, or same base tag), or undefined when there is none.
 */
export function imageState(expected: ImageSpec, existingLabels: Readonly<Record<string, string>> | undefined): ImageState {
  if (existingLabels === undefined) return { state: 'missing' };
  if (existingLabels[IMAGE_LABELS.specHash] === expected.specHash) return { state: 'up-to-date' };
  const reasons: StaleReason[] = [];
  if (existingLabels[IMAGE_LABELS.parentImageId] !== expected.labels[IMAGE_LABELS.parentImageId]) reasons.push('base-rebuilt');
  if (existingLabels[IMAGE_LABELS.contentHash] !== expected.contentHash) reasons.push('spec-changed');
  if (existingLabels[IMAGE_LABELS.version] !== expected.labels[IMAGE_LABELS.version]) reasons.push('berth-upgraded');
  // Labels from an older hashing scheme (or hand-edited) match on every part: the spec still differs.
  if (reasons.length === 0) reasons.push('spec-changed');
  return { state: 'stale', reasons };
}

/** "stale: the base image was rebuilt; Berth was upgraded since it was built" */
export function describeImageState(state: ImageState): string {
  if (state.state !== 'stale') return state.state;
  return `stale: ${state.reasons.map((r) => STALE_REASON_TEXT[r]).join('; ')}`;
}
