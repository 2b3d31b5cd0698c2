import type { ImageEvent, ImageEventSink } from '../images/image-jobs';

/**
 * Draws image-build events: results on stdout, progress on stderr. On a terminal the current
 * step is one line redrawn in place (a bar, step i/N and the latest log line); otherwise every
 * log line is printed as "[label] step i/N: line", so CI logs and pipes keep the whole build log.
 */

const BAR_WIDTH = 20;

function bar(step: number, total: number): string {
  const filled = total > 0 ? Math.round((step / total) * BAR_WIDTH) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

function describeBuilt(event: Extract<ImageEvent, { type: 'built' }>): string {
  return `${event.label}: ${event.ref} ${event.skipped ? 'skipped (up to date)' : `built in ${(event.ms / 1000).toFixed(1)} s`}`;
}

export interface ProgressPrinter {
  readonly onEvent: ImageEventSink;
  /** Clears the redrawn line (call before printing an error). */
  readonly finish: () => void;
}

export function buildProgressPrinter(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): ProgressPrinter {
  const live = stderr.isTTY === true;
  let drawn = false;
  const clear = (): void => {
    if (drawn) stderr.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = (text: string): void => {
    const width = Math.max(20, (stderr.columns ?? 100) - 1);
    stderr.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    drawn = true;
  };
  const onEvent: ImageEventSink = (event) => {
    switch (event.type) {
      case 'image':
        clear();
        stderr.write(`[image ${event.index}/${event.total}] ${event.label} on ${event.parent} (daemon ${event.daemon})\n`);
        break;
      case 'step': {
        const where = event.total > 0 ? `step ${event.step}/${event.total}` : 'starting';
        if (live) draw(`[${event.label}] ${bar(event.step, event.total)} ${where}: ${event.line.trim()}`);
        else stderr.write(`[${event.label}] ${where}: ${event.line}\n`);
        break;
      }
      case 'built':
        clear();
        stdout.write(`${describeBuilt(event)}\n`);
        break;
      case 'push':
        if (live) draw(`[${event.label}] push: ${event.line.trim()}`);
        else stderr.write(`[${event.label}] push: ${event.line}\n`);
        break;
      case 'pushed':
        clear();
        stdout.write(`${event.label}: pushed ${event.ref}${event.digest === undefined ? '' : ` (${event.digest})`}\n`);
        break;
      case 'done':
        clear();
        stdout.write(`${event.built} built, ${event.skipped} skipped (up to date)${event.pushed > 0 ? `, ${event.pushed} pushed` : ''}\n`);
        break;
    }
  };
  return { onEvent, finish: clear };
}
