// The extension as shipped: build-labextension's output (labextension/labextension/, what the
// README says to copy into a labextensions path), found by the server through
// extra_labextensions_path, loaded by the federated host (e2e/federated) the way JupyterLab
// loads prebuilt extensions: its remoteEntry joins the page's share scope and its plugins come
// from the container's ./extension module. This catches packaging and shared-module mistakes
// that the bundled app hides. The gateway is a real `berth serve` with the same exec configs and
// code env as the Docker test; listing its pairs starts no container.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stopServers, withFailureShot } from '../support/artifacts.mjs';
import { startBerth, writeConfigDir } from '../support/berth.mjs';
import { openBrowser, openLab, pluginState, waitForKernel } from '../support/browser.mjs';
import { CODE_ENV, CONFIG, LARGE, SMALL, testNotebook } from '../support/fixtures.mjs';
import { freePort, saveBerthSettings, startLabServer } from '../support/lab-server.mjs';
import { EXTENSION_NAME, FRONT_ENDS, PREBUILT_EXTENSION } from '../support/paths.mjs';

const NOTEBOOK = 'prebuilt.ipynb';
const BERTH_PLUGINS = [
  'berth-labextension:settings',
  'berth-labextension:execution-picker',
  'berth-labextension:kernel-dialog',
  'berth-labextension:status',
  'berth-labextension:runs',
];
/**
 * The colours the extension's stylesheet (style/base.css) gives its picker and runs panel, each
 * from a JupyterLab theme variable: [element, CSS property, variable]. The runs panel's own
 * background is not among them: in the left sidebar JupyterLab's `#jp-left-stack > .lm-Widget`
 * rule sets it.
 */
const THEMED = [
  ['.jp-NotebookPanel-toolbar .berth-ExecutionPicker-codeEnv', 'color', '--jp-ui-font-color0'],
  ['.jp-NotebookPanel-toolbar .berth-ExecutionPicker-codeEnv', 'background-color', '--jp-input-background'],
  ['.jp-NotebookPanel-toolbar .berth-ExecutionPicker-codeEnv', 'border-top-color', '--jp-border-color1'],
  ['.jp-NotebookPanel-toolbar .berth-ExecutionPicker-label', 'color', '--jp-ui-font-color2'],
  ['#berth-runs', 'color', '--jp-ui-font-color1'],
  ['#berth-runs .berth-RunsPanel-header', 'border-bottom-color', '--jp-border-color2'],
  ['#berth-runs .berth-RunsPanel-header .berth-Button', 'background-color', '--jp-layout-color2'],
  ['#berth-runs .berth-RunsPanel-empty', 'color', '--jp-ui-font-color2'],
];
/** What build-labextension wrote: the remoteEntry file the server must announce. */
const BUILT = JSON.parse(readFileSync(join(PREBUILT_EXTENSION, 'package.json'), 'utf8')).jupyterlab._build;

let configDir;
let berth;
let lab;
let browser;
let page;

function step(label, fn) {
  return withFailureShot(browser, label, fn);
}

/**
 * The current theme (body's data-jp-theme-name and -light) and, for each THEMED entry, the
 * element's computed colour beside the colour its variable resolves to in that theme (read
 * from a probe element given the variable, so both are in the browser's rgb() form).
 */
function readTheme() {
  return page.evaluate((themed) => {
    const probe = document.body.appendChild(document.createElement('div'));
    const colours = themed.map(([selector, property, variable]) => {
      const element = document.querySelector(selector);
      probe.style.setProperty(property, `var(${variable})`);
      return {
        selector,
        property,
        variable,
        actual: element ? getComputedStyle(element).getPropertyValue(property) : `no element ${selector}`,
        expected: getComputedStyle(probe).getPropertyValue(property),
      };
    });
    probe.remove();
    return { name: document.body.dataset.jpThemeName, light: document.body.dataset.jpThemeLight, colours };
  }, THEMED);
}

/** Runs apputils:change-theme and waits until `theme` is applied and its splash screen is gone. */
async function changeTheme(theme, light) {
  await page.evaluate((name) => window.jupyterapp.commands.execute('apputils:change-theme', { theme: name }), theme);
  await page.waitForFunction(
    ([name, isLight]) =>
      document.body.dataset.jpThemeName === name &&
      document.body.dataset.jpThemeLight === String(isLight) &&
      !document.getElementById('jupyterlab-splash'),
    [theme, light],
    { timeout: 30_000 },
  );
}

/** Each THEMED colour is its variable's value in the current theme. */
function assertThemed(reading) {
  for (const { selector, property, variable, actual, expected } of reading.colours) {
    assert.equal(actual, expected, `${selector} ${property} should be var(${variable}) in ${reading.name}`);
  }
}

