// Debian's Chromium through playwright-core, a page per test file, screenshots and the page's
// console into the artifacts folder, and waits on JupyterLab's own state (window.jupyterapp,
// the session's kernel) with synchronous predicates: a predicate returning a Promise would be
// truthy at once.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM } from './paths.mjs';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium (a fresh temporary profile each time) and opens one page. `name` prefixes
 * the artifacts: <name>-NN-<step>.png, <name>-console.log. Resolves with
 * { browser, page, shot(step), console, pageErrors, close() }.
 */
export async function openBrowser(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const consoleLines = [];
  const pageErrors = [];
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => {
    pageErrors.push(error);
    consoleLines.push(`[pageerror] ${error.stack ?? error}`);
  });
  let step = 0;
  const shot = async (label) => {
    step += 1;
    const file = join(ARTIFACTS, `${name}-${String(step).padStart(2, '0')}-${label}.png`);
    await page.screenshot({ path: file });
    return file;
  };
  let closed;
  const close = () => {
    closed ??= (async () => {
      writeFileSync(join(ARTIFACTS, `${name}-console.log`), `${consoleLines.join('\n')}\n`);
      await browser.close();
    })();
    return closed;
  };
  return { browser, page, shot, console: consoleLines, pageErrors, close };
}

/** Opens JupyterLab at `path` (e.g. lab/tree/x.ipynb) with the server's token, a clean layout, and waits for it to start. */
export async function openLab(page, lab, path) {
  await page.goto(`${lab.url}${path}?reset&token=${lab.token}`);
  await page.waitForFunction(() => window.jupyterapp !== undefined || document.body.dataset.startError !== undefined, null, {
    timeout: 60_000,
  });
  const startError = await page.evaluate(() => document.body.dataset.startError);
  if (startError) throw new Error(`JupyterLab did not start: ${startError}`);
}

/**
 * Waits until the current notebook's kernel is `name` (any kernel when omitted), connected and
 * idle, then resolves with its id and name.
 */
export async function waitForKernel(page, name, timeout = 90_000) {
  await page.waitForFunction(
    (wanted) => {
      const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
      return !!kernel && (!wanted || kernel.name === wanted) && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
    },
    name ?? null,
    { timeout },
  );
  return page.evaluate(() => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    return { id: kernel.id, name: kernel.name };
  });
}

/** The ids of the plugins registered in the page's JupyterLab, and which of `ids` are activated. */
export function pluginState(page, ids) {
  return page.evaluate(
    (wanted) => ({
      registered: window.jupyterapp.listPlugins(),
      activated: wanted.filter((id) => window.jupyterapp.isPluginActivated(id)),
    }),
    ids,
  );
}
