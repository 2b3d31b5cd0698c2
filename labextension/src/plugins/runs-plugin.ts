import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { runsIcon } from '../icons';
import { executionChoices, NO_CHOICES, pairByKernelName } from '../model/kernelspec-choices';
import { METADATA_KEY, readNotebookChoice } from '../model/notebook-choice';
import { saveRunOutput } from '../runs/output-notebook';
import { notebookRunRequest } from '../runs/run-request';
import { errorText, RunsModel } from '../runs/runs-model';
import { CommandIDs, IBerth, PALETTE_CATEGORY } from '../tokens';
import { RunDialogBody } from '../widgets/run-dialog';
import { RunsPanel } from '../widgets/runs-panel';

/**
 * The runs panel in the left sidebar and "Run Notebook as Batch Job…". Both use Berth's own API
 * with the URL and token from the settings; Berth must allow this page's origin.
 */
export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'berth-labextension:runs',
  description: "Lists the user's Berth batch runs, follows their logs, and submits the current notebook as a run.",
  autoStart: true,
  requires: [IBerth, INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    berth: IBerth,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
  ) => {
    const model = new RunsModel();
    const connect = (): void => model.setClient(berth.client, berth.connection.ok ? undefined : berth.connection.problem);
    berth.connectionChanged.connect(connect);
    connect();

    const panel = new RunsPanel(model, { origin: window.location.origin, refreshSeconds: () => berth.settings.refreshSeconds });
    panel.id = 'berth-runs';
    panel.title.icon = runsIcon;
    panel.title.caption = 'Berth runs';
    panel.settingsRequested.connect(() => void app.commands.execute(CommandIDs.openSettings));
    panel.openOutputRequested.connect(async (_, run) => {
      const client = berth.client;
      if (!client) return;
      try {
        const path = await saveRunOutput(client, app.serviceManager.contents, run);
        await app.commands.execute('docmanager:open', { path });
      } catch (error) {
        model.setMessage(`The output of ${run.id} could not be opened: ${errorText(error)}`);
      }
    });
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'berth-runs');

    app.commands.addCommand(CommandIDs.showRuns, {
      label: 'Show Berth Runs',
      execute: () => app.shell.activateById(panel.id),
    });
    app.commands.addCommand(CommandIDs.refreshRuns, {
      label: 'Refresh Berth Runs',
      isEnabled: () => berth.client !== null,
      execute: () => model.refresh(),
    });
    app.commands.addCommand(CommandIDs.runNotebook, {
      label: 'Run Notebook as Batch Job…',
      caption: 'Submit the current notebook to Berth as a batch run, with changed parameters',
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const notebookPanel = tracker.currentWidget;
        if (!notebookPanel?.model) return;
        const client = berth.client;
        if (!client) {
          app.shell.activateById(panel.id); // the panel explains what to configure
          return;
        }
        const notebook = notebookPanel.model.toJSON() as unknown as Record<string, unknown>;
        let specs;
        let execConfigs;
        let declared;
        try {
          [specs, execConfigs, declared] = await Promise.all([
            client.kernelspecs(),
            client.execConfigs(),
            client.notebookParameters(notebook),
          ]);
        } catch (error) {
          await showErrorMessage('Berth cannot prepare this run', errorText(error));
          return;
        }
        const { language, parameters } = declared;
        const choices = specs ? executionChoices(specs) : NO_CHOICES;
        const kernelPair = pairByKernelName(choices, notebookPanel.sessionContext.session?.kernel?.name);
        const stored = readNotebookChoice(notebookPanel.model.getMetadata(METADATA_KEY));
        const initial = stored ?? (kernelPair ? { codeEnv: kernelPair.codeEnv, execConfig: kernelPair.execConfig } : {});
        const notebookName = notebookPanel.context.path.split('/').pop() ?? 'notebook.ipynb';
        const body = new RunDialogBody({ notebookName, language, parameters, choices, execConfigs, initial });
        const result = await showDialog({
          title: 'Run Notebook as Batch Job',
          body,
          buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })],
        });
        if (!result.button.accept || !result.value) return;
        try {
          const run = await client.submitRun(notebookRunRequest(notebook, notebookName, result.value, language));
          model.upsert(run);
          app.shell.activateById(panel.id);
          void model.select(run.id);
        } catch (error) {
          await showErrorMessage('Berth did not accept the run', errorText(error));
        }
      },
    });
    for (const command of [CommandIDs.runNotebook, CommandIDs.showRuns, CommandIDs.refreshRuns]) {
      palette?.addItem({ command, category: PALETTE_CATEGORY });
    }
  },
};
