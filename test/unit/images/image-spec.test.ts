import { codeEnvSchema, type CodeEnvInput } from '../../../gateway/src/execution/code-env';
import { renderBaseImage, renderCodeEnvImage, type BuildInputs } from '../../../gateway/src/images/dockerfile';
import { contentHash, describeImageState, IMAGE_LABELS, imageSpec, imageState } from '../../../gateway/src/images/image-spec';
import { loadImageTemplates } from '../../../gateway/src/images/image-templates';

const templates = loadImageTemplates();
const PARENT_ID = 'sha256:' + 'a'.repeat(64);
const codeEnv = (input: Partial<CodeEnvInput> = {}) =>
  codeEnvSchema.parse({ id: 'ml', language: 'python', packages: { apt: ['python3-pandas'] }, ...input });
const build = (input: Partial<CodeEnvInput> = {}) => renderCodeEnvImage(templates, codeEnv(input), { parent: 'berth/base:latest' });
const spec = (inputs: BuildInputs, over: { parentImageId?: string; berthVersion?: string } = {}) =>
  imageSpec({
    kind: 'code-env',
    codeEnvId: 'ml',
    inputs,
    parentImage: 'berth/base:latest',
    parentImageId: over.parentImageId ?? PARENT_ID,
    berthVersion: over.berthVersion ?? '0.1.0',
  });

describe('content hash', () => {
  test('is stable: same inputs, same hash, whatever the order of args and files', () => {
    const a = build();
    const shuffled: BuildInputs = {
      ...a,
      buildArgs: Object.fromEntries(Object.entries(a.buildArgs).reverse()),
      files: [...a.files].reverse(),
    };
    expect(contentHash(shuffled)).toBe(contentHash(a));
    expect(contentHash(build())).toBe(contentHash(a));
    expect(contentHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('changes with every input: packages, pip, R, env, resources, template text, file content and mode', () => {
    const base = contentHash(build());
    const variants = [
      build({ packages: { apt: ['python3-numpy'] } }),
      build({ packages: { apt: ['python3-pandas'], pip: { requirements: ['x==1'] } } }),
      build({ packages: { apt: ['python3-pandas'], r: ['jsonlite'] } }),
      build({ env: { A: '1' } }),
      build({ resources: { mode: 'init-script', script: 'true' } }),
      build({ language: 'r' }),
      renderCodeEnvImage({ ...templates, 'code-env.Dockerfile': templates['code-env.Dockerfile'] + '\n# changed\n' }, codeEnv(), {
        parent: 'berth/base:latest',
      }),
      renderCodeEnvImage(templates, codeEnv(), { parent: 'berth/base:other' }),
      renderCodeEnvImage(templates, codeEnv({ resources: { mode: 'copy', path: 'r' } }), {
        parent: 'berth/base:latest',
        resourceFiles: [{ path: 'a.txt', content: Buffer.from('1') }],
      }),
    ];
    const hashes = variants.map(contentHash);
    expect(hashes).not.toContain(base);
    expect(new Set(hashes).size).toBe(hashes.length);

    const copy = (content: string, mode?: number) =>
      contentHash(
        renderCodeEnvImage(templates, codeEnv({ resources: { mode: 'copy', path: 'r' } }), {
          parent: 'berth/base:latest',
          resourceFiles: [{ path: 'a.txt', content: Buffer.from(content), mode }],
        }),
      );
    expect(copy('1')).not.toBe(copy('2'));
    expect(copy('1', 0o644)).not.toBe(copy('1', 0o755));
    const withEntrypoint = (entrypoint: string) => contentHash(renderBaseImage({ ...templates, 'kernel-entrypoint.sh': entrypoint }));
    expect(withEntrypoint('#!/bin/sh\n')).not.toBe(withEntrypoint('#!/bin/sh\n# x\n'));
  });
});

describe('image spec', () => {
  test('tag berth/codeenv-<id>:<hash12> and the labels that identify the build', () => {
    const s = spec(build());
    expect(s.ref).toMatch(/^berth\/codeenv-ml:[0-9a-f]{12}$/);
    expect(s.tag).toBe(s.specHash.slice(0, 12));
    expect(s.labels).toEqual({
      'berth.io/managed-by': 'berth',
      'berth.io/image-kind': 'code-env',
      'berth.io/version': '0.1.0',
      'berth.io/parent-image': 'berth/base:latest',
      'berth.io/parent-image-id': PARENT_ID,
      'berth.io/content-hash': s.contentHash,
      'berth.io/spec-hash': s.specHash,
      'berth.io/code-env': 'ml',
      'berth.io/image-ref': s.ref,
    });
  });

  test('a rebuilt parent or another Berth version gives another tag; nothing changed gives the same', () => {
    const inputs = build();
    expect(spec(build()).ref).toBe(spec(inputs).ref);
    expect(spec(inputs, { parentImageId: 'sha256:' + 'b'.repeat(64) }).ref).not.toBe(spec(inputs).ref);
    expect(spec(inputs, { berthVersion: '0.2.0' }).ref).not.toBe(spec(inputs).ref);
  });

  test('extra labels are kept but cannot override Berth labels', () => {
    const s = imageSpec({
      kind: 'base',
      inputs: renderBaseImage(templates),
      parentImage: 'berth/os-bookworm:latest',
      parentImageId: PARENT_ID,
      berthVersion: '0.1.0',
      extraLabels: { 'berth.io/test': 'unit', 'berth.io/managed-by': 'someone-else' },
    });
    expect(s.repository).toBe('berth/base');
    expect(s.labels['berth.io/test']).toBe('unit');
    expect(s.labels['berth.io/managed-by']).toBe('berth');
  });
});

describe('image state', () => {
  const current = spec(build());
  test('missing, up to date', () => {
    expect(imageState(current, undefined)).toEqual({ state: 'missing' });
    expect(imageState(current, current.labels)).toEqual({ state: 'up-to-date' });
  });

  test('stale, with each reason told apart', () => {
    const older = (over: Parameters<typeof spec>[1], inputs = build()) => spec(inputs, over).labels;
    expect(imageState(current, older({ parentImageId: 'sha256:old' }))).toEqual({ state: 'stale', reasons: ['base-rebuilt'] });
    expect(imageState(current, older({ berthVersion: '0.0.9' }))).toEqual({ state: 'stale', reasons: ['berth-upgraded'] });
    expect(imageState(current, older({}, build({ env: { A: '1' } })))).toEqual({ state: 'stale', reasons: ['spec-changed'] });
    const all = imageState(current, older({ parentImageId: 'sha256:old', berthVersion: '0.0.9' }, build({ env: { A: '1' } })));
    expect(all).toEqual({ state: 'stale', reasons: ['base-rebuilt', 'spec-changed', 'berth-upgraded'] });
    expect(describeImageState(all)).toBe(
      'stale: the base image was rebuilt; the image spec changed (packages, resources, env or Dockerfile); Berth was upgraded since it was built',
    );
    expect(imageState(current, { ...current.labels, [IMAGE_LABELS.specHash]: 'x' })).toEqual({ state: 'stale', reasons: ['spec-changed'] });
  });
});
