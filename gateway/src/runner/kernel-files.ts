import type { IopubMessage, KernelLink } from './kernel-link';

export type KernelLanguage = 'python' | 'r';

/** Base64 text per request: big enough to move megabytes quickly, small enough for any iopub buffer. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const DEFAULT_ANSWER_TIMEOUT_MS = 120_000;

/** Strings embedded in kernel code: a JSON string literal is also a valid Python and R string literal. */
const literal = (value: string): string => JSON.stringify(value);

/**
 * Files in and out of a run's working directory, through the kernel itself: the gateway sends
 * code that writes (or prints) base64 chunks. It needs nothing but the kernel, so it works the same
 * for a local process, a container on a remote daemon and a pod, with no shared filesystem, and no
 * file ever passes through the container's configuration.
 */
export class KernelFiles {
  constructor(
    private readonly link: KernelLink,
    readonly language: KernelLanguage,
    /** The run's signal: a cancel or timeout also ends a transfer that waits on the kernel. */
    private readonly signal?: AbortSignal,
    /** A kernel that does not answer the gateway's own code within this long fails the step, never hangs it. */
    private readonly answerTimeoutMs = DEFAULT_ANSWER_TIMEOUT_MS,
  ) {}

  /**
   * Moves the kernel into the run's working directory: `cwd` if given (it must exist), else a
   * fresh directory in the kernel's temp dir. Resolves with its absolute path.
   */
  async enterWorkdir(cwd: string | undefined, runId: string): Promise<string> {
    const code =
      this.language === 'python'
        ? `def _berth_enter(cwd):
    import os, tempfile
    if cwd is None:
        cwd = tempfile.mkdtemp(prefix=${literal(`berth-run-${runId.slice(0, 8)}-`)})
    os.chdir(cwd)
    print(os.getcwd(), end="")
_berth_enter(${cwd === undefined ? 'None' : literal(cwd)})
del _berth_enter`
        : `local({
  cwd <- ${cwd === undefined ? 'NULL' : literal(cwd)}
  if (is.null(cwd)) { cwd <- tempfile(${literal(`berth-run-${runId.slice(0, 8)}-`)}); dir.create(cwd, recursive = TRUE) }
  setwd(cwd)
  cat(normalizePath(getwd()))
})`;
    return this.run(code, `enter the working directory ${cwd ?? '(a new one)'}`);
  }

  /** Writes `bytes` to `path` (relative to the working directory), creating parent directories. */
  async put(path: string, bytes: Buffer): Promise<void> {
    for (let offset = 0; offset === 0 || offset < bytes.length; offset += CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, offset + CHUNK_BYTES).toString('base64');
      const append = offset > 0;
      const code =
        this.language === 'python'
          ? `def _berth_put(path, data, append):
    import base64, os
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "ab" if append else "wb") as f:
        f.write(base64.b64decode(data))
_berth_put(${literal(path)}, ${literal(chunk)}, ${append ? 'True' : 'False'})
del _berth_put`
          : `local({
  path <- ${literal(path)}
  dir.create(dirname(path), recursive = TRUE, showWarnings = FALSE)
  con <- file(path, ${append ? '"ab"' : '"wb"'})
  writeBin(jsonlite::base64_dec(${literal(chunk)}), con)
  close(con)
})`;
      await this.run(code, `write ${path}`);
      if (bytes.length === 0) break;
    }
  }

  /** Files matching the glob patterns (relative to the working directory), sorted, without duplicates. */
  async list(patterns: readonly string[]): Promise<string[]> {
    if (patterns.length === 0) return [];
    const json = literal(JSON.stringify(patterns));
    const code =
      this.language === 'python'
        ? `def _berth_list(patterns):
    import glob, json, os
    found = set()
    for pattern in json.loads(patterns):
        found.update(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
    print(json.dumps(sorted(os.path.relpath(p) for p in found)), end="")
_berth_list(${json})
del _berth_list`
        : `local({
  found <- unique(unlist(lapply(jsonlite::fromJSON(${json}), Sys.glob)))
  found <- sort(found[!dir.exists(found)])
  cat(jsonlite::toJSON(as.character(found)))
})`;
    return JSON.parse(await this.run(code, 'list the output files')) as string[];
  }

  /** Reads a file (relative to the working directory) back from the kernel. */
  async get(path: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let offset = 0; ; offset += CHUNK_BYTES) {
      const code =
        this.language === 'python'
          ? `def _berth_get(path, offset, size):
    import base64
    with open(path, "rb") as f:
        f.seek(offset)
        print(base64.b64encode(f.read(size)).decode("ascii"), end="")
_berth_get(${literal(path)}, ${offset}, ${CHUNK_BYTES})
del _berth_get`
          : `local({
  con <- file(${literal(path)}, "rb")
  seek(con, ${offset})
  cat(jsonlite::base64_enc(readBin(con, "raw", n = ${CHUNK_BYTES})))
  close(con)
})`;
      const chunk = Buffer.from(await this.run(code, `read ${path}`), 'base64');
      parts.push(chunk);
      if (chunk.length < CHUNK_BYTES) break;
    }
    return Buffer.concat(parts);
  }

  /** Removes the working directory the run made (never one the caller named), leaving it first. */
  async removeWorkdir(path: string): Promise<void> {
    const code =
      this.language === 'python'
        ? `def _berth_remove(path):
    import os, shutil, tempfile
    os.chdir(tempfile.gettempdir())
    shutil.rmtree(path, ignore_errors=True)
_berth_remove(${literal(path)})
del _berth_remove`
        : `local({ setwd(tempdir()); unlink(${literal(path)}, recursive = TRUE) })`;
    await this.run(code, `remove ${path}`);
  }

  /** Runs one piece of the gateway's own code; resolves with its stdout, rejects with the kernel's error. */
  private async run(code: string, what: string): Promise<string> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const execution = this.link.execute(
      code,
      (message: IopubMessage) => {
        if (message.header.msg_type !== 'stream') return;
        (message.content['name'] === 'stderr' ? stderr : stdout).push(String(message.content['text'] ?? ''));
      },
      { storeHistory: false },
    );
    execution.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Could not ${what} in the kernel: it did not answer within ${this.answerTimeoutMs / 1000} s.`)),
        this.answerTimeoutMs,
      );
      onAbort = () => reject(this.signal!.reason);
      if (this.signal?.aborted) onAbort();
      else this.signal?.addEventListener('abort', onAbort, { once: true });
    });
    stopped.catch(() => undefined);
    const reply = await Promise.race([execution, stopped]).finally(() => {
      clearTimeout(timer);
      if (onAbort) this.signal?.removeEventListener('abort', onAbort);
    });
    if (reply.status !== 'ok') {
      const detail = [reply.ename, reply.evalue].filter(Boolean).join(': ') || stderr.join('').trim() || reply.status;
      throw new Error(`Could not ${what} in the kernel: ${detail}`);
    }
    return stdout.join('');
  }
}
