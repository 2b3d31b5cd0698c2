// Which kernel the @jupyterlab/services conformance suites (test/conformance) run against, and the
// gateway that serves it. A suite file run on its own uses the local python3 kernel; a test file
// that runs the suites against another Python kernel (docker-kernel.test.ts) selects its target
// first and loads the suite files after. Jest gives every test file its own module registry, so a
// choice never leaks into another test file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from './gateway-harness';

export interface ConformanceTarget {
  /** The Python kernelspec the suites start (the gateway's default kernelspec stays python3). */
  readonly kernel: string;
  /** Starts a gateway serving `kernel` (from a beforeAll hook). */
  startGateway(): Promise<TestGateway>;
  /** A new folder the target's kernels see at the same path; the caller removes it. */
  scratchDir(): string;
}

/** The python3 kernelspec run as a local process by a plain test gateway. */
export const LOCAL_PYTHON: ConformanceTarget = {
  kernel: 'python3',
  startGateway: () => startTestGateway(),
  scratchDir: () => mkdtempSync(join(tmpdir(), 'berth-conformance-')),
};

let current: ConformanceTarget = LOCAL_PYTHON;

/** The target of the suites this test file loads. Read it while they load (declaring their tests). */
export function conformanceTarget(): ConformanceTarget {
  return current;
}

/** Makes the suite files this test file loads from now on run against `target`. */
export function useConformanceTarget(target: ConformanceTarget): void {
  current = target;
}
