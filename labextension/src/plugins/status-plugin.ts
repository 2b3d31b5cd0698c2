import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import { KernelEventsFeed } from '../status/kernel-events-feed';
import { KernelStatusModel } from '../status/kernel-status-model';
import { IBerth } from '../tokens';
import { StatusItem } from '../widgets/status-item';

/**
 * The status bar item of the current notebook: "docker-small · pandas", "…: pulling image…",
 * "…: failed" with the reason in the tooltip. With Berth's URL and token set, it also follows
 * Berth's kernel events (first-start stages, failure reasons); without them it shows what the
 * Jupyter server and the kernel connection carry.
 */
export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: 'berth-labextension:status',
  description: "Shows the current notebook's exec config and code env, and a container kernel's start stage, in the status bar.",
  autoStart: true,
  requires: [IBerth, INotebookTracker, IStatusBar],
  activate: (app: JupyterFrontEnd, berth: IBerth, tracker: INotebookTracker, statusBar: IStatusBar) => {
    const knownKernelIds = (): ReadonlySet<string> => new Set(Array.from(app.serviceManager.kernels.running(), (kernel) => kernel.id));
    const model = new KernelStatusModel(berth.failures, knownKernelIds);
    const item = new StatusItem();
    model.changed.connect((_, view) => item.setView(view));

    let feed: KernelEventsFeed | null = null;
    const follow = (): void => {
      feed?.dispose();
      feed = berth.client ? new KernelEventsFeed(berth.client) : null;
      if (feed) {
        feed.changed.connect(() => model.update());
        void feed.run();
      }
      model.setLedger(feed?.ledger ?? null);
    };
    berth.connectionChanged.connect(follow);
    follow();

    const track = (panel: NotebookPanel | null): void => model.setContext(panel ? panel.sessionContext : null);
    tracker.currentChanged.connect((_, panel) => track(panel));
    track(tracker.currentWidget);

    statusBar.registerStatusItem('berth-labextension:status', {
      item,
      align: 'left',
      rank: 4,
      isActive: () => tracker.currentWidget !== null && app.shell.currentWidget === tracker.currentWidget,
    });
  },
};
