// The provisioner contract: what a client of the gateway gets from every backend (local
// processes, Docker containers, Kubernetes pods), checked only through the gateway's HTTP and
// WebSocket API. A kernel starts and answers kernel_info in its language; a long cell is
// interrupted and the kernel stays usable; a restart keeps the kernel's id and loses its
// variables; a shutdown answers 204 and leaves nothing; a kernel that dies while it starts gives a
// clear error; a kernel that cannot answer in time gives the launch-timeout error naming the
// timeout. After each of the last three the backend holds nothing more than before: no process,
// container, pod or Secret of the kernel. A backend file passes a ContractBackend to
// provisionerContract; the container backends share the code envs below (and so their images,
// keyed by content hash).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfigInput } from '../../gateway/src/config/schema';
import { buildCodeEnvImage } from './docker-code-env';
import { startTestGateway, type TestGateway } from './gateway-harness';
import { KernelSocket, type WireMessage } from './kernel-socket';

/** The gateway a backend's fixture looks at: its data dir and its id (on every container and pod it starts). */
export interface ContractGateway {
  readonly dataDir: string;
  readonly id: string;
}

/** The kernelspecs the contract starts on a backend. */
export interface ContractKernels {
  /** A kernel that starts and answers. */
  readonly working: string;
  /** Its language as its kernel_info_reply names it. */
  readonly language: string;
  /** A kernel whose process ends while it starts: its exit code and a line it writes first. */
  readonly failing: { readonly name: string; readonly exitCode: number; readonly output: string };
  /** A kernel whose process runs but never answers: the line it writes before it hangs. */
  readonly hanging: { readonly name: string; readonly output: string };
}

export interface ContractBackend {
  readonly name: string;
  readonly kernels: ContractKernels;
  /**
   * The startup timeout a client asks for the hanging kernel (KERNEL_LAUNCH_TIMEOUT, seconds, as
   * Jupyter Server sends it; the gateway takes it up to its own kernels.startupTimeoutSeconds):
   * well over what the backend needs to run the kernel's process, so it is the kernel that does
   * not answer in time.
   */
  readonly launchTimeoutSeconds: number;
  /** How long one test may take (kernels in containers and pods start slower than processes). */
  readonly testTimeoutMs: number;
  /** Makes what the gateway needs (kernelspecs, config dir, images, a cluster); resolves with the gateway's settings. */
  setUp(): Promise<Partial<GatewayConfigInput>>;
  /**
   * What the backend holds for the gateway: one line per process, runtime file, container, pod or
   * Secret, each naming the id of its kernel, in a stable order.
   */
  footprint(gateway: ContractGateway): Promise<string[]>;
  /** Removes what setUp made and whatever a failed test left; runs after the gateway stopped, also when setUp failed. */
  tearDown(gateway: ContractGateway | undefined): Promise<void>;
}

/** Building the container backends' images on a cold cache takes minutes on 2 cores. */
const SETUP_TIMEOUT_MS = 900_000;
const TEARDOWN_TIMEOUT_MS = 120_000;

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
}

interface ErrorBody {
  message: string;
  code: string;
  traceback?: string;
}

