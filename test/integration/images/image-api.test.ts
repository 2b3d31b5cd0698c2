// The image builder over REST on a real gateway and the real Docker Engine: admins only, the list,
// a base and a code env built with the build log streamed as JSON lines, a failing build reported
// in the stream (with the failing step) while the gateway keeps serving. scripts/test.mjs starts
// the daemon and makes the OS image before jest runs; the test's own images are removed afterwards.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { removeCodeEnvArtifacts } from '../../support/docker-code-env';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';

const BASE_TAG = 'berth-test/image-api-base:latest';
const USER_TOKEN = 'image-api-user-token-0001';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
let configDir: string;
let gw: TestGateway;

interface Event {
  type: string;
  [key: string]: unknown;
}

/** POSTs a build and reads the whole streamed log: one JSON event per line. */
async function build(path: string, body: unknown): Promise<{ status: number; contentType: string | null; events: Event[] }> {
  const response = await gw.api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  const events = response.ok
    ? text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Event)
    : [JSON.parse(text) as Event];
  return { status: response.status, contentType: response.headers.get('content-type'), events };
}

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'berth-image-api-'));
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  writeFileSync(
    join(configDir, 'execution-configs', 'docker-api.yaml'),
    `backend: docker\nbaseImage: ${BASE_TAG}\ndocker:\n  daemons:\n    - host: unix:///var/run/docker.sock\n  network: host\n`,
  );
  writeFileSync(join(configDir, 'code-envs', 'berth-test-api-plain.yaml'), 'language: python\nenv:\n  BERTH_TEST_MARK: api\n');
  writeFileSync(
    join(configDir, 'code-envs', 'berth-test-api-broken.yaml'),
    'language: python\npackages:\n  apt: [berth-no-such-package]\n',
  );
  gw = await startTestGateway({
    configDir,
    auth: { users: [{ name: 'dana', token: USER_TOKEN, groups: ['data'] }] },
  } as never);
});

afterAll(async () => {
  await gw?.stop();
  for (const codeEnv of ['berth-test-api-plain', 'berth-test-api-broken']) await removeCodeEnvArtifacts(docker, codeEnv);
  await docker
    .getImage(BASE_TAG)
    .remove()
    .catch(() => undefined);
  rmSync(configDir, { recursive: true, force: true });
});

test('only admins reach the image API', async () => {
  const asUser = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}${path}`, { ...init, headers: { Authorization: `token ${USER_TOKEN}`, 'Content-Type': 'application/json' } });
  expect((await asUser('api/berth/images')).status).toBe(403);
  const refused = await asUser('api/berth/images/code-envs', { method: 'POST', body: JSON.stringify({ all: true }) });
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { message: string }).message).toMatch(/admin/i);
});

test('bad build requests are refused before anything is built', async () => {
  const unknownField = await build('api/berth/images/code-envs', { all: true, colour: 'red' });
  expect(unknownField.status).toBe(400);
  expect(String(unknownField.events[0]!['message'])).toContain('colour');
  const unknownEnv = await build('api/berth/images/code-envs', { codeEnv: 'nope' });
  expect(unknownEnv.status).toBe(404);
  expect(String(unknownEnv.events[0]!['message'])).toMatch(
    /code env nope does not exist; code envs: berth-test-api-broken, berth-test-api-plain/,
  );
  const badRecipe = await build('api/berth/images/base', { recipe: { cudaVersion: '12.4' } });
  expect(badRecipe.status).toBe(400);
  expect(String(badRecipe.events[0]!['message'])).toMatch(/cudaVersion/);
  const pushWithoutRegistry = await build('api/berth/images/code-envs', { codeEnv: 'berth-test-api-plain', push: true });
  expect(pushWithoutRegistry.status).toBe(400);
  expect(String(pushWithoutRegistry.events[0]!['message'])).toMatch(/docker-api has no registry/);
});

test('a base and a code env build with the log streamed, then list as up to date', async () => {
  const base = await build('api/berth/images/base', { tag: BASE_TAG });
  expect(base.status).toBe(200);
  expect(base.contentType).toMatch(/^application\/x-ndjson/);
  expect(base.events[0]).toEqual(expect.objectContaining({ type: 'image', index: 1, total: 1, label: 'base' }));
  expect(base.events.at(-1)).toEqual(
    expect.objectContaining({ type: 'done', built: expect.any(Number), images: [expect.stringMatching(/^berth\/base:/)] }),
  );

  const codeEnv = await build('api/berth/images/code-envs', { codeEnv: 'berth-test-api-plain' });
  expect(codeEnv.status).toBe(200);
  const steps = codeEnv.events.filter((event) => event.type === 'step');
  expect(steps.length).toBeGreaterThan(3);
  expect(steps.at(-1)).toEqual(
    expect.objectContaining({ label: 'berth-test-api-plain@docker-api', step: expect.any(Number), total: expect.any(Number) }),
  );
  const built = codeEnv.events.find((event) => event.type === 'built')!;
  expect(built).toEqual(
    expect.objectContaining({ skipped: false, ref: expect.stringMatching(/^berth\/codeenv-berth-test-api-plain:[0-9a-f]{12}$/) }),
  );
  expect(codeEnv.events.at(-1)).toEqual({ type: 'done', built: 1, skipped: 0, pushed: 0, images: [built['ref']] });
  const image = await docker.getImage(String(built['ref'])).inspect();
  expect(image.Config.Env).toContain('BERTH_TEST_MARK=api');

  const listing = (await (await gw.api('api/berth/images')).json()) as {
    bases: { image: string; state: { state: string } }[];
    codeEnvs: { codeEnv: string; image?: string; state: { state: string } }[];
  };
  expect(listing.bases).toEqual([expect.objectContaining({ image: BASE_TAG, state: { state: 'up-to-date' } })]);
  expect(listing.codeEnvs).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ codeEnv: 'berth-test-api-plain', image: built['ref'], state: { state: 'up-to-date' } }),
      expect.objectContaining({ codeEnv: 'berth-test-api-broken', state: { state: 'missing' } }),
    ]),
  );
}, 300_000);

test('a failing build ends its stream with an error naming the step, and the gateway keeps serving', async () => {
  const broken = await build('api/berth/images/code-envs', { codeEnv: 'berth-test-api-broken' });
  expect(broken.status).toBe(200);
  const last = broken.events.at(-1)!;
  expect(last).toEqual(expect.objectContaining({ type: 'error', code: 'image-build-failed' }));
  expect(String(last['message'])).toMatch(/failed at Step \d+\/\d+/);
  expect(String(last['message'])).toMatch(/berth-no-such-package/);
  expect((await gw.api('api/status')).status).toBe(200);
}, 300_000);
