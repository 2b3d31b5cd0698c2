import type { ExecuteReply, IopubMessage } from './kernel-link';
import type { RunJobContext } from './run-job';
import { lostKernel } from './notebook-executor';
import { RunStop } from './run-stop';

/**
 * Executes one piece of code for a run and waits for its reply, unless the run is stopped first
 * (cancel, timeout, kernel death): then the kernel is interrupted, if it still lives, and the stop
 * is returned. Streams go to the run's log.
 */
export async function executeUntilStopped(
  context: RunJobContext,
  code: string,
  onIopub: (message: IopubMessage) => void = () => undefined,
): Promise<{ reply: ExecuteReply } | { stop: RunStop }> {
  const execution = context.link.execute(
    code,
    (message) => {
      if (message.header.msg_type === 'stream')
        context.output(message.content['name'] === 'stderr' ? 'stderr' : 'stdout', String(message.content['text'] ?? ''));
      onIopub(message);
    },
    { storeHistory: false },
  );
  execution.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<RunStop>((resolve) => {
    onAbort = () => resolve(RunStop.from(context.signal.reason));
    if (context.signal.aborted) onAbort();
    else context.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([
      execution.then(
        (reply) => ({ reply }),
        (error: unknown) => ({ stop: lostKernel(context.signal, error) }),
      ),
      stopped.then((stop) => ({ stop })),
    ]);
    if ('stop' in first && !first.stop.kernelGone) await context.interrupt().catch(() => undefined);
    return first;
  } finally {
    if (onAbort) context.signal.removeEventListener('abort', onAbort);
  }
}
