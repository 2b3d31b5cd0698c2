/**
 * Docker Engine's progress streams (build, push, pull) and its connection errors, read one way.
 */

/** One message of a progress stream: build output, push/pull status, or the daemon's error. */
export interface DockerStreamMessage {
  readonly id?: string;
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly ID?: string; readonly Digest?: string };
}

/**
 * Reads a newline-delimited JSON progress stream to its end, handing each message (or a line that
 * is not JSON, as text) to `onMessage`. Resolves with the error the daemon reported in the stream,
 * or undefined; rejects only when the stream itself fails.
 */
export function readProgressStream(
  stream: NodeJS.ReadableStream,
  onMessage: (message: DockerStreamMessage | string) => void,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let error: string | undefined;
    const handle = (raw: string): void => {
      if (raw.trim() === '') return;
      let message: DockerStreamMessage;
      try {
        message = JSON.parse(raw) as DockerStreamMessage;
      } catch {
        onMessage(raw);
        return;
      }
      if (message.error !== undefined || message.errorDetail?.message !== undefined) {
        error = message.errorDetail?.message ?? message.error;
        return;
      }
      onMessage(message);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) handle(part);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      handle(pending);
      resolve(error);
    });
  });
}

const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

/** The socket error code when `error` means the Docker daemon cannot be reached, else undefined. */
export function unreachableCode(error: unknown): string | undefined {
  const code = (error as { code?: string } | undefined)?.code;
  return code !== undefined && UNREACHABLE_CODES.has(code) ? code : undefined;
}
