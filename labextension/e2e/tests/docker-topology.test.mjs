// The real topology, in a real browser: Chromium → JupyterLab 4.5 (this package's plugins
// bundled, e2e/app) served by Debian's jupyter_server 1.23 with --gateway-url → `berth serve`
// with two Docker exec configs (host network) and a code env whose image `berth images
// build-code-env` built. The extension's settings (gateway URL, token) are set through
// JupyterLab's settings API, as the Settings Editor saves them, and Berth allows the page's
// origin. The steps run in order on one page; each saves a screenshot.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { stopServers, withFailureShot } from '../support/artifacts.mjs';
import {
  buildBaseImage,
  buildCodeEnvImage,
  containersLabelled,
  inspectContainer,
  removeCodeEnvContainers,
  removeOtherCodeEnvImages,
  startBerth,
  writeConfigDir,
} from '../support/berth.mjs';
import { openBrowser, openLab, pluginState, waitForKernel } from '../support/browser.mjs';
import { BASE_IMAGE, CODE_ENV, CONFIG, LARGE, SMALL, SMALL_MEMORY_BYTES, pairName, testNotebook } from '../support/fixtures.mjs';
import { freePort, saveBerthSettings, startLabServer } from '../support/lab-server.mjs';
import { EXTENSION_NAME, FRONT_ENDS } from '../support/paths.mjs';

const NOTEBOOK = 'berth-e2e.ipynb';
const SMALL_PAIR = pairName(CODE_ENV, SMALL);
const BERTH_PLUGINS = [
  'berth-labextension:settings',
  'berth-labextension:execution-picker',
  'berth-labextension:kernel-dialog',
  'berth-labextension:status',
  'berth-labextension:runs',
];
/** The batch run's parameters as typed in the dialog (Python literals) and as Berth records them. */
const TYPED = { greeting: '"berth e2e"', repeat: '3' };
const RECORDED = { greeting: 'berth e2e', repeat: 3 };
const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed-out'];

let configDir;
let berth;
let lab;
let browser;
let page;
/** What the steps learn and later steps use. */
const seen = {};

/** The current notebook's cell `index` (0-based) in the DOM. */
function cellAt(index) {
  return page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').nth(index);
}

/** Runs `fn` as one step: a screenshot named `label` when it throws. */
function step(label, fn) {
  return withFailureShot(browser, label, fn);
}

