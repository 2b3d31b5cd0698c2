// An R kernel in a container through a real gateway and the real Docker Engine (host network): the
// R base built through the CLI (`berth images build-base --with-r`; an identical R layer already on
// the daemon is reused), an R code env with a Debian R package built on it by `berth images
// build-code-env`, and its kernelspec `<code-env>--<exec-config>` started through the gateway and
// driven over the kernel WebSocket. The package is r-cran-r6: jsonlite (which the kernel loads too)
// is already in the R base, as a dependency of IRkernel, so only R6 shows the code env's own layer. scripts/test.mjs starts the daemon and makes
// the OS image before jest runs. The code env's containers and image and the test tag are removed
// afterwards, the R layer only when this test built it (one built by someone else is only
// untagged); the shared base (berth/base:<hash>) stays as a cache.
import { rmSync } from 'node:fs';
import Dockerode from 'dockerode';
import { buildRBase, codeEnvContainers, makeDockerCodeEnv, R_BASE_REF, removeCodeEnvArtifacts } from '../../support/docker-code-env';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { KernelSocket } from '../../support/kernel-socket';
import { leftoverImageNames, removeImageNames } from '../../support/test-images';

const CODE_ENV = 'berth-test-r-docker';
const EXEC_CONFIG = 'berth-test-r-docker-exec';
const KERNEL = `${CODE_ENV}--${EXEC_CONFIG}`;
const BASE_TAG = 'berth-test/r-docker-kernel-base:latest';
/** The R layer (apt r-base-core, IRkernel) and the code env's apt step on a cold machine: minutes. */
const SETUP_TIMEOUT_MS = 900_000;
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
let configDir: string | undefined;
let gw: TestGateway | undefined;
/** The R layer when this test built it (not when an identical one already existed). */
let builtRef: string | undefined;

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
}

function kernelContainers(kernelId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.io/kernel-id=${kernelId}`] }) });
}

beforeAll(async () => {
  // What a run that crashed before its cleanup left: the code env's containers and image, the test tag.
  await removeCodeEnvArtifacts(docker, CODE_ENV);
  await removeImageNames(docker, ...(await leftoverImageNames(docker, BASE_TAG, R_BASE_REF)));
  const r = await buildRBase(BASE_TAG);
  if (r.built) builtRef = r.ref;
  configDir = await makeDockerCodeEnv({
    codeEnv: CODE_ENV,
    language: 'r',
    apt: ['r-cran-r6'],
    execConfig: EXEC_CONFIG,
    baseImage: BASE_TAG,
  });
  gw = await startTestGateway({ configDir });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await gw?.stop();
  await removeCodeEnvArtifacts(docker, CODE_ENV);
  await removeImageNames(docker, BASE_TAG, ...(builtRef === undefined ? [] : [builtRef]));
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

test('an R code env kernel runs in a container of its image and loads the code env package over the WebSocket', async () => {
  const specResponse = await gw!.api(`api/kernelspecs/${KERNEL}`);
  expect(specResponse.status).toBe(200);
  expect(await specResponse.json()).toMatchObject({
    name: KERNEL,
    spec: { language: 'R', metadata: { berth: { codeEnv: CODE_ENV, executionConfig: EXEC_CONFIG, backend: 'docker' } } },
  });

  const started = await gw!.api('api/kernels', { method: 'POST', body: JSON.stringify({ name: KERNEL }) });
  expect(started.status).toBe(201);
  const kernel = (await started.json()) as KernelModel;
  expect(kernel).toMatchObject({ name: KERNEL, execution_state: 'idle' });
  const containers = await kernelContainers(kernel.id);
  expect(containers).toHaveLength(1);
  expect(containers[0]!.Image).toMatch(new RegExp(`^berth/codeenv-${CODE_ENV}:[0-9a-f]{12}$`));
  expect(containers[0]!.Labels).toMatchObject({ 'berth.io/code-env': CODE_ENV, 'berth.io/exec-config': EXEC_CONFIG });
  expect((await docker.getContainer(containers[0]!.Id).inspect()).Config.Env).toContain('BERTH_KERNEL_LANGUAGE=r');

  const socket = await KernelSocket.open(gw!.wsUrl, gw!.token, kernel.id);
  try {
    const infoRequest = socket.send('shell', 'kernel_info_request', {});
    const info = await socket.waitFor(
      (m) => m.channel === 'shell' && m.header.msg_type === 'kernel_info_reply' && m.parent_header.msg_id === infoRequest,
      'kernel_info_reply',
    );
    expect(info.content).toMatchObject({ status: 'ok', implementation: 'IRkernel', language_info: { name: 'R' } });

    const version = await socket.execute('library(jsonlite); cat(R.version.string)');
    expect(version.reply.content.status).toBe('ok');
    expect(version.stdout).toMatch(/^R version \d+\.\d+\.\d+/);
    expect(version.iopub.filter((m) => m.header.msg_type === 'error' || m.content.name === 'stderr')).toEqual([]);

    const json = await socket.execute('cat(toJSON(list(kernel = "berth")))');
    expect(json.reply.content.status).toBe('ok');
    expect(json.stdout).toBe('{"kernel":["berth"]}');

    // R6 comes from the code env's apt packages (the R base has none of it).
    const r6 = await socket.execute(
      'library(R6); Greeter <- R6Class("Greeter", public = list(hi = function() "hi from R6")); cat(Greeter$new()$hi())',
    );
    expect(r6.reply.content.status).toBe('ok');
    expect(r6.stdout).toBe('hi from R6');
  } finally {
    await socket.close();
  }

  expect((await gw!.api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
  expect(await kernelContainers(kernel.id)).toEqual([]);
  expect(await codeEnvContainers(docker, CODE_ENV)).toEqual([]);
}, 120_000);
