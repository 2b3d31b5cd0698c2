import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Messages at least this big have their buffers collected right after they are relayed. */
export const LARGE_MESSAGE_BYTES = 16 * 1024 * 1024;

type Collect = () => void;

let collect: Collect | null | undefined;

/**
 * Why: a relayed 50 MB output is a 50 MB external buffer that V8 frees only at its next full
 * GC, which its heuristics put off for seconds (external memory under its 64 MB trigger). A
 * second big cell then doubles the gateway's peak RSS. Asking for one collection after a large
 * message (rare, and cheap beside moving 16+ MB) keeps the peak at one message.
 */
export function releaseLargeBuffersSoon(): void {
  if (scheduled) return;
  scheduled = true;
  // A moment later, not at once: by then the reader loops hold the next message instead.
  setTimeout(() => {
    scheduled = false;
    collector()?.();
  }, RELEASE_DELAY_MS).unref();
}

let scheduled = false;
const RELEASE_DELAY_MS = 100;

function collector(): Collect | undefined {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect; // a new context sees the flag; ours was made before it
    } catch {
      collect = null; // not available: V8 collects in its own time
    }
  }
  return collect ?? undefined;
}
