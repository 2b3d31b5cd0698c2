import { execConfigOption, pairByDisplayName, pairByKernelName, type ExecutionChoices } from '../model/kernelspec-choices';
import { stageLabel } from '../model/kernel-events';
import { HIDDEN_STATUS, type StatusView } from '../widgets/status-item';

/**
 * The status bar text from what is known about the current notebook's kernel: which pair it is
 * (or is starting), the stage of a container start, and why a start failed or the kernel died.
 */

export interface StatusInputs {
  readonly choices: ExecutionChoices;
  /** The session's kernel, once it has one. */
  readonly kernelName?: string;
  /** While a start is pending: the display name of the kernel asked for (sessionContext.kernelDisplayName). */
  readonly pendingDisplayName?: string;
  /** sessionContext.kernelDisplayStatus: idle, busy, starting, initializing, restarting, dead, … */
  readonly displayStatus: string;
  /** The latest start stage (berth_stage on the kernel's iopub, or Berth's kernel events). */
  readonly stage?: string;
  /** Why the last start failed or the kernel died. */
  readonly failure?: string;
}

const STARTING = new Set(['starting', 'initializing', 'restarting', 'autorestarting']);

export function statusView(inputs: StatusInputs): StatusView {
  const pending =
    STARTING.has(inputs.displayStatus) && inputs.pendingDisplayName
      ? pairByDisplayName(inputs.choices, inputs.pendingDisplayName)
      : undefined;
  const pair = pending ?? pairByKernelName(inputs.choices, inputs.kernelName);
  if (!pair && !inputs.failure) return HIDDEN_STATUS;
  const label = pair ? `${pair.execConfig} · ${pair.codeEnv}` : (inputs.kernelName ?? 'kernel');
  const summary = pair ? execConfigOption(inputs.choices, pair.execConfig)?.summary : undefined;
  const about = pair
    ? [`Code env: ${pair.codeEnv}`, `Exec config: ${pair.execConfig}${summary ? ` (${summary})` : ''}`, `Kernelspec: ${pair.name}`]
    : [];
  if (inputs.failure) {
    return { visible: true, tone: 'error', text: `${label}: failed`, title: [...about, `Failed: ${inputs.failure}`].join('\n') };
  }
  if (STARTING.has(inputs.displayStatus) || inputs.stage) {
    const stage = inputs.stage ? stageLabel(inputs.stage) : inputs.displayStatus === 'restarting' ? 'restarting' : 'starting';
    return { visible: true, tone: 'progress', text: `${label}: ${stage}…`, title: [...about, `Kernel: ${stage}`].join('\n') };
  }
  if (inputs.displayStatus === 'dead') {
    return { visible: true, tone: 'error', text: `${label}: dead`, title: [...about, 'Kernel: dead'].join('\n') };
  }
  return { visible: true, tone: 'normal', text: label, title: [...about, `Kernel: ${inputs.displayStatus}`].join('\n') };
}
