// Pushes a Berth image to a real registry (Debian's docker-registry, distribution 2.8, with
// htpasswd auth on 127.0.0.1:5000) through the real Docker Engine, with credentials from a Docker
// config directory, and pulls it back. scripts/test.mjs starts dockerd and the registry
// (scripts/ensure-docker.mjs, scripts/ensure-registry.mjs) before jest runs. Every local tag the
// test makes is removed afterwards, and so is the pushed manifest; berth/os-bookworm:latest stays.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { loadConfigDir } from '../../../gateway/src/execution/config-dir';
import { dockerFor } from '../../../gateway/src/images/docker-client';
import { loadImageTemplates } from '../../../gateway/src/images/image-templates';
import { registryImageId } from '../../../gateway/src/images/registry-manifest';
import { podImage } from '../../../gateway/src/provisioners/kubernetes/pod-image';
import { pullImage, pushImage, RegistryError } from '../../../gateway/src/images/registry-push';

const SOURCE = 'berth/os-bookworm:latest';
const REPOSITORY = 'berth-test/registry-probe';
const TAG = `t${process.pid}-${Date.now().toString(36)}`;
const LOCAL_REF = `${REPOSITORY}:${TAG}`;

const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const registry = JSON.parse(
  execFileSync(process.execPath, [join(__dirname, '..', '..', '..', 'scripts', 'ensure-registry.mjs'), '--credentials'], {
    encoding: 'utf8',
  }),
) as { address: string; username: string; password: string };
const basic = (password: string) => `Basic ${Buffer.from(`${registry.username}:${password}`).toString('base64')}`;

const localTags = new Set<string>([LOCAL_REF]);
const tempDirs: string[] = [];
/** Manifests this test pushed, deleted afterwards: [repository, digest]. */
const pushedManifests: [string, string][] = [];

/** A Docker config directory whose config.json holds `password` for the test registry. */
function dockerConfig(password: string, address = registry.address): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-test-'));
  tempDirs.push(dir);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ auths: { [address]: { auth: Buffer.from(`${registry.username}:${password}`).toString('base64') } } }),
    {
      mode: 0o600,
    },
  );
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  await docker.getImage(SOURCE).tag({ repo: REPOSITORY, tag: TAG });
});

