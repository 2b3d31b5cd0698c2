// The @jupyterlab/services conformance suites (execute, comms, introspection, lifecycle and
// sessions) run once more, unchanged, against a Python kernel in a Docker container: the
// kernelspec `<code-env>--<exec-config>` of a code env without packages on a Docker exec config
// (host network) whose base image is a test tag of the shared base. A first test checks that the
// kernels really are containers of that code env's image, and a last one that none is left.
// scripts/test.mjs starts the daemon and makes the OS image before jest runs. The code env's image
// and the test tag are removed afterwards; the shared base (berth/base:<hash>) stays as a cache.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelAPI, KernelSpecAPI, ServerConnection } from '@jupyterlab/services';
import { validateSpecModel } from '@jupyterlab/services/lib/kernelspec/validate';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../gateway/src/images/image-builder';
import { useConformanceTarget } from '../support/conformance-target';
import { codeEnvContainers, makeDockerCodeEnv, removeCodeEnvArtifacts } from '../support/docker-code-env';
import { startTestGateway } from '../support/gateway-harness';
import { removeImageNames } from '../support/test-images';
import { gatewayForFile, KERNEL_TIMEOUT_MS } from './fixtures';
import { servicesClient } from './services-client';

const CODE_ENV = 'berth-test-conformance';
const EXEC_CONFIG = 'berth-test-conformance-docker';
const KERNEL = `${CODE_ENV}--${EXEC_CONFIG}`;
const BASE_TAG = 'berth-test/conformance-base:latest';
/** The suite files run against the Docker kernel (test/conformance/<name>.test.ts). */
const SUITES = ['kernel-execute', 'kernel-comms', 'kernel-introspection', 'kernel-lifecycle', 'sessions'];
/** Building the shared base when it is missing, then the code env's image: minutes on a cold machine. */
const SETUP_TIMEOUT_MS = 600_000;

const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
// Bind-mounted into the kernel containers at the same path: the lifecycle suite's flag files live
// in it. Readable by the kernel's non-root user (the tests may run as root).
const shared = mkdtempSync(join(tmpdir(), `${CODE_ENV}-shared-`));
chmodSync(shared, 0o755);
let configDir: string | undefined;

useConformanceTarget({
  kernel: KERNEL,
  startGateway: () => {
    if (configDir === undefined) throw new Error(`the config dir of ${KERNEL} is not ready: its setup failed`);
    return startTestGateway({ configDir, defaultKernelName: KERNEL });
  },
  scratchDir: () => {
    const dir = mkdtempSync(join(shared, 'scratch-'));
    chmodSync(dir, 0o755);
    return dir;
  },
});

beforeAll(async () => {
  await removeCodeEnvArtifacts(docker, CODE_ENV); // what a run that crashed before its cleanup left
  await new ImageBuilder(docker).buildBase({ extraTags: [BASE_TAG] });
  configDir = await makeDockerCodeEnv({
    codeEnv: CODE_ENV,
    language: 'python',
    execConfig: EXEC_CONFIG,
    baseImage: BASE_TAG,
    mounts: [shared],
  });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await removeCodeEnvArtifacts(docker, CODE_ENV);
  await removeImageNames(docker, BASE_TAG);
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  rmSync(shared, { recursive: true, force: true });
}, KERNEL_TIMEOUT_MS);

describe(`the Docker kernel ${KERNEL}`, () => {
  const gateway = gatewayForFile();

  test(
    "is listed as a kernelspec the client validates, and runs in a hardened container of the code env's image",
    async () => {
      const client = servicesClient(gateway(), 'json');
      try {
        const specs = await KernelSpecAPI.getSpecs(client.settings);
        expect(Object.keys(specs.kernelspecs)).toContain(KERNEL);
        const response = await ServerConnection.makeRequest(`${client.settings.baseUrl}api/kernelspecs/${KERNEL}`, {}, client.settings);
        expect(response.status).toBe(200);
        const spec = validateSpecModel(await response.json());
        expect(spec).toMatchObject({ name: KERNEL, language: 'python' });
        expect(spec.metadata).toMatchObject({ berth: { codeEnv: CODE_ENV, executionConfig: EXEC_CONFIG, backend: 'docker' } });

        const model = await KernelAPI.startNew({ name: KERNEL }, client.settings);
        const containers = await docker.listContainers({ filters: JSON.stringify({ label: [`berth.io/kernel-id=${model.id}`] }) });
        expect(containers).toHaveLength(1);
        expect(containers[0]!.Image).toMatch(new RegExp(`^berth/codeenv-${CODE_ENV}:[0-9a-f]{12}$`));
        expect(containers[0]!.Labels).toMatchObject({ 'berth.io/code-env': CODE_ENV, 'berth.io/exec-config': EXEC_CONFIG });
        const info = await docker.getContainer(containers[0]!.Id).inspect();
        expect(info.Config.User).toBe('1000:1000');
        expect(info.HostConfig).toMatchObject({ NetworkMode: 'host', CapDrop: ['ALL'] });
        await KernelAPI.shutdownKernel(model.id, client.settings);
        expect(await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.io/kernel-id=${model.id}`] }) })).toEqual(
          [],
        );
      } finally {
        await client.dispose();
      }
    },
    KERNEL_TIMEOUT_MS,
  );
});

describe.each(SUITES)(`%s.test.ts on ${KERNEL}`, (suite) => {
  // Loading a suite file declares its tests here; they read the target chosen above.
  jest.requireActual(`./${suite}.test`);
});

test('the suites left no kernel container of the code env behind', async () => {
  expect(await codeEnvContainers(docker, CODE_ENV)).toEqual([]);
});
