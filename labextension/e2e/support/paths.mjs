// Where things are, for the end-to-end tests and the scripts that prepare them.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** labextension/ */
export const PACKAGE = resolve(E2E, '..');
/** The repository root (the gateway's project). */
export const ROOT = resolve(PACKAGE, '..');

/** Screenshots, console logs and server logs of each test file (git-ignored with .test-results/). */
export const ARTIFACTS = join(PACKAGE, '.test-results', 'e2e-artifacts');

export const FRONT_ENDS = {
  /** JupyterLab's core with Berth's plugins bundled (e2e/app). */
  app: join(E2E, 'app', 'build'),
  /** JupyterLab's core as a module federation host (e2e/federated), for the prebuilt extension. */
  federated: join(E2E, 'federated', 'build'),
};

/** The prebuilt extension as shipped: build-labextension's output folder. */
export const PREBUILT_EXTENSION = join(PACKAGE, 'labextension');
export const EXTENSION_NAME = 'berth-labextension';

export const LAB_SERVER_MAIN = join(E2E, 'server', 'main.py');
/** Debian's interpreter, which has jupyter_server and jupyterlab_server (the python3 on PATH may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
/** Debian's Chromium (apt), driven by playwright-core; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** The `berth` CLI on the compiled gateway (the root project's build). */
export const BERTH_BIN = join(ROOT, 'gateway', 'bin', 'berth.js');
export const BERTH_COMPILED = join(ROOT, 'gateway', 'dist', 'cli', 'main.js');
