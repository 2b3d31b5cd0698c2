// The jest hooks every conformance test file shares: one gateway per file, and per framing a
// services client with one started kernel. Hooks fill the fixtures in, so read them inside
// tests and hooks, never while the describe blocks are being declared.
import type { Kernel } from '@jupyterlab/services';
import { conformanceTarget } from '../support/conformance-target';
import type { TestGateway } from '../support/gateway-harness';
import { execute, quietServicesLogs, servicesClient, type Framing, type ServicesClient } from './services-client';

/** How long a hook or test that starts, restarts or shuts down kernels may take. */
export const KERNEL_TIMEOUT_MS = 60_000;
/** Below the 30 s the interrupted code sleeps, so an interrupt that does nothing fails rather than passing late. */
export const INTERRUPT_TIMEOUT_MS = 25_000;

/**
 * Starts a test gateway (the conformance target's) before the file's first test and stops it after
 * its last, and quiets the services client's debug logs. Call it at the top level; it returns a
 * getter for the gateway.
 */
export function gatewayForFile(): () => TestGateway {
  const target = conformanceTarget();
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    quietServicesLogs();
    gw = await target.startGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });
  return () => {
    if (!gw) throw new Error('the test gateway is not running yet');
    return gw;
  };
}

/** A services client and the one kernel it started, connected and past kernel_info. */
export interface KernelFixture {
  readonly client: ServicesClient;
  readonly kernel: Kernel.IKernelConnection;
}

/**
 * Before the enclosing describe block's first test: a services client with this framing starts a
 * kernel of `spec`, waits for its kernel_info and runs `setupCode` (which must succeed). After its
 * last test: the kernel is shut down and the client disposed.
 */
export function kernelForBlock(gateway: () => TestGateway, framing: Framing, spec: string, setupCode?: string): KernelFixture {
  const fixture: { client?: ServicesClient; kernel?: Kernel.IKernelConnection } = {};
  beforeAll(async () => {
    fixture.client = servicesClient(gateway(), framing);
    fixture.kernel = await fixture.client.kernels.startNew({ name: spec });
    await fixture.kernel.info;
    if (setupCode === undefined) return;
    const setup = await execute(fixture.kernel, setupCode);
    expect(setup.reply.content.status).toBe('ok');
  }, KERNEL_TIMEOUT_MS);
  afterAll(async () => {
    if (fixture.kernel && !fixture.kernel.isDisposed) await fixture.kernel.shutdown();
    await fixture.client?.dispose();
  }, KERNEL_TIMEOUT_MS);
  return fixture as KernelFixture;
}

/** A test that starts kernels of its own, with the time that takes. */
export function kernelTest(name: string, body: () => Promise<void>): void {
  test(name, body, KERNEL_TIMEOUT_MS);
}
