import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookTracker, type INotebookModel, type NotebookPanel } from '@jupyterlab/notebook';
import { DisposableDelegate, type IDisposable } from '@lumino/disposable';
import { pairByKernelName } from '../model/kernelspec-choices';
import { ExecutionSession } from '../notebook/execution-session';
import { CommandIDs, IBerth, PALETTE_CATEGORY } from '../tokens';
import { ExecutionPicker } from '../widgets/execution-picker';
import { KernelChoiceBody } from '../widgets/kernel-choice-body';

/** The ExecutionSession of each open notebook, for the command that acts on the current one. */
const sessions = new WeakMap<NotebookPanel, ExecutionSession>();

/** Adds the picker to every notebook's toolbar, after JupyterLab's kernel name. */
class PickerExtension implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  constructor(private readonly berth: IBerth) {}

  createNew(panel: NotebookPanel): IDisposable {
    const picker = new ExecutionPicker({ compact: true });
    const session = new ExecutionSession(panel.sessionContext, () => panel.model, picker, this.berth.failures);
    sessions.set(panel, session);
    const names = Array.from(panel.toolbar.names());
    if (!panel.toolbar.insertAfter('kernelName', 'berthExecution', picker)) {
      panel.toolbar.insertItem(names.length, 'berthExecution', picker);
    }
    return new DisposableDelegate(() => {
      session.dispose();
      picker.dispose();
      sessions.delete(panel);
    });
  }
}

export const executionPickerPlugin: JupyterFrontEndPlugin<void> = {
  id: 'berth-labextension:execution-picker',
  description: 'Picks the code env and exec config of a notebook (its Berth kernelspec) from the notebook toolbar.',
  autoStart: true,
  requires: [IBerth, INotebookTracker],
  optional: [ICommandPalette],
  // The Kernel menu entry comes from schema/execution-picker.json (jupyter.lab.menus).
  activate: (app: JupyterFrontEnd, berth: IBerth, tracker: INotebookTracker, palette: ICommandPalette | null) => {
    app.docRegistry.addWidgetExtension('Notebook', new PickerExtension(berth));

    app.commands.addCommand(CommandIDs.selectExecution, {
      label: 'Select Code Env and Exec Config…',
      caption: 'Choose what runs (code env) and where (exec config) for the current notebook',
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const panel = tracker.currentWidget;
        const session = panel ? sessions.get(panel) : undefined;
        if (!panel || !session) return;
        const specs = panel.sessionContext.specsManager.specs;
        const choices = session.choices;
        if (!specs || choices.pairs.length === 0) {
          await showDialog({
            title: 'No Berth kernels',
            body: 'The kernelspecs of this server have no code env × exec config pairs. Is JupyterLab connected to Berth (jupyter server --gateway-url), and may you use a container exec config?',
            buttons: [Dialog.okButton()],
          });
          return;
        }
        const current = session.currentPair;
        const body = new KernelChoiceBody(choices, specs, current ? { codeEnv: current.codeEnv, execConfig: current.execConfig } : {});
        const result = await showDialog({
          title: 'Code Env and Exec Config',
          body,
          buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Select' })],
        });
        if (!result.button.accept || !result.value) return;
        const choice = result.value;
        if (choice.kind === 'none') await panel.sessionContext.shutdown();
        else if (choice.kind === 'kernel') {
          const pair = pairByKernelName(choices, choice.name);
          if (pair) await session.switchTo(pair);
          else await panel.sessionContext.changeKernel({ name: choice.name });
        }
      },
    });
    palette?.addItem({ command: CommandIDs.selectExecution, category: PALETTE_CATEGORY });
  },
};