describe('the prebuilt extension, as shipped, in a federated JupyterLab', { timeout: 300_000 }, () => {
  before(
    async () => {
      configDir = writeConfigDir(CONFIG);
      const labPort = await freePort();
      berth = await startBerth({ configDir, allowOrigin: `http://127.0.0.1:${labPort}` });
      lab = await startLabServer({
        frontEnd: FRONT_ENDS.federated,
        port: labPort,
        notebooks: { [NOTEBOOK]: testNotebook() },
        gateway: { url: berth.url, token: berth.token },
        prebuilt: { [EXTENSION_NAME]: PREBUILT_EXTENSION },
      });
      // Accepted only if the server found the prebuilt extension's settings schema in its folder.
      const saved = await saveBerthSettings(lab, EXTENSION_NAME, berth);
      assert.equal(saved.status, 204, `saving the Berth settings: ${saved.status} ${saved.text}`);
      browser = await openBrowser('prebuilt');
      page = browser.page;
      await openLab(page, lab, `lab/tree/${NOTEBOOK}`);
    },
    { timeout: 240_000 },
  );

  after(
    async () => {
      await browser?.close();
      await stopServers('prebuilt', lab, berth);
      if (configDir) rmSync(configDir, { recursive: true, force: true });
    },
    { timeout: 120_000 },
  );

  it("is announced by the server from extra_labextensions_path, and its remoteEntry joins the page's shared modules", async () => {
    await step('federated', async () => {
      const announced = await page.evaluate(
        () => JSON.parse(document.getElementById('jupyter-config-data').textContent).federated_extensions,
      );
      assert.deepEqual(announced, [{ name: EXTENSION_NAME, load: BUILT.load, extension: BUILT.extension, style: BUILT.style }]);
      const federated = await page.evaluate(() => window.federatedExtensions);
      assert.deepEqual(federated, { joined: [EXTENSION_NAME], failed: [] });
      await browser.shot('loaded');
    });
  });

  it('registers and activates its plugins from the federated container (none is bundled in the host)', async () => {
    await step('plugins', async () => {
      const plugins = await pluginState(page, BERTH_PLUGINS);
      assert.deepEqual(
        plugins.registered.filter((id) => id.startsWith(`${EXTENSION_NAME}:`)),
        BERTH_PLUGINS,
      );
      assert.deepEqual(plugins.activated, BERTH_PLUGINS);
      // The host's build knows nothing of Berth: its plugins can only have come from the container.
      const scripts = readdirSync(FRONT_ENDS.federated).filter((file) => file.endsWith('.js'));
      assert.ok(scripts.includes('bundle.js'));
      assert.deepEqual(
        scripts.filter((file) => readFileSync(join(FRONT_ENDS.federated, file), 'utf8').includes(`${EXTENSION_NAME}:settings`)),
        [],
      );
    });
  });

  it("shows the gateway's pairs in the notebook toolbar's picker", async () => {
    await step('picker', async () => {
      await waitForKernel(page, 'python3');
      const picker = page.locator('.jp-NotebookPanel-toolbar .berth-ExecutionPicker');
      await picker.waitFor({ state: 'visible' });
      const codeEnvs = await picker
        .locator('.berth-ExecutionPicker-codeEnv option')
        .evaluateAll((options) => options.filter((option) => !option.disabled).map((option) => option.value));
      assert.deepEqual(codeEnvs, [CODE_ENV]);
      const execConfigs = await picker
        .locator('.berth-ExecutionPicker-execConfig option')
        .evaluateAll((options) => options.filter((option) => option.value !== '').map((option) => option.value));
      assert.deepEqual(execConfigs, [LARGE, SMALL]);
      await browser.shot('picker');
    });
  });

  it('reads its settings and lists runs from Berth in the runs panel', async () => {
    await step('runs', async () => {
      await page.evaluate(() => window.jupyterapp.commands.execute('berth:show-runs'));
      const panel = page.locator('#berth-runs');
      await panel.waitFor({ state: 'visible' });
      await panel.locator('.berth-RunsPanel-empty', { hasText: 'No runs yet' }).waitFor();
      await browser.shot('runs-panel');
    });
  });

  it('follows JupyterLab Dark and back to JupyterLab Light: picker and runs panel take the theme variables', async () => {
    await step('dark-theme', async () => {
      await page.locator('#berth-runs .berth-RunsPanel-empty').waitFor({ state: 'visible' });
      const light = await readTheme();
      assert.equal(light.name, 'JupyterLab Light');
      assert.equal(light.light, 'true');
      assertThemed(light);

      await changeTheme('JupyterLab Dark', false);
      const dark = await readTheme();
      assertThemed(dark);
      for (const [index, { selector, property, actual }] of dark.colours.entries()) {
        assert.notEqual(actual, light.colours[index].actual, `${selector} ${property} is the same in light and dark`);
      }
      await browser.shot('dark-theme');

      await changeTheme('JupyterLab Light', true);
      assert.deepEqual(await readTheme(), light);
    });
  });
});