describe(
  'JupyterLab with the bundled extension, through jupyter_server --gateway-url, on a real Berth with Docker exec configs',
  { timeout: 900_000 },
  () => {
    before(
      async () => {
        // What a crashed earlier run may have left: this code env's kernel containers.
        await removeCodeEnvContainers(CODE_ENV);
        // The admin's steps: the base image, then the code env's image for each exec config
        // (content-addressed: a warm run only inspects them).
        await buildBaseImage(BASE_IMAGE);
        configDir = writeConfigDir(CONFIG);
        const refs = [await buildCodeEnvImage(configDir, CODE_ENV, SMALL), await buildCodeEnvImage(configDir, CODE_ENV, LARGE)];
        await removeOtherCodeEnvImages(CODE_ENV, refs);

        const labPort = await freePort();
        const labOrigin = `http://127.0.0.1:${labPort}`;
        berth = await startBerth({ configDir, allowOrigin: labOrigin });
        lab = await startLabServer({
          frontEnd: FRONT_ENDS.app,
          port: labPort,
          notebooks: { [NOTEBOOK]: testNotebook() },
          gateway: { url: berth.url, token: berth.token },
        });
        // The extension's settings, saved as the Settings Editor saves them (validated by the server against schema/settings.json).
        const saved = await saveBerthSettings(lab, EXTENSION_NAME, berth, { refreshSeconds: 1 });
        assert.equal(saved.status, 204, `saving the Berth settings: ${saved.status} ${saved.text}`);

        browser = await openBrowser('docker');
        page = browser.page;
        await openLab(page, lab, `lab/tree/${NOTEBOOK}`);
      },
      { timeout: 900_000 },
    );

    after(
      async () => {
        await browser?.close();
        await stopServers('docker', lab, berth);
        // Berth removes its containers when it stops; this catches any it could not.
        await removeCodeEnvContainers(CODE_ENV);
        if (configDir) rmSync(configDir, { recursive: true, force: true });
      },
      { timeout: 120_000 },
    );

    it("activates Berth's plugins, and the toolbar picker lists the gateway's code env and exec configs with their resources", async () => {
      await step('picker', async () => {
        const plugins = await pluginState(page, BERTH_PLUGINS);
        assert.deepEqual(plugins.activated, BERTH_PLUGINS);
        // The notebook opens on its own kernel (python3, the gateway's local exec config).
        await waitForKernel(page, 'python3');
        const picker = page.locator('.jp-NotebookPanel-toolbar .berth-ExecutionPicker');
        await picker.waitFor({ state: 'visible' });
        const codeEnvs = await picker
          .locator('.berth-ExecutionPicker-codeEnv option')
          .evaluateAll((options) => options.filter((option) => !option.disabled).map((option) => option.value));
        assert.deepEqual(codeEnvs, [CODE_ENV]);
        const execConfigs = await picker
          .locator('.berth-ExecutionPicker-execConfig option')
          .evaluateAll((options) => options.filter((option) => option.value !== '').map((option) => option.textContent));
        assert.deepEqual(execConfigs, [`${LARGE} — docker · 2 CPUs · 1 GiB`, `${SMALL} — docker · 1 CPU · 512 MiB`]);
        await browser.shot('picker-before');
      });
    });

    it('picking the code env and the small exec config switches the kernel to that pair and records it in the notebook', async () => {
      await step('pick', async () => {
        const picker = page.locator('.jp-NotebookPanel-toolbar .berth-ExecutionPicker');
        await picker.locator('.berth-ExecutionPicker-codeEnv').selectOption(CODE_ENV);
        // The picker is disabled while the first switch runs; selectOption waits until it is enabled again.
        await picker.locator('.berth-ExecutionPicker-execConfig').selectOption(SMALL);
        seen.kernel = await waitForKernel(page, SMALL_PAIR);
        assert.equal(await picker.locator('.berth-ExecutionPicker-codeEnv').inputValue(), CODE_ENV);
        assert.equal(await picker.locator('.berth-ExecutionPicker-execConfig').inputValue(), SMALL);
        // The pair's kernel name is longer than python3's: the picker must stay in the toolbar's
        // one row, not wrap onto a second one drawn over the first cell.
        const toolbar = await page.locator('.jp-NotebookPanel-toolbar').boundingBox();
        const pickerBox = await picker.boundingBox();
        assert.ok(
          pickerBox.y >= toolbar.y && pickerBox.y + pickerBox.height <= toolbar.y + toolbar.height + 1,
          `the picker (${JSON.stringify(pickerBox)}) is outside the toolbar (${JSON.stringify(toolbar)})`,
        );
        const metadata = await page.evaluate(() => window.jupyterapp.shell.currentWidget.model.getMetadata('berth'));
        assert.equal(metadata?.codeEnv, CODE_ENV);
        assert.equal(metadata?.execConfig, SMALL);
        await browser.shot('picked-small');
      });
    });

    it("a cell runs in a container of the picked exec config: the cgroup memory limit is the exec config's, the container is the kernel's", async () => {
      await step('cell', async () => {
        const cell = cellAt(1);
        await cell.locator('.cm-content').click();
        await page.keyboard.press('Shift+Enter');
        const output = cell.locator('.jp-OutputArea-output', { hasText: 'container:' });
        await output.waitFor({ timeout: 60_000 });
        const text = await output.textContent();
        const limit = /memory limit: (\S+)/.exec(text)?.[1];
        const prefix = /container: ([0-9a-f]{12})/.exec(text)?.[1];
        assert.equal(limit, String(SMALL_MEMORY_BYTES), text);
        assert.ok(prefix, `no container id in the output: ${text}`);
        // The gateway's view of the same kernel: one container, labelled with it, with that limit.
        const containers = await containersLabelled('berth.io/kernel-id', seen.kernel.id);
        assert.equal(containers.length, 1, `containers of kernel ${seen.kernel.id}: ${containers.join(', ')}`);
        assert.ok(containers[0].startsWith(prefix), `the cell ran in ${prefix}, the kernel's container is ${containers[0]}`);
        const container = await inspectContainer(containers[0]);
        assert.equal(container.HostConfig.Memory, SMALL_MEMORY_BYTES);
        assert.equal(container.Config.Labels['berth.io/exec-config'], SMALL);
        await browser.shot('cell-in-container');
      });
    });

    it('the status bar shows the exec config and code env of the kernel', async () => {
      await step('status', async () => {
        const label = `${SMALL} · ${CODE_ENV}`;
        // While a kernel starts the item reads "<label>: <stage>…" (tone progress); once it is idle, just the label.
        const item = page.locator('.berth-StatusItem[data-tone="normal"]', { hasText: new RegExp(`^\\s*${label}\\s*$`) });
        await item.waitFor();
        assert.match(await item.getAttribute('title'), new RegExp(`Exec config: ${SMALL} \\(docker · 1 CPU · 512 MiB\\)`));
        assert.match(await item.getAttribute('title'), new RegExp(`Code env: ${CODE_ENV}`));
        await browser.shot('status-bar');
      });
    });

    it('"Run Notebook as Batch Job…" submits the notebook with changed parameters; the run succeeds in the runs panel', async () => {
      await step('batch', async () => {
        await page.locator('.lm-MenuBar-item', { hasText: /^Run$/ }).click();
        await page.locator('.lm-Menu-item', { hasText: 'Run Notebook as Batch Job…' }).click();
        const dialog = page.locator('.jp-Dialog');
        await dialog.locator('input[name=greeting]').waitFor();
        // Prefilled from the parameters cell, and placed where the notebook runs.
        assert.equal(await dialog.locator('input[name=greeting]').inputValue(), '"hello"');
        assert.equal(await dialog.locator('input[name=repeat]').inputValue(), '2');
        assert.equal(await dialog.locator('.berth-RunDialog-codeEnv').inputValue(), CODE_ENV);
        assert.equal(await dialog.locator('.berth-RunDialog-execConfig').inputValue(), SMALL);
        await dialog.locator('input[name=greeting]').fill(TYPED.greeting);
        await dialog.locator('input[name=repeat]').fill(TYPED.repeat);
        await browser.shot('run-dialog');
        await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();

        const panel = page.locator('#berth-runs');
        await panel.waitFor({ state: 'visible' });
        const row = panel.locator('tr[data-run-id]');
        await row.first().waitFor();
        assert.equal(await row.count(), 1);
        seen.runId = await row.first().getAttribute('data-run-id');
        const status = panel.locator(`tr[data-run-id="${seen.runId}"] .berth-RunStatus`);
        await panel
          .locator(`tr[data-run-id="${seen.runId}"] .berth-RunStatus:is(${FINAL_STATUSES.map((s) => `[data-status="${s}"]`).join(',')})`)
          .waitFor({ timeout: 180_000 });
        const log = await panel.locator('.berth-RunsPanel-log').textContent();
        assert.equal(await status.getAttribute('data-status'), 'succeeded', `run ${seen.runId} ended otherwise; its log:\n${log}`);
        await browser.shot('run-succeeded');

        // Berth's own record of the run: what the dialog sent, where it ran.
        const record = await (await berth.api(`api/berth/runs/${seen.runId}`)).json();
        assert.equal(record.status, 'succeeded');
        assert.deepEqual(record.parameters, RECORDED);
        assert.equal(record.codeEnv, CODE_ENV);
        assert.equal(record.execConfig, SMALL);
      });
    });

    it("the run's output notebook opens from the runs panel, with the injected parameters and their effect", async () => {
      await step('output', async () => {
        const panel = page.locator('#berth-runs');
        const row = panel.locator(`tr[data-run-id="${seen.runId}"]`);
        // The submitted run is the selected one: its log and buttons are shown.
        assert.equal(await row.getAttribute('aria-selected'), 'true');
        await panel.locator('.berth-RunsPanel-detail button', { hasText: 'Open output' }).click();
        const expectedPath = `berth-runs/berth-e2e-${seen.runId}.ipynb`;
        await page.waitForFunction(
          (path) => {
            const context = window.jupyterapp.shell.currentWidget?.context;
            return context?.path === path && context.isReady;
          },
          expectedPath,
          { timeout: 60_000 },
        );
        // The injected cell, right after the parameters cell, in the opened notebook's model …
        const cells = await page.evaluate(() => window.jupyterapp.shell.currentWidget.model.toJSON().cells);
        const injected = cells.find((cell) => (cell.metadata?.tags ?? []).includes('injected-parameters'));
        assert.ok(injected, `no injected-parameters cell among ${cells.length} cells`);
        assert.equal(cells.indexOf(injected), 1);
        const source = Array.isArray(injected.source) ? injected.source.join('') : injected.source;
        assert.match(source, /greeting = "berth e2e"/);
        assert.match(source, /repeat = 3/);
        // … and on screen: its source, and the greeting cell's output made from the parameters.
        await cellAt(1).locator('.cm-content', { hasText: 'greeting = "berth e2e"' }).waitFor();
        await cellAt(3).locator('.jp-OutputArea-output', { hasText: 'berth e2e berth e2e berth e2e' }).waitFor();
        // The batch run ran on the small exec config too.
        await cellAt(2)
          .locator('.jp-OutputArea-output', { hasText: `memory limit: ${SMALL_MEMORY_BYTES}` })
          .waitFor();
        await browser.shot('output-notebook');
      });
    });
  },
);