afterAll(async () => {
  for (const ref of localTags)
    await docker
      .getImage(ref)
      .remove()
      .catch(() => undefined);
  for (const [repository, digest] of pushedManifests) {
    await fetch(`http://${registry.address}/v2/${repository}/manifests/${digest}`, {
      method: 'DELETE',
      headers: { authorization: basic(registry.password) },
    }).catch(() => undefined);
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

test('pushes with the Docker config credentials, the digest is the registry manifest digest, and the image pulls back', async () => {
  const configDir = dockerConfig(registry.password);
  const original = await docker.getImage(SOURCE).inspect();

  const progress: string[] = [];
  const pushed = await pushImage(docker, LOCAL_REF, registry.address, {
    dockerConfigDir: configDir,
    onProgress: (line) => progress.push(line),
  });
  localTags.add(pushed.pushedRef);
  pushedManifests.push([REPOSITORY, pushed.digest]);
  expect(pushed.pushedRef).toBe(`${registry.address}/${REPOSITORY}:${TAG}`);
  expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(progress.some((line) => line.includes(`[${registry.address}/${REPOSITORY}]`))).toBe(true);
  expect(progress.join('\n')).not.toContain(registry.password);

  const manifest = await fetch(`http://${registry.address}/v2/${REPOSITORY}/manifests/${TAG}`, {
    headers: { authorization: basic(registry.password), accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  expect(manifest.status).toBe(200);
  expect(manifest.headers.get('docker-content-digest')).toBe(pushed.digest);

  await docker.getImage(pushed.pushedRef).remove();
  const pulled = await pullImage(docker, pushed.pushedRef, { dockerConfigDir: configDir });
  expect(pulled.id).toBe(original.Id);
  expect(pulled.digest).toBe(pushed.digest);
  expect((await docker.getImage(pushed.pushedRef).inspect()).Id).toBe(original.Id);
}, 120_000);

test('a wrong password is a RegistryError naming the registry and the credentials', async () => {
  const configDir = dockerConfig('not-the-password');
  localTags.add(`${registry.address}/${LOCAL_REF}`);
  const err = await rejection(pushImage(docker, LOCAL_REF, registry.address, { dockerConfigDir: configDir }));
  expect(err).toBeInstanceOf(RegistryError);
  expect(err.message).toContain(`registry ${registry.address}`);
  expect(err.message).toContain(`refused the credentials for ${registry.address} in ${join(configDir, 'config.json')}`);
  expect(err.message).toContain(`docker login ${registry.address}`);
  expect(err.message).not.toContain('not-the-password');

  const pullErr = await rejection(pullImage(docker, `${registry.address}/${LOCAL_REF}`, { dockerConfigDir: configDir }));
  expect(pullErr).toBeInstanceOf(RegistryError);
  expect(pullErr.message).toContain('refused the credentials');
}, 60_000);

test('a registry address with nothing listening is a RegistryError saying it is unreachable', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  localTags.add(`${address}/${LOCAL_REF}`);
  const err = await rejection(pushImage(docker, LOCAL_REF, address, { dockerConfigDir: dockerConfig('x', address) }));
  expect(err).toBeInstanceOf(RegistryError);
  expect(err.message).toContain(`registry ${address}`);
  expect(err.message).toMatch(/unreachable .*: is a registry listening on 127\.0\.0\.1:\d+\?/);
}, 60_000);

test("build-code-env --push pushes the image to its exec config's registry with the Docker config credentials", async () => {
  const base = `berth-test/registry-base:${TAG}`;
  await new ImageBuilder(docker).buildBase({ extraTags: [base], labels: { 'berth.io/test': 'images-registry' } });
  localTags.add(base);
  const configDir = mkdtempSync(join(tmpdir(), 'berth-registry-config-'));
  tempDirs.push(configDir);
  mkdirSync(join(configDir, 'execution-configs'));
  mkdirSync(join(configDir, 'code-envs'));
  writeFileSync(
    join(configDir, 'execution-configs', 'docker-push.yaml'),
    `backend: docker\nbaseImage: ${base}\ndocker:\n  registry: ${registry.address}\n  network: host\n`,
  );
  writeFileSync(join(configDir, 'code-envs', 'berth-test-pushed.yaml'), `language: python\nenv:\n  BERTH_TEST_PUSH: '${TAG}'\n`);

  const berth = join(__dirname, '..', '..', '..', 'gateway', 'bin', 'berth.js');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [berth, 'images', 'build-code-env', 'berth-test-pushed', '--push', '--config-dir', configDir],
    { env: { ...process.env, DOCKER_CONFIG: dockerConfig(registry.password) } },
  );
  const pushed = new RegExp(
    `^berth-test-pushed@docker-push: pushed (${registry.address}/berth/codeenv-berth-test-pushed:([0-9a-f]{12})) \\((sha256:[0-9a-f]{64})\\)$`,
    'm',
  ).exec(stdout);
  expect(pushed).not.toBeNull();
  const [, pushedRef, tag, digest] = pushed!;
  localTags.add(pushedRef!);
  localTags.add(`berth/codeenv-berth-test-pushed:${tag}`);
  pushedManifests.push(['berth/codeenv-berth-test-pushed', digest!]);
  expect(stdout).toMatch(/[01] built, [01] skipped \(up to date\), 2 pushed/);
  // The base went along, so that a gateway without a daemon can read its id from the registry.
  const basePushed = new RegExp(
    `^berth-test-pushed@docker-push: pushed (${registry.address}/${base}) \\((sha256:[0-9a-f]{64})\\)$`,
    'm',
  ).exec(stdout);
  expect(basePushed).not.toBeNull();
  localTags.add(basePushed![1]!);
  pushedManifests.push([base.split(':')[0]!, basePushed![2]!]);
  const localBaseId = (await docker.getImage(base).inspect()).Id;
  const readOptions = { dockerConfigDir: dockerConfig(registry.password) };
  expect(await registryImageId(`${registry.address}/${base}`, readOptions)).toBe(localBaseId);
  expect(await registryImageId(`${registry.address}/${pushedRef!.slice(registry.address.length + 1)}`, readOptions)).toBe(
    (await docker.getImage(pushedRef!).inspect()).Id,
  );
  expect(await registryImageId(`${registry.address}/berth-test/never-pushed:${TAG}`, readOptions)).toBeUndefined();
  const refused = await rejection(registryImageId(`${registry.address}/${base}`, { dockerConfigDir: dockerConfig('wrong') }));
  expect(refused).toBeInstanceOf(RegistryError);
  expect(refused.message).toContain(`docker login ${registry.address}`);

  // A gateway in a cluster has no Docker daemon: it names the kernel pod's image from the registry alone.
  writeFileSync(
    join(configDir, 'execution-configs', 'k8s-push.yaml'),
    `backend: kubernetes\nbaseImage: ${base}\nkubernetes:\n  namespace: berth-kernels\n  registry: ${registry.address}\n`,
  );
  const config = loadConfigDir(configDir, { kernelspecNames: new Set(['python3', 'ir']) });
  const k8s = config.execConfigs.find((c) => c.id === 'k8s-push');
  const codeEnv = config.codeEnvs.find((c) => c.id === 'berth-test-pushed')!;
  if (k8s?.backend !== 'kubernetes') throw new Error('k8s-push did not load as a Kubernetes exec config');
  const noDaemon = 'unix:///nonexistent/berth-test/docker.sock';
  const lookup = {
    configDir,
    templates: loadImageTemplates(),
    buildDaemon: dockerFor(noDaemon),
    buildDaemonHost: noDaemon,
    ...readOptions,
  };
  expect(await podImage(lookup, k8s, codeEnv)).toEqual({ ref: pushedRef });
  const unpushed = { ...k8s, baseImage: `berth-test/registry-unpushed:${TAG}` };
  const missing = await rejection(podImage(lookup, unpushed, codeEnv));
  expect(missing.message).toContain(`registry ${registry.address} has no ${registry.address}/berth-test/registry-unpushed:${TAG}`);
  expect(missing.message).toContain('berth images build-code-env berth-test-pushed --exec-config k8s-push --push');

  const manifest = await fetch(`http://${registry.address}/v2/berth/codeenv-berth-test-pushed/manifests/${tag}`, {
    headers: { authorization: basic(registry.password), accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  expect(manifest.status).toBe(200);
  expect(manifest.headers.get('docker-content-digest')).toBe(digest);
}, 180_000);
