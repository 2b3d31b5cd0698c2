import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { executionPickerPlugin } from './plugins/execution-picker-plugin';
import { kernelDialogPlugin } from './plugins/kernel-dialog-plugin';
import { runsPlugin } from './plugins/runs-plugin';
import { settingsPlugin } from './plugins/settings-plugin';
import { statusPlugin } from './plugins/status-plugin';

/** Berth's JupyterLab plugins; each can be disabled on its own (jupyter labextension disable <id>). */
const plugins: JupyterFrontEndPlugin<unknown>[] = [settingsPlugin, executionPickerPlugin, kernelDialogPlugin, statusPlugin, runsPlugin];

export default plugins;
export { IBerth, CommandIDs } from './tokens';
