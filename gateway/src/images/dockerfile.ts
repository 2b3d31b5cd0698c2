import { InvalidInputError } from '../common/errors';
import type { CodeEnv } from '../execution/code-env';

/**
 * Pure rendering of image build inputs from the Dockerfile templates in images/: which template,
 * the build arguments, the rendered Dockerfile (the template with those arguments set as its ARG
 * defaults, so the build context alone reproduces the image with a plain `docker build`) and the
 * generated files of the build context. No I/O: templates, wheels and resource files come in as data.
 */

export const TEMPLATE_NAMES = ['base.Dockerfile', 'r.Dockerfile', 'cuda.Dockerfile', 'code-env.Dockerfile'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export const ENTRYPOINT_NAME = 'kernel-entrypoint.sh';
/** IRkernel's control-channel bridge (interrupts by message), in the R layer. */
export const R_BRIDGE_NAME = 'r-control-bridge.py';

/** The text of every file in images/ the builder uses. */
export type ImageTemplates = Readonly<Record<TemplateName | typeof ENTRYPOINT_NAME | typeof R_BRIDGE_NAME, string>>;

/** The default FROM of base.Dockerfile: a Debian made locally with debootstrap + `docker import`. */
export const DEFAULT_OS_IMAGE = 'berth/os-bookworm:latest';

/** One entry of a build context. Paths are relative, with "/" separators; directories end without "/". */
export type ContextEntry =
  | { readonly type: 'file'; readonly path: string; readonly content: Buffer; readonly mode: number }
  | { readonly type: 'directory'; readonly path: string; readonly mode: number };

export interface BuildInputs {
  readonly template: TemplateName;
  /** The rendered Dockerfile; it is the context's `Dockerfile`. */
  readonly dockerfile: string;
  /** The ARG values set (already the rendered Dockerfile's defaults; also sent as build args). */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Every other entry of the context, sorted by path. */
  readonly files: readonly ContextEntry[];
}

/**
 * NVIDIA CUDA runtime + cuDNN images per CUDA version. The tags follow NVIDIA's naming on Docker
 * Hub (cuDNN 8 tags up to 12.1, unversioned "cudnn" from 12.4); they cannot be pulled from Berth's
 * CI machines, so builds there use a locally tagged stand-in under the same name.
 */
export const CUDA_BASE_IMAGES: Readonly<Record<string, string>> = {
  '11.8': 'nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04',
  '12.1': 'nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04',
  '12.4': 'nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04',
  '12.6': 'nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04',
  '12.8': 'nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04',
};
export const DEFAULT_CUDA_VERSION = '12.4';

/** The CUDA base image for a version ("12.4" or "12.4.1"); throws with the known versions otherwise. */
export function cudaBaseImage(version: string): string {
  const minor = /^(\d+\.\d+)(\.\d+)?$/.exec(version)?.[1];
  const image = minor === undefined ? undefined : CUDA_BASE_IMAGES[minor];
  if (image === undefined) {
    throw new InvalidInputError(
      `no CUDA base image is known for CUDA ${version}; known versions: ${Object.keys(CUDA_BASE_IMAGES).join(', ')} — ` +
        'or name the image yourself with --from IMAGE',
      { details: { cudaVersion: version } },
    );
  }
  return image;
}

const ARG_LINE = /^ARG[ \t]+([A-Za-z_][A-Za-z0-9_]*)(?:=.*)?$/;
const PLAIN_VALUE = /^[A-Za-z0-9_./:@+=,%-]+$/;

function checkValue(what: string, value: string): void {
  if (/[\n\r"\\$`]/.test(value)) {
    throw new InvalidInputError(`${what} must not contain newlines, quotes, backslashes, "$" or backticks: ${JSON.stringify(value)}`);
  }
}

/** Sets the defaults of the named ARG lines; every name must be declared by the template. */
export function setArgDefaults(template: string, values: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  const lines = template.split('\n').map((line) => {
    const name = ARG_LINE.exec(line)?.[1];
    if (name === undefined || !(name in values)) return line;
    const value = values[name];
    checkValue(`build argument ${name}`, value);
    seen.add(name);
    return PLAIN_VALUE.test(value) ? `ARG ${name}=${value}` : `ARG ${name}="${value}"`;
  });
  const undeclared = Object.keys(values).filter((name) => !seen.has(name));
  if (undeclared.length > 0) throw new Error(`the Dockerfile template declares no ARG ${undeclared.join(', ')}`);
  return lines.join('\n');
}

const ENV_MARKER = '# berth:code-env-env';

/** Replaces the env marker line with one ENV line per variable (sorted, quoted for the Dockerfile parser). */
function renderEnv(template: string, env: Readonly<Record<string, string>>): string {
  const names = Object.keys(env).sort();
  const lines = template.split('\n');
  const at = lines.indexOf(ENV_MARKER);
  if (at < 0) throw new Error(`the code-env Dockerfile template has no "${ENV_MARKER}" line`);
  const rendered = names.map((name) => {
    const value = env[name];
    if (/[\n\r]/.test(value)) throw new InvalidInputError(`env ${name}: image environment values cannot contain newlines`);
    return `ENV ${name}="${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
  });
  lines.splice(at, 1, ...rendered);
  return lines.join('\n');
}

const file = (path: string, content: string | Buffer, mode = 0o644): ContextEntry => ({
  type: 'file',
  path,
  content: typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
  mode,
});
const directory = (path: string): ContextEntry => ({ type: 'directory', path, mode: 0o755 });

function sortEntries(entries: ContextEntry[]): ContextEntry[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function inputs(template: TemplateName, templates: ImageTemplates, args: Record<string, string>, files: ContextEntry[]): BuildInputs {
  return { template, dockerfile: setArgDefaults(templates[template], args), buildArgs: { ...args }, files: sortEntries(files) };
}

/** The Python base image (base.Dockerfile), FROM `from` (default: the template's, the local OS image). */
export function renderBaseImage(templates: ImageTemplates, options: { from?: string } = {}): BuildInputs {
  const args: Record<string, string> = options.from === undefined ? {} : { BASE_IMAGE: options.from };
  return inputs('base.Dockerfile', templates, args, [file(ENTRYPOINT_NAME, templates[ENTRYPOINT_NAME], 0o755)]);
}

/** The CUDA base image (cuda.Dockerfile): FROM `from`, else the NVIDIA image of `cudaVersion` (default DEFAULT_CUDA_VERSION). */
export function renderCudaImage(templates: ImageTemplates, options: { cudaVersion?: string; from?: string } = {}): BuildInputs {
  const image = options.from ?? cudaBaseImage(options.cudaVersion ?? DEFAULT_CUDA_VERSION);
  return inputs('cuda.Dockerfile', templates, { CUDA_IMAGE: image }, [file(ENTRYPOINT_NAME, templates[ENTRYPOINT_NAME], 0o755)]);
}

/** The R layer (r.Dockerfile) on top of a base image. */
export function renderRLayer(templates: ImageTemplates, options: { parent: string }): BuildInputs {
  return inputs('r.Dockerfile', templates, { BASE_IMAGE: options.parent }, [file(R_BRIDGE_NAME, templates[R_BRIDGE_NAME], 0o755)]);
}

/** A file handed to the renderer: a wheel, or a file of a resources folder (relative path). */
export interface SourceFile {
  readonly path: string;
  readonly content: Buffer;
  readonly mode?: number;
}

export interface CodeEnvRenderOptions {
  /** The base image the code env is built on (an exec config's base image). */
  readonly parent: string;
  /** Local wheels: pip then installs with `--no-index --find-links` to them and never reaches an index. */
  readonly wheelhouse?: readonly SourceFile[];
  /** The files of the resources folder (resources mode "copy"), relative to that folder. */
  readonly resourceFiles?: readonly SourceFile[];
  /** CRAN mirror for R packages (default: the template's). */
  readonly cranRepo?: string;
}

const IN_IMAGE_WHEELHOUSE = '/opt/berth/build/wheelhouse';

function safeRelativePath(what: string, path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..') || path.startsWith('/')) {
    throw new InvalidInputError(`${what} ${JSON.stringify(path)} must be a relative path inside its folder`);
  }
  return parts.join('/');
}

/** pip options for the code env: the local wheelhouse when given, else its index and find-links as written. */
function pipOptions(pip: CodeEnv['packages']['pip'], wheelhouse: readonly SourceFile[] | undefined): string[] {
  if (wheelhouse !== undefined) return ['--no-index', '--find-links', IN_IMAGE_WHEELHOUSE];
  const options: string[] = [];
  if (pip.indexUrl !== undefined) options.push('--index-url', pip.indexUrl);
  for (const link of pip.findLinks) {
    if (!/^https?:\/\//.test(link)) {
      throw new InvalidInputError(
        `pip findLinks entry ${JSON.stringify(link)} is a local folder: the builder must hand its wheels over as the wheelhouse`,
        { details: { findLinks: link } },
      );
    }
    options.push('--find-links', link);
  }
  return options;
}

/** A code env's image (code-env.Dockerfile) on top of `options.parent`. */
export function renderCodeEnvImage(templates: ImageTemplates, codeEnv: CodeEnv, options: CodeEnvRenderOptions): BuildInputs {
  const { packages, resources } = codeEnv;
  const args: Record<string, string> = {
    BASE_IMAGE: options.parent,
    APT_PACKAGES: packages.apt.join(' '),
    PIP_OPTIONS: pipOptions(packages.pip, options.wheelhouse).join(' '),
    RESOURCES_MODE: resources.mode,
    KERNEL_LANGUAGE: codeEnv.language,
  };
  if (options.cranRepo !== undefined) args.CRAN_REPO = options.cranRepo;
  for (const line of packages.pip.requirements) checkValue('pip requirement', line);

  const lines = (items: readonly string[]) => (items.length === 0 ? '' : `${items.join('\n')}\n`);
  const files: ContextEntry[] = [
    directory('berth-build'),
    file('berth-build/requirements.txt', lines(packages.pip.requirements)),
    file('berth-build/r-packages.txt', lines(packages.r)),
    file('berth-build/resources-init.sh', resources.mode === 'init-script' ? `${resources.script.replace(/\n?$/, '\n')}` : '', 0o755),
    directory('berth-build/wheelhouse'),
    directory('berth-resources'),
  ];
  for (const wheel of options.wheelhouse ?? []) {
    const name = safeRelativePath('wheel', wheel.path);
    if (name.includes('/')) throw new InvalidInputError(`wheel ${JSON.stringify(wheel.path)} must be a file name, not a path`);
    files.push(file(`berth-build/wheelhouse/${name}`, wheel.content, wheel.mode ?? 0o644));
  }
  if (resources.mode === 'copy') {
    const seenDirs = new Set<string>();
    for (const source of options.resourceFiles ?? []) {
      const path = safeRelativePath('resource file', source.path);
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i += 1) {
        const dir = `berth-resources/${parts.slice(0, i).join('/')}`;
        if (!seenDirs.has(dir)) files.push(directory(dir));
        seenDirs.add(dir);
      }
      files.push(file(`berth-resources/${path}`, source.content, source.mode ?? 0o644));
    }
  } else if ((options.resourceFiles ?? []).length > 0) {
    throw new InvalidInputError(`code env ${codeEnv.id}: resource files were given but its resources mode is "${resources.mode}"`);
  }
  const rendered = inputs('code-env.Dockerfile', templates, args, files);
  return { ...rendered, dockerfile: renderEnv(rendered.dockerfile, codeEnv.env) };
}

/** Every context entry including the rendered `Dockerfile`, sorted by path. */
export function contextEntries(build: BuildInputs): ContextEntry[] {
  return sortEntries([file('Dockerfile', build.dockerfile), ...build.files]);
}
