import { readEventStream } from '../../gateway/src/common/event-stream';
import { EventLog } from './event-log';

/** One kernel event as /api/berth/kernels/…/events sends it. */
export interface KernelEventData {
  readonly type: string;
  readonly stage?: string;
  readonly kernelId: string;
  /** The kernelspec the kernel runs. */
  readonly name: string;
  readonly message?: string;
}

/**
 * Reads a kernel-events response (Server-Sent Events) until `until` holds or the stream ends,
 * then aborts it through `controller` (the request's).
 */
export async function collectKernelEvents(
  response: Response,
  controller: AbortController,
  until: (events: KernelEventData[]) => boolean,
): Promise<KernelEventData[]> {
  const events: KernelEventData[] = [];
  try {
    for await (const data of readEventStream(response.body as unknown as AsyncIterable<Uint8Array>)) {
      events.push(JSON.parse(data) as KernelEventData);
      if (until(events)) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

/** Every kernel's events from now on, read in the background; stop() ends the stream. */
export interface KernelEventFollower {
  readonly log: EventLog<KernelEventData>;
  stop(): Promise<void>;
}

/**
 * Follows /api/berth/kernels/events (every kernel the caller may see, live) through `api` (a test
 * gateway's authenticated fetch). Resolves once the gateway listens: no later event is missed.
 */
export async function followKernelEvents(api: (path: string, init?: RequestInit) => Promise<Response>): Promise<KernelEventFollower> {
  const controller = new AbortController();
  const response = await api('api/berth/kernels/events', { signal: controller.signal });
  if (response.status !== 200) throw new Error(`kernel events: ${response.status} ${await response.text()}`);
  const log = new EventLog<KernelEventData>();
  const reading = (async () => {
    try {
      for await (const data of readEventStream(response.body as unknown as AsyncIterable<Uint8Array>)) {
        log.push(JSON.parse(data) as KernelEventData);
      }
      log.end(new Error('the kernel event stream ended'));
    } catch (error) {
      log.end(controller.signal.aborted ? new Error('the kernel event stream was stopped') : (error as Error));
    }
  })();
  return {
    log,
    async stop() {
      controller.abort();
      await reading;
    },
  };
}
