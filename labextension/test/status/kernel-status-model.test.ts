import { KernelEventLedger } from '../../src/model/kernel-events';
import { StartFailures } from '../../src/notebook/start-failures';
import { KernelStatusModel } from '../../src/status/kernel-status-model';
import { statusView } from '../../src/status/status-view';
import { executionChoices } from '../../src/model/kernelspec-choices';
import { StatusItem } from '../../src/widgets/status-item';
import { FakeSessionContext } from '../support/fake-session';
import { EXAMPLE_SPECS } from '../support/specs';

const choices = executionChoices(EXAMPLE_SPECS);

describe('status view', () => {
  it('shows exec config and code env of a pair kernel, resources in the tooltip', () => {
    const view = statusView({ choices, kernelName: 'pandas--docker-small', displayStatus: 'idle' });
    expect(view).toMatchObject({ visible: true, tone: 'normal', text: 'docker-small · pandas' });
    expect(view.title).toContain('Exec config: docker-small (docker · 1 CPU · 2 GiB)');
  });

  it('shows the stage of a starting pair, and the pair asked for before the kernel exists', () => {
    expect(
      statusView({ choices, pendingDisplayName: 'Python (torch) · gpu', displayStatus: 'initializing', stage: 'pulling-image' }),
    ).toMatchObject({
      tone: 'progress',
      text: 'gpu · torch: pulling image…',
    });
    expect(statusView({ choices, kernelName: 'pandas--docker-small', displayStatus: 'restarting' }).text).toBe(
      'docker-small · pandas: restarting…',
    );
  });

  it('shows failures with the reason in the tooltip', () => {
    const view = statusView({
      choices,
      pendingDisplayName: 'Python (torch) · gpu',
      displayStatus: 'initializing',
      failure: 'No image for torch',
    });
    expect(view).toMatchObject({ tone: 'error', text: 'gpu · torch: failed' });
    expect(view.title).toContain('Failed: No image for torch');
  });

  it('stays hidden for kernels that are no pair', () => {
    expect(statusView({ choices, kernelName: 'python3', displayStatus: 'idle' }).visible).toBe(false);
  });
});

describe('KernelStatusModel', () => {
  let context: FakeSessionContext;
  let failures: StartFailures;
  let model: KernelStatusModel;
  let clock: number;

  beforeEach(() => {
    context = new FakeSessionContext(EXAMPLE_SPECS);
    failures = new StartFailures();
    clock = 1_000_000;
    model = new KernelStatusModel(
      failures,
      () => new Set(['someone-elses-kernel']),
      () => clock,
    );
    model.setContext(context);
  });

  afterEach(() => model.dispose());

  it('follows the kernel of the current notebook', () => {
    context.setKernel('pandas--docker-large');
    expect(model.view.text).toBe('docker-large · pandas');
    model.setContext(null);
    expect(model.view.visible).toBe(false);
  });

  it("shows berth_stage from the kernel's iopub status messages during a restart", () => {
    context.setKernel('pandas--docker-small');
    context.setStatus('restarting');
    context.iopubMessage.emit({
      header: { msg_type: 'status' },
      content: { execution_state: 'starting', berth_stage: 'creating-container' },
    });
    expect(model.view.text).toBe('docker-small · pandas: creating container…');
    context.iopubMessage.emit({ header: { msg_type: 'status' }, content: { execution_state: 'idle' } });
    context.setStatus('idle');
    expect(model.view).toMatchObject({ tone: 'normal', text: 'docker-small · pandas' });
  });

  it("takes a first start's stages from Berth's events, before the kernel id is known", () => {
    const ledger = new KernelEventLedger();
    model.setLedger(ledger);
    context.kernelDisplayName = 'Python (pandas) · docker-small';
    context.setStatus('initializing'); // the start request is pending: no kernel yet
    ledger.apply({ kernelId: 'someone-elses-kernel', type: 'stage', stage: 'launching', at: '' }, clock + 5);
    ledger.apply({ kernelId: 'new-kernel', type: 'stage', stage: 'launching', at: '' }, clock + 10);
    ledger.apply({ kernelId: 'new-kernel', type: 'stage', stage: 'pulling-image', at: '' }, clock + 20);
    model.update();
    expect(model.view.text).toBe('docker-small · pandas: pulling image…');
    ledger.apply({ kernelId: 'new-kernel', type: 'failed', message: 'Pulling berth/codeenv-pandas failed: not found', at: '' }, clock + 30);
    model.update();
    expect(model.view).toMatchObject({ tone: 'error', text: 'docker-small · pandas: failed' });
    expect(model.view.title).toContain('Pulling berth/codeenv-pandas failed: not found');
  });

  it("shows the picker's failed switch until a kernel starts", () => {
    context.setKernel('pandas--docker-small');
    failures.report(context, 'torch--gpu did not start: 404');
    expect(model.view.tone).toBe('error');
    failures.clear(context);
    expect(model.view).toMatchObject({ tone: 'normal', text: 'docker-small · pandas' });
  });

  it('draws into the status item', () => {
    const item = new StatusItem();
    model.changed.connect((_, view) => item.setView(view));
    context.setKernel('r-tables--docker-large');
    expect(item.node.textContent).toBe('docker-large · r-tables');
    expect(item.node.dataset['tone']).toBe('normal');
    expect(item.node.style.display).toBe('');
    context.setKernel('python3');
    expect(item.node.style.display).toBe('none');
  });
});
