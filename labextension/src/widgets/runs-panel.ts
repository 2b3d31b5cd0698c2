import { Signal, type ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { configurationSteps } from '../model/connection-settings';
import { runRow, type RunRecord } from '../model/runs';
import type { RunsModel } from '../runs/runs-model';
import { h, replaceChildren } from './dom';

/**
 * The runs sidebar: the user's runs (status, exec config, duration), the selected run's live log
 * with cancel and "open output", and, before Berth is configured, how to configure it. It draws
 * a RunsModel and reports what the user asks for; the plugin does the JupyterLab parts.
 */
export class RunsPanel extends Widget {
  private readonly openOutput = new Signal<this, RunRecord>(this);
  private readonly settings = new Signal<this, void>(this);
  private readonly header = h('div', { className: 'berth-RunsPanel-header' });
  private readonly body = h('div', { className: 'berth-RunsPanel-body' });
  private readonly detail = h('div', { className: 'berth-RunsPanel-detail' });
  private readonly detailHeader = h('div', { className: 'berth-RunsPanel-detailHeader' });
  private readonly detailMessages = h('div', { className: 'berth-RunsPanel-messages' });
  /** Kept in place across renders (re-inserting it would lose the reader's scroll position). */
  private readonly logView = h('pre', { className: 'berth-RunsPanel-log', attrs: { 'aria-label': 'Run log' } });
  private followLog = true;

  constructor(
    readonly model: RunsModel,
    private readonly options: { origin: string; now?: () => number; refreshSeconds?: () => number } = { origin: '' },
  ) {
    super();
    this.addClass('berth-RunsPanel');
    this.detail.append(this.detailHeader, this.detailMessages, this.logView);
    this.node.append(this.header, this.body, this.detail);
    this.logView.addEventListener('scroll', () => {
      // Keep following the end of the log unless the user scrolled up to read.
      const { scrollTop, scrollHeight, clientHeight } = this.logView;
      this.followLog = scrollHeight - scrollTop - clientHeight < 8;
    });
    model.changed.connect(this.render, this);
    this.render();
  }

  /** The user asked to open a run's output notebook. */
  get openOutputRequested(): ISignal<this, RunRecord> {
    return this.openOutput;
  }

  /** The user asked for the settings (from the "not configured" help). */
  get settingsRequested(): ISignal<this, void> {
    return this.settings;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.model.changed.disconnect(this.render, this);
    super.dispose();
  }

  protected override onAfterShow(): void {
    // Poll only while someone looks; refresh at once on showing.
    this.model.startPolling(this.options.refreshSeconds?.() ?? 5);
    void this.model.refresh();
  }

  protected override onAfterHide(): void {
    this.model.stopPolling();
  }

  private render(): void {
    const state = this.model.state;
    replaceChildren(this.header, [
      h('span', { className: 'berth-RunsPanel-title', text: 'Berth runs' }),
      h('button', {
        className: 'berth-Button',
        text: 'Refresh',
        attrs: { type: 'button', 'aria-label': 'Refresh runs' },
        on: { click: () => void this.model.refresh() },
      }),
    ]);
    if (state.kind === 'unconfigured') {
      replaceChildren(this.body, [this.configureHelp(state.problem)]);
      this.detail.style.display = 'none';
      return;
    }
    const notice = state.kind === 'error' ? state.message : undefined;
    const rows = this.model.runs.map((run) => this.row(run));
    replaceChildren(this.body, [
      notice ? h('div', { className: 'berth-RunsPanel-error', text: notice, attrs: { role: 'alert' } }) : null,
      state.kind === 'loading' ? h('div', { className: 'berth-RunsPanel-empty', text: 'Loading runs…' }) : null,
      state.kind === 'ready' && rows.length === 0
        ? h('div', { className: 'berth-RunsPanel-empty', text: 'No runs yet. Start one with "Run Notebook as Batch Job…".' })
        : null,
      rows.length > 0
        ? h('table', { className: 'berth-RunsPanel-list' }, [
            h('thead', {}, [
              h(
                'tr',
                {},
                ['Run', 'Status', 'Exec config', 'Duration'].map((title) => h('th', { text: title })),
              ),
            ]),
            h('tbody', {}, rows),
          ])
        : null,
    ]);
    this.renderDetail();
  }

  private row(run: RunRecord): HTMLTableRowElement {
    const row = runRow(run, this.options.now?.() ?? Date.now());
    const selected = run.id === this.model.selectedId;
    return h(
      'tr',
      {
        className: `berth-RunsPanel-row${selected ? ' berth-mod-selected' : ''}`,
        title: row.title,
        attrs: { 'data-run-id': run.id, tabindex: '0', 'aria-selected': selected ? 'true' : 'false' },
        on: {
          click: () => void this.model.select(selected ? undefined : run.id),
          keydown: (event) => {
            if (event.key === 'Enter') void this.model.select(selected ? undefined : run.id);
          },
        },
      },
      [
        h('td', { className: 'berth-RunsPanel-name', text: row.name }),
        h('td', {}, [h('span', { className: 'berth-RunStatus', text: row.status, attrs: { 'data-status': row.status } })]),
        h('td', { text: row.where }),
        h('td', { className: 'berth-RunsPanel-duration', text: row.duration }),
      ],
    );
  }

  private renderDetail(): void {
    const run = this.model.selectedRun;
    this.detail.style.display = run ? '' : 'none';
    if (!run) return;
    const row = runRow(run, this.options.now?.() ?? Date.now());
    replaceChildren(this.detailHeader, [
      h('span', { className: 'berth-RunsPanel-detailTitle', text: `${run.name} · ${run.id}` }),
      row.canCancel
        ? h('button', {
            className: 'berth-Button',
            text: 'Cancel run',
            attrs: { type: 'button' },
            on: { click: () => void this.model.cancel(run.id) },
          })
        : null,
      row.mayHaveOutput
        ? h('button', {
            className: 'berth-Button',
            text: 'Open output',
            attrs: { type: 'button' },
            on: { click: () => this.openOutput.emit(run) },
          })
        : null,
      h('button', {
        className: 'berth-Button',
        text: 'Close',
        attrs: { type: 'button', 'aria-label': 'Close log' },
        on: { click: () => void this.model.select(undefined) },
      }),
    ]);
    replaceChildren(this.detailMessages, [
      run.failure ? h('div', { className: 'berth-RunsPanel-error', text: run.failure.message }) : null,
      this.model.message ? h('div', { className: 'berth-RunsPanel-error', text: this.model.message, attrs: { role: 'alert' } }) : null,
    ]);
    if (this.logView.textContent !== this.model.log) {
      this.logView.textContent = this.model.log;
      if (this.followLog) this.logView.scrollTop = this.logView.scrollHeight;
    }
  }

  private configureHelp(problem: string): HTMLElement {
    return h('div', { className: 'berth-RunsPanel-configure' }, [
      h('p', { text: `${problem} The runs panel talks to Berth's own API, so it needs:` }),
      h(
        'ol',
        {},
        configurationSteps(this.options.origin).map((step) => h('li', { text: step })),
      ),
      h('button', {
        className: 'berth-Button',
        text: 'Open Berth settings',
        attrs: { type: 'button' },
        on: { click: () => this.settings.emit() },
      }),
    ]);
  }
}
