import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { pack } from 'tar-stream';
import { BackendUnavailableError, GatewayError, NotFoundError } from '../common/errors';
import { baseLayers, RECIPE_LABEL } from './base-recipe';
import { contextEntries, type BuildInputs, type ContextEntry, type ImageTemplates } from './dockerfile';
import { IMAGE_LABELS, imageSpec, type ImageKind, type ImageSpec } from './image-spec';
import { BERTH_VERSION } from '../common/version';
import { readProgressStream, unreachableCode } from './docker-stream';
import { splitRef } from './image-names';
import { loadImageTemplates } from './image-templates';

/**
 * Builds Berth images through the Docker Engine API (dockerode). The build context is made in
 * process from the rendered inputs (no temp folder, no docker CLI); builds use the host network, so
 * apt inside a build reaches the same mirrors as the host. An image whose content-hash tag already
 * exists is not rebuilt.
 */

/** Cause: a Docker build step failed. Handled by: fixing the image spec (packages, scripts) and building again. */
export class ImageBuildError extends GatewayError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('image-build-failed', message, details === undefined ? {} : { details });
  }
}

export interface BuildProgress {
  /** "Step i/N" of the classic builder; 0 before the first step. */
  readonly step: number;
  readonly total: number;
  /** One line of build output (step headers included). */
  readonly line: string;
}

export interface BuildResult {
  readonly ref: string;
  readonly id: string;
  /** True when an image with the same spec hash already existed and nothing was built. */
  readonly skipped: boolean;
  readonly spec: ImageSpec;
  readonly ms: number;
}

export interface BuildOptions {
  /** More labels for the image (e.g. a test's own); Berth's labels win on conflict. */
  readonly labels?: Readonly<Record<string, string>>;
  /** More names for the image, e.g. "berth/base:latest". */
  readonly extraTags?: readonly string[];
  /** Build even when an image with the same spec hash exists. */
  readonly force?: boolean;
  /** Build without the daemon's layer cache (benchmarks, --force rebuilds that must redo every step). */
  readonly noCache?: boolean;
  readonly onProgress?: (progress: BuildProgress) => void;
}

/** The build context as a tar stream: fixed owner and mtime, so equal inputs give an equal context. */
export function contextTar(entries: readonly ContextEntry[]): Readable {
  const tar = pack();
  const mtime = new Date(0);
  for (const entry of entries) {
    if (entry.type === 'directory') tar.entry({ name: entry.path, type: 'directory', mode: entry.mode, mtime, uid: 0, gid: 0 });
    else tar.entry({ name: entry.path, type: 'file', mode: entry.mode, mtime, uid: 0, gid: 0, size: entry.content.length }, entry.content);
  }
  tar.finalize();
  return tar as unknown as Readable;
}

const quoted = (text: string): string => `"${text.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, ' ')}"`;

/**
 * The Dockerfile sent to the daemon: the hashed one plus one LABEL line with the image's labels.
 * (Labels passed as a build option become one LABEL step — a container commit — each.)
 */