/** The whole contract, as one describe block, against `backend`. */
export function provisionerContract(backend: ContractBackend): void {
  describe(`provisioner contract: ${backend.name}`, () => {
    const { kernels } = backend;
    let gw: TestGateway | undefined;
    let self: ContractGateway | undefined;
    const sockets: KernelSocket[] = [];

    beforeAll(async () => {
      gw = await startTestGateway(await backend.setUp());
      self = { dataDir: gw.dataDir, id: readFileSync(join(gw.dataDir, 'gateway-id'), 'utf8').trim() };
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      for (const socket of sockets) socket.ws.terminate();
      await gw?.stop();
      await backend.tearDown(self);
    }, TEARDOWN_TIMEOUT_MS);

    function gateway(): TestGateway {
      if (gw === undefined) throw new Error(`the ${backend.name} contract gateway did not start`);
      return gw;
    }

    function footprint(): Promise<string[]> {
      if (self === undefined) throw new Error(`the ${backend.name} contract gateway did not start`);
      return backend.footprint(self);
    }

    function post(name: string, env: Record<string, string> = {}): Promise<Response> {
      return gateway().api('api/kernels', { method: 'POST', body: JSON.stringify({ name, env }) });
    }

    async function start(name: string): Promise<KernelModel> {
      const response = await post(name);
      const body = (await response.json()) as KernelModel & ErrorBody;
      if (response.status !== 201) throw new Error(`the start of ${name} answered ${response.status}: ${body.message}`);
      return body;
    }

    async function open(kernelId: string): Promise<KernelSocket> {
      const socket = await KernelSocket.open(gateway().wsUrl, gateway().token, kernelId);
      sockets.push(socket);
      return socket;
    }

    async function listed(): Promise<string[]> {
      return ((await (await gateway().api('api/kernels')).json()) as KernelModel[]).map((kernel) => kernel.id).sort();
    }

    /** Starts the working kernel, hands it to `body` with a socket, and shuts it down whatever happens. */
    async function withKernel(body: (kernel: KernelModel, socket: KernelSocket) => Promise<void>): Promise<void> {
      const kernel = await start(kernels.working);
      try {
        const socket = await open(kernel.id);
        try {
          await body(kernel, socket);
        } finally {
          await socket.close();
        }
      } finally {
        await gateway().api(`api/kernels/${kernel.id}`, { method: 'DELETE' });
      }
    }

    const replyTo =
      (msgId: string, msgType: string) =>
      (m: WireMessage): boolean =>
        m.channel === 'shell' && m.parent_header.msg_id === msgId && m.header.msg_type === msgType;

    test(
      'a started kernel answers kernel_info in its language, and the backend holds it',
      async () => {
        await withKernel(async (kernel, socket) => {
          expect(kernel.name).toBe(kernels.working);
          const request = socket.send('shell', 'kernel_info_request', {});
          const reply = await socket.waitFor(replyTo(request, 'kernel_info_reply'), 'kernel_info_reply');
          expect(reply.content.status).toBe('ok');
          expect(reply.content.language_info.name).toBe(kernels.language);
          // What the backend holds for it, so that "nothing left" below means something.
          const held = await footprint();
          expect(held.filter((line) => line.includes(kernel.id))).not.toEqual([]);
        });
      },
      backend.testTimeoutMs,
    );

    test(
      'an interrupt stops a long cell with KeyboardInterrupt, and the same kernel runs the next cell',
      async () => {
        await withKernel(async (kernel, socket) => {
          expect((await socket.execute('kept = 6 * 7')).reply.content.status).toBe('ok');
          const before = await footprint();
          const sleeping = socket.sendExecute("import time; print('sleeping', flush=True); time.sleep(300)", { stopOnError: false });
          // Its own output, not its busy status: ipykernel takes SIGINT only once the cell runs (before, it ignores it).
          await socket.waitFor(
            (m) => m.header.msg_type === 'stream' && m.parent_header.msg_id === sleeping && String(m.content.text).includes('sleeping'),
            'the sleeping cell to run',
          );
          expect((await gateway().api(`api/kernels/${kernel.id}/interrupt`, { method: 'POST' })).status).toBe(204);
          const interrupted = await socket.outcome(sleeping);
          expect(interrupted.reply.content.status).toBe('error');
          expect(interrupted.reply.content.ename).toBe('KeyboardInterrupt');
          // Not restarted: the variable is still there, in the same process, container or pod.
          expect((await socket.execute('kept')).result).toBe('42');
          expect(await footprint()).toEqual(before);
        });
      },
      backend.testTimeoutMs,
    );

    test(
      'a restart keeps the kernel id and loses the variables',
      async () => {
        await withKernel(async (kernel, socket) => {
          expect((await socket.execute('lost = 41')).reply.content.status).toBe('ok');
          const before = await footprint();
          const restarted = await gateway().api(`api/kernels/${kernel.id}/restart`, { method: 'POST' });
          expect(restarted.status).toBe(200);
          expect(((await restarted.json()) as KernelModel).id).toBe(kernel.id);
          const model = await gateway().api(`api/kernels/${kernel.id}`);
          expect(model.status).toBe(200);
          expect(((await model.json()) as KernelModel).id).toBe(kernel.id);

          // stop_on_error off: ipykernel aborts requests that come in right after a failed one.
          const gone = await socket.outcome(socket.sendExecute('lost', { stopOnError: false }));
          expect(gone.reply.content.status).toBe('error');
          expect(gone.reply.content.ename).toBe('NameError');
          expect((await socket.execute('1 + 1')).result).toBe('2');
          // A new process, container or pod, still of this kernel, and as many things as before.
          const after = await footprint();
          expect(after).not.toEqual(before);
          expect(after).toHaveLength(before.length);
          expect(after.filter((line) => !line.includes(kernel.id))).toEqual(before.filter((line) => !line.includes(kernel.id)));
        });
      },
      backend.testTimeoutMs,
    );

    test(
      'a shutdown answers 204 and leaves nothing of the kernel behind',
      async () => {
        const before = await footprint();
        const earlier = await listed();
        const kernel = await start(kernels.working);
        const socket = await open(kernel.id);
        expect((await socket.execute('1 + 1')).result).toBe('2');
        expect((await footprint()).filter((line) => line.includes(kernel.id))).not.toEqual([]);

        expect((await gateway().api(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status).toBe(204);
        expect((await socket.closed).code).toBe(1000);
        expect((await gateway().api(`api/kernels/${kernel.id}`)).status).toBe(404);
        expect(await listed()).toEqual(earlier);
        expect(await footprint()).toEqual(before);
      },
      backend.testTimeoutMs,
    );

    test(
      'a kernel that dies while it starts fails the start with its exit code and output, and leaves nothing behind',
      async () => {
        const before = await footprint();
        const earlier = await listed();
        const response = await post(kernels.failing.name);
        const body = (await response.json()) as ErrorBody;
        expect({ status: response.status, code: body.code }).toEqual({ status: 500, code: 'kernel-launch-failed' });
        expect(body.message).toContain(`exited with code ${kernels.failing.exitCode}`);
        expect(body.traceback).toContain(kernels.failing.output);
        expect(await listed()).toEqual(earlier);
        expect(await footprint()).toEqual(before);
      },
      backend.testTimeoutMs,
    );

    test(
      'a kernel that cannot answer in time fails the start with the launch timeout, named, and leaves nothing behind',
      async () => {
        const before = await footprint();
        const earlier = await listed();
        const seconds = backend.launchTimeoutSeconds;
        const response = await post(kernels.hanging.name, { KERNEL_LAUNCH_TIMEOUT: String(seconds) });
        const body = (await response.json()) as ErrorBody;
        expect({ status: response.status, code: body.code }).toEqual({ status: 504, code: 'launch-timeout' });
        expect(body.message).toContain(`within ${seconds} s`);
        expect(await listed()).toEqual(earlier);
        expect(await footprint()).toEqual(before);
        // The message says the kernel's output is in the error details: the line it wrote before hanging.
        expect(body.traceback).toContain(kernels.hanging.output);
      },
      backend.testTimeoutMs + backend.launchTimeoutSeconds * 1000,
    );
  });
}

// ------------------------------------------------------------------------------------------------
// The container backends' kernels: three code envs, the same for Docker and Kubernetes.

/** The code envs of the container contract (one image each per base, shared by every file that builds them). */
export const CONTRACT_CODE_ENVS = {
  /** Python, nothing added: the base image's ipykernel. */
  working: 'berth-test-contract-py',
  /** An R code env on a base without R: the entrypoint exits with 64 and says why. */
  failing: 'berth-test-contract-no-r',
  /** Python whose interpreter hangs at start (a sitecustomize module on its PYTHONPATH). */
  hanging: 'berth-test-contract-hang',
} as const;

/** What the hanging kernel writes before it hangs. */
export const HANG_OUTPUT = 'berth-contract: this kernel hangs at interpreter start on purpose';

/** A sitecustomize module that makes every Python interpreter on its path hang before it runs anything. */
export const HANG_SITECUSTOMIZE = [
  'import sys, time',
  `sys.stderr.write(${JSON.stringify(`${HANG_OUTPUT}\n`)})`,
  'sys.stderr.flush()',
  'time.sleep(3600)',
  '',
].join('\n');

/** The container contract's kernelspecs on exec config `execConfig`. */
export function containerKernels(execConfig: string): ContractKernels {
  return {
    working: `${CONTRACT_CODE_ENVS.working}--${execConfig}`,
    language: 'python',
    failing: { name: `${CONTRACT_CODE_ENVS.failing}--${execConfig}`, exitCode: 64, output: 'R is not installed in this image' },
    hanging: { name: `${CONTRACT_CODE_ENVS.hanging}--${execConfig}`, output: HANG_OUTPUT },
  };
}

/** The contract's code envs, available for exec config `execConfig`, as a config dir holds them (see makeConfigDir). */
export function contractCodeEnvs(execConfig: string): Record<string, Record<string, unknown>> {
  return {
    [CONTRACT_CODE_ENVS.working]: { language: 'python', availableFor: [execConfig] },
    [CONTRACT_CODE_ENVS.failing]: { language: 'r', availableFor: [execConfig] },
    [CONTRACT_CODE_ENVS.hanging]: {
      language: 'python',
      env: { PYTHONPATH: '/opt/berth/resources' },
      resources: { mode: 'init-script', script: `cat > sitecustomize.py <<'EOF'\n${HANG_SITECUSTOMIZE}EOF\n` },
      availableFor: [execConfig],
    },
  };
}

/**
 * Builds the contract's code env images for `execConfig` of `configDir` the way an admin does
 * (`berth images build-code-env`; an image with the same content hash is not built again) and
 * resolves with their refs on the daemon.
 */
export async function buildContractImages(configDir: string, execConfig: string): Promise<string[]> {
  const refs: string[] = [];
  for (const codeEnv of Object.values(CONTRACT_CODE_ENVS)) refs.push(await buildCodeEnvImage(configDir, codeEnv, execConfig));
  return refs;
}
