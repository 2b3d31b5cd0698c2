import { ExecutionSession } from '../../src/notebook/execution-session';
import { StartFailures } from '../../src/notebook/start-failures';
import { ExecutionPicker } from '../../src/widgets/execution-picker';
import { FakeMetadata, FakeSessionContext } from '../support/fake-session';
import { EXAMPLE_SPECS } from '../support/specs';

describe('ExecutionSession: picker ↔ session ↔ notebook metadata', () => {
  let context: FakeSessionContext;
  let metadata: FakeMetadata;
  let picker: ExecutionPicker;
  let failures: StartFailures;
  let session: ExecutionSession;
  const execSelect = () => picker.node.querySelector<HTMLSelectElement>('.berth-ExecutionPicker-execConfig')!;

  beforeEach(() => {
    context = new FakeSessionContext(EXAMPLE_SPECS);
    metadata = new FakeMetadata();
    picker = new ExecutionPicker();
    failures = new StartFailures();
    session = new ExecutionSession(context, () => metadata, picker, failures);
  });

  afterEach(() => {
    session.dispose();
    picker.dispose();
  });

  it('switches the kernel to <code-env>--<exec-config> and records the choice in metadata.berth', async () => {
    context.setKernel('pandas--docker-small');
    execSelect().value = 'docker-large';
    execSelect().dispatchEvent(new Event('change'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(context.requests).toEqual(['pandas--docker-large']);
    expect(metadata.values['berth']).toEqual({ codeEnv: 'pandas', execConfig: 'docker-large' });
    expect(picker.selection).toEqual({ codeEnv: 'pandas', execConfig: 'docker-large' });
  });

  it('records a pair chosen elsewhere (JupyterLab kernel dialog, restored session), keeping other keys', () => {
    metadata.values['berth'] = { note: 'kept' };
    context.setKernel('r-tables--docker-large');
    expect(metadata.values['berth']).toEqual({ note: 'kept', codeEnv: 'r-tables', execConfig: 'docker-large' });
    expect(picker.selection).toEqual({ codeEnv: 'r-tables', execConfig: 'docker-large' });
    const writes = metadata.writes;
    context.setKernel('r-tables--docker-large'); // same pair again: the notebook stays clean
    expect(metadata.writes).toBe(writes);
  });

  it('shows no pair for a plain kernel and leaves the metadata alone', () => {
    context.setKernel('python3');
    expect(picker.selection).toEqual({});
    expect(metadata.writes).toBe(0);
  });

  it('keeps why a switch failed for the status bar, and shows the kernel that still runs', async () => {
    context.setKernel('pandas--docker-small');
    context.failNext = 'Error attempting to connect to Gateway server';
    expect(await session.switchTo(session.choices.pairs.find((pair) => pair.name === 'torch--gpu')!)).toBe(false);
    expect(failures.get(context)).toBe('torch--gpu did not start: Error attempting to connect to Gateway server');
    expect(picker.selection).toEqual({ codeEnv: 'pandas', execConfig: 'docker-small' });
    expect(metadata.values['berth']).toEqual({ codeEnv: 'pandas', execConfig: 'docker-small' });
    // The next successful start clears it.
    expect(await session.switchTo(session.choices.pairs.find((pair) => pair.name === 'pandas--docker-large')!)).toBe(true);
    expect(failures.get(context)).toBeUndefined();
  });

  it('does not restart a kernel that already is the pair', async () => {
    context.setKernel('pandas--docker-small');
    await session.switchTo(session.choices.pairs.find((pair) => pair.name === 'pandas--docker-small')!);
    expect(context.requests).toEqual([]);
  });

  it('hides the picker where the kernelspecs have no pairs, and follows new kernelspecs', () => {
    context.setSpecs({ kernelspecs: { python3: EXAMPLE_SPECS.kernelspecs['python3'] } });
    expect(picker.isHidden).toBe(true);
    context.setSpecs(EXAMPLE_SPECS);
    expect(picker.isHidden).toBe(false);
  });
});
