import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { NotFoundError } from '../common/errors';

/**
 * A run's files in the gateway's data directory: the inputs it was submitted with (kept so a
 * queued run survives a gateway restart), its artifacts (output notebook, declared outputs, model
 * files) and its log. Nothing here is shared with the kernel: files travel through the kernel.
 */
export class RunFiles {
  readonly dir: string;

  constructor(
    runsDir: string,
    readonly runId: string,
  ) {
    this.dir = join(runsDir, runId);
  }

  get logPath(): string {
    return join(this.dir, 'log.ndjson');
  }

  saveInput(path: string, bytes: Buffer): void {
    writeAtomic(this.inside('inputs', path), bytes);
  }

  readInput(path: string): Buffer {
    return readFileSync(this.inside('inputs', path));
  }

  /** Writes an artifact (atomically: a reader never sees half a notebook). */
  saveArtifact(path: string, bytes: Buffer | string): void {
    writeAtomic(this.inside('artifacts', path), bytes);
  }

  /** The artifact's absolute path; 404 when there is none by that name. */
  artifactPath(path: string): string {
    const full = this.inside('artifacts', path);
    let isFile = false;
    try {
      isFile = statSync(full).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) throw new NotFoundError(`Run ${this.runId} has no artifact "${path}". GET …/runs/${this.runId}/artifacts lists them.`);
    return full;
  }

  /** Every artifact, with its size, sorted by path. */
  artifacts(): { path: string; bytes: number }[] {
    const root = join(this.dir, 'artifacts');
    const found: { path: string; bytes: number }[] = [];
    const walk = (folder: string): void => {
      let entries;
      try {
        entries = readdirSync(folder, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(folder, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && !entry.name.endsWith('.partial'))
          found.push({ path: relative(root, full).split(sep).join('/'), bytes: statSync(full).size });
      }
    };
    walk(root);
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** A path under one of the run's folders; never outside it, whatever the name says. */
  private inside(folder: 'inputs' | 'artifacts', path: string): string {
    const root = join(this.dir, folder);
    const full = resolve(root, path);
    if (full !== root && !full.startsWith(root + sep))
      throw new NotFoundError(`"${path}" is not a path inside run ${this.runId}'s ${folder}.`);
    return full;
  }
}

function writeAtomic(path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  writeFileSync(partial, bytes);
  renameSync(partial, path);
}
