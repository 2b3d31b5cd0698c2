import { readEventStream } from '../../gateway/src/common/event-stream';

/** One kernel event as /api/berth/kernels/…/events sends it. */
export interface KernelEventData {
  readonly type: string;
  readonly stage?: string;
  readonly kernelId: string;
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