export function withLabels(dockerfile: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${quoted(name)}=${quoted(labels[name]!)}`);
  return `${dockerfile.replace(/\n*$/, '\n')}LABEL ${pairs.join(' ')}\n`;
}

const STEP = /^Step (\d+)\/(\d+) :/;
const KEEP_LINES = 30;

export class ImageBuilder {
  private readonly templates: ImageTemplates;
  private readonly version: string;
  /** How the daemon is named in messages. */
  readonly daemon: string;

  constructor(
    private readonly docker: Dockerode,
    options: { templates?: ImageTemplates; berthVersion?: string; daemon?: string } = {},
  ) {
    this.templates = options.templates ?? loadImageTemplates();
    this.version = options.berthVersion ?? BERTH_VERSION;
    this.daemon = options.daemon ?? 'unix:///var/run/docker.sock';
  }

  /** Id and labels of `ref` on the daemon, or undefined when it has no such image. */
  async inspectImage(ref: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return { id: info.Id, labels: info.Config?.Labels ?? {} };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.unreachable(err);
    }
  }

  /**
   * Id and labels of `ref` when it is an image Berth built itself, not one built FROM a Berth image
   * (those inherit every label): its `berth.io/image-ref` label must name this very image.
   */
  async inspectOwnImage(ref: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    const image = await this.inspectImage(ref);
    const own = image?.labels[IMAGE_LABELS.ref];
    if (image === undefined || own === undefined) return undefined;
    return own === ref || (await this.inspectImage(own))?.id === image.id ? image : undefined;
  }

  private unreachable(err: unknown): Error {
    if (err instanceof GatewayError) return err;
    const code = unreachableCode(err);
    if (code !== undefined) {
      return new BackendUnavailableError(
        `Docker daemon ${this.daemon} is unreachable (${code}): start it (\`node scripts/ensure-docker.mjs\` on a test machine) or fix the address (the exec config's docker.daemons[].host, or --docker-host)`,
        { cause: err },
      );
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  /** The Python base image (base.Dockerfile) FROM `from` (default: the local OS image): the first layer of a plain recipe. */
  async buildBase(options: BuildOptions & { from?: string; repository?: string } = {}): Promise<BuildResult> {
    const recipe = {
      type: 'container-exec' as const,
      r: false,
      cuda: false,
      ...(options.from === undefined ? {} : { from: options.from }),
    };
    const layer = baseLayers(recipe)[0]!;
    const { inputs, parentImage, missingHint } = layer.render(this.templates, undefined);
    // The recipe label makes any base layer rebuildable by `build-code-env --all`, however it was first built.
    const labels = { ...(options.labels ?? {}), [RECIPE_LABEL]: JSON.stringify(layer.recipe) };
    return this.build('base', inputs, { ...options, labels, parentImage, missingHint });
  }

  /** Builds `inputs` on top of `parentImage` unless an image with the same spec hash exists. */
  async build(
    kind: ImageKind,
    inputs: BuildInputs,
    options: BuildOptions & { parentImage: string; codeEnvId?: string; repository?: string; missingHint?: string },
  ): Promise<BuildResult> {
    const t0 = Date.now();
    const parent = await this.inspectImage(options.parentImage);
    if (parent === undefined) {
      throw new NotFoundError(
        `image ${options.parentImage} not found on Docker daemon ${this.daemon}: ${options.missingHint ?? 'build or pull it first'}`,
        { details: { image: options.parentImage } },
      );
    }
    const spec = imageSpec({
      kind,
      inputs,
      parentImage: options.parentImage,
      parentImageId: parent.id,
      berthVersion: this.version,
      ...(options.codeEnvId === undefined ? {} : { codeEnvId: options.codeEnvId }),
      ...(options.repository === undefined ? {} : { repository: options.repository }),
      ...(options.labels === undefined ? {} : { extraLabels: options.labels }),
    });
    const existing = await this.inspectImage(spec.ref);
    if (existing !== undefined && existing.labels[IMAGE_LABELS.specHash] === spec.specHash && options.force !== true) {
      await this.tagAll(spec.ref, options.extraTags ?? []);
      return { ref: spec.ref, id: existing.id, skipped: true, spec, ms: Date.now() - t0 };
    }

    const stream = await this.docker
      .buildImage(contextTar(contextEntries({ ...inputs, dockerfile: withLabels(inputs.dockerfile, spec.labels) })), {
        t: spec.ref,
        buildargs: { ...inputs.buildArgs },
        networkmode: 'host',
        rm: true,
        forcerm: true,
        nocache: options.noCache === true,
      })
      .catch((err: unknown) => {
        throw this.unreachable(err);
      });
    await this.follow(stream, spec.ref, options.onProgress);
    const built = await this.inspectImage(spec.ref);
    if (built === undefined) throw new ImageBuildError(`the build of ${spec.ref} reported success but the image is not on ${this.daemon}`);
    await this.tagAll(spec.ref, options.extraTags ?? []);
    return { ref: spec.ref, id: built.id, skipped: false, spec, ms: Date.now() - t0 };
  }

  private async tagAll(ref: string, tags: readonly string[]): Promise<void> {
    for (const name of tags) await this.docker.getImage(ref).tag(splitRef(name));
  }

  /** Reads the build's progress to the end; rejects with the failing step and its last lines. */
  private async follow(stream: NodeJS.ReadableStream, ref: string, onProgress?: (progress: BuildProgress) => void): Promise<void> {
    let step = 0;
    let total = 0;
    let stepLine = '';
    let lines: string[] = [];
    const emit = (line: string): void => {
      const m = STEP.exec(line);
      if (m) {
        step = Number(m[1]);
        total = Number(m[2]);
        stepLine = line;
        lines = [];
      }
      lines.push(line);
      if (lines.length > KEEP_LINES) lines.shift();
      onProgress?.({ step, total, line });
    };
    const error = await readProgressStream(stream, (message) => {
      const text = typeof message === 'string' ? message : (message.stream ?? message.status);
      if (text !== undefined) for (const line of text.replace(/\n$/, '').split('\n')) emit(line.replace(/\r$/, ''));
    }).catch((err: unknown) => {
      throw this.unreachable(err);
    });
    if (error === undefined) return;
    throw new ImageBuildError(
      `building ${ref} failed${stepLine === '' ? '' : ` at ${stepLine.replace(/ :.*/, '')}`}: ${error}\n${
        stepLine === '' ? '' : `${stepLine}\n`
      }last lines:\n${lines.slice(-15).join('\n')}`,
      { image: ref, step, total, error },
    );
  }
}
