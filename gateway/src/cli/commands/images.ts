import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import Dockerode from 'dockerode';
import { BackendUnavailableError, InvalidInputError, NotFoundError } from '../../common/errors';
import type { CodeEnv } from '../../execution/code-env';
import { loadConfigDir, type ConfigDir } from '../../execution/config-dir';
import type { ContainerExecConfig } from '../../execution/execution-config';
import { execConfigsForCodeEnv } from '../../execution/kernel-pairs';
import {
  DEFAULT_CUDA_VERSION,
  renderCodeEnvImage,
  renderCudaImage,
  renderRLayer,
  type ImageTemplates,
  type SourceFile,
} from '../../images/dockerfile';
import { berthVersion, ImageBuilder, type BuildProgress, type BuildResult } from '../../images/image-builder';
import { describeImageState, IMAGE_LABELS, imageSpec, imageState, type ImageSpec, type ImageState } from '../../images/image-spec';
import { loadImageTemplates } from '../../images/image-templates';

/** The daemon used when an exec config names none (Kubernetes exec configs, build-base). */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** A Dockerode client for a daemon address (unix socket, or tcp with an optional TLS cert dir). */
export function dockerFor(host: string, tlsCertDir?: string): Dockerode {
  if (host.startsWith('unix://')) return new Dockerode({ socketPath: host.slice('unix://'.length) });
  const url = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(host);
  if (url === null) throw new InvalidInputError(`Docker host ${host} must be "unix:///path/to/docker.sock" or "tcp://host:port"`);
  const address = url[1]!.replace(/^\[|\]$/g, '');
  if (tlsCertDir === undefined) return new Dockerode({ host: address, port: Number(url[2]), protocol: 'http' });
  const read = (name: string): Buffer => readFileSync(join(tlsCertDir, name));
  return new Dockerode({
    host: address,
    port: Number(url[2]),
    protocol: 'https',
    ca: read('ca.pem'),
    cert: read('cert.pem'),
    key: read('key.pem'),
  });
}

/** The daemon of a container exec config: its first Docker daemon, or the local socket (Kubernetes). */
function daemonOf(config: ConfigDir, execConfig: ContainerExecConfig): { host: string; docker: Dockerode } {
  if (execConfig.backend !== 'docker') return { host: DEFAULT_DOCKER_HOST, docker: dockerFor(DEFAULT_DOCKER_HOST) };
  const daemon = execConfig.docker.daemons[0]!;
  const certDir = daemon.tls === undefined ? undefined : resolve(config.dir, daemon.tls.certDir);
  return { host: daemon.host, docker: dockerFor(daemon.host, certDir) };
}

/** "[label] step i/N: line" on stderr, for every line of the build output. */
function progressPrinter(label: string): (progress: BuildProgress) => void {
  return ({ step, total, line }) => {
    process.stderr.write(`[${label}] ${total > 0 ? `step ${step}/${total}` : 'starting'}: ${line}\n`);
  };
}

function reportResult(label: string, result: BuildResult): void {
  const how = result.skipped ? 'skipped (up to date)' : `built in ${(result.ms / 1000).toFixed(1)} s`;
  process.stdout.write(`${label}: ${result.ref} ${how}\n`);
}

interface BuildBaseFlags {
  r?: boolean;
  cuda?: boolean;
  cudaVersion?: string;
  from?: string;
  tag?: string;
  dockerHost: string;
  force?: boolean;
}

/** The name the finished base image gets besides its content-hash tag. */
function defaultBaseTag(flags: BuildBaseFlags): string {
  return `berth/${flags.cuda ? 'cuda' : 'base'}${flags.r ? '-r' : ''}:latest`;
}

async function buildBase(flags: BuildBaseFlags): Promise<void> {
  if (flags.cudaVersion !== undefined && !flags.cuda) throw new InvalidInputError('--cuda-version needs --with-cuda');
  const docker = dockerFor(flags.dockerHost);
  const builder = new ImageBuilder(docker, { daemon: flags.dockerHost });
  const templates = loadImageTemplates();
  const tag = flags.tag ?? defaultBaseTag(flags);
  const force = flags.force === true;
  const layers = 1 + (flags.r ? 1 : 0);
  let result: BuildResult;
  if (flags.cuda) {
    const inputs = renderCudaImage(templates, {
      ...(flags.cudaVersion === undefined ? {} : { cudaVersion: flags.cudaVersion }),
      ...(flags.from === undefined ? {} : { from: flags.from }),
    });
    const parentImage = inputs.buildArgs['CUDA_IMAGE']!;
    process.stderr.write(`[image 1/${layers}] CUDA base on ${parentImage} (daemon ${flags.dockerHost})\n`);
    result = await builder.build('cuda', inputs, {
      parentImage,
      force,
      onProgress: progressPrinter('cuda'),
      missingHint: `pull or tag the NVIDIA CUDA ${flags.cudaVersion ?? DEFAULT_CUDA_VERSION} image on that daemon, or pass --from IMAGE`,
      ...(flags.r ? {} : { extraTags: [tag] }),
    });
    reportResult('cuda', result);
  } else {
    process.stderr.write(`[image 1/${layers}] base on ${flags.from ?? 'the default OS image'} (daemon ${flags.dockerHost})\n`);
    result = await builder.buildBase({
      force,
      onProgress: progressPrinter('base'),
      ...(flags.from === undefined ? {} : { from: flags.from }),
      ...(flags.r ? {} : { extraTags: [tag] }),
    });
    reportResult('base', result);
  }
  if (flags.r) {
    process.stderr.write(`[image 2/${layers}] R layer on ${result.ref}\n`);
    const r = await builder.build('r', renderRLayer(templates, { parent: result.ref }), {
      parentImage: result.ref,
      force,
      repository: flags.cuda ? 'berth/cuda-r' : 'berth/base-r',
      onProgress: progressPrinter('r'),
      extraTags: [tag],
    });
    reportResult('r', r);
  }
  process.stdout.write(`tagged ${tag}\n`);
}

/** Every file under `folder`, relative paths with "/" separators. */
function filesUnder(folder: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        out.push({ path: relative(folder, path).split('\\').join('/'), content: readFileSync(path), mode: statSync(path).mode & 0o777 });
      }
    }
  };
  walk(folder);
  return out;
}

/** The rendered inputs of a code env on a base image: local find-links folders become the wheelhouse. */
function codeEnvInputs(config: ConfigDir, templates: ImageTemplates, codeEnv: CodeEnv, parent: string) {
  const localLinks = codeEnv.packages.pip.findLinks.filter((link) => !/^https?:\/\//.test(link));
  let env = codeEnv;
  let wheelhouse: SourceFile[] | undefined;
  if (localLinks.length > 0) {
    wheelhouse = localLinks.flatMap((link) =>
      filesUnder(resolve(config.dir, link)).filter((file) => !file.path.includes('/') && /\.(whl|tar\.gz|zip)$/.test(file.path)),
    );
    env = { ...codeEnv, packages: { ...codeEnv.packages, pip: { ...codeEnv.packages.pip, findLinks: [] } } };
  }
  const resourceFiles = codeEnv.resources.mode === 'copy' ? filesUnder(resolve(config.dir, codeEnv.resources.path)) : undefined;
  return renderCodeEnvImage(templates, env, {
    parent,
    ...(wheelhouse === undefined ? {} : { wheelhouse }),
    ...(resourceFiles === undefined ? {} : { resourceFiles }),
  });
}

interface Pair {
  readonly codeEnv: CodeEnv;
  readonly execConfig: ContainerExecConfig;
}

function pairsOf(config: ConfigDir, codeEnvId: string | undefined, all: boolean, execConfigId: string | undefined): Pair[] {
  if (!all && codeEnvId === undefined) throw new InvalidInputError('name a code env ID, or pass --all');
  if (all && codeEnvId !== undefined) throw new InvalidInputError('pass either a code env ID or --all, not both');
  const codeEnvs = all ? config.codeEnvs : config.codeEnvs.filter((c) => c.id === codeEnvId);
  if (codeEnvs.length === 0) {
    throw new NotFoundError(
      `code env ${codeEnvId} is not in ${config.dir}; it has: ${config.codeEnvs.map((c) => c.id).join(', ') || 'none'}`,
    );
  }
  if (execConfigId !== undefined && !config.execConfigs.some((c) => c.id === execConfigId)) {
    throw new NotFoundError(`exec config ${execConfigId} is not in ${config.dir}`);
  }
  return codeEnvs.flatMap((codeEnv) =>
    execConfigsForCodeEnv(codeEnv, config.execConfigs)
      .filter((execConfig) => execConfigId === undefined || execConfig.id === execConfigId)
      .map((execConfig) => ({ codeEnv, execConfig })),
  );
}

function baseImageOf(pair: Pair): string {
  const base = pair.execConfig.baseImage;
  if (base === undefined)
    throw new InvalidInputError(`exec config ${pair.execConfig.id} has no baseImage: set one to build code envs for it`);
  return base;
}

function baseMissingHint(base: string): string {
  const r = /-r(:|$)/.test(base) ? ' --with-r' : '';
  const cuda = /cuda/.test(base) ? ' --with-cuda' : '';
  return `build it with \`berth images build-base${cuda}${r} --tag ${base}\``;
}

async function buildCodeEnvs(
  codeEnvId: string | undefined,
  flags: { all?: boolean; execConfig?: string; force?: boolean; configDir: string },
): Promise<void> {
  const config = loadConfigDir(flags.configDir);
  const pairs = pairsOf(config, codeEnvId, flags.all === true, flags.execConfig);
  const templates = loadImageTemplates();
  let built = 0;
  let skipped = 0;
  for (const [index, pair] of pairs.entries()) {
    const label = `${pair.codeEnv.id}@${pair.execConfig.id}`;
    const base = baseImageOf(pair);
    const { host, docker } = daemonOf(config, pair.execConfig);
    process.stderr.write(`[image ${index + 1}/${pairs.length}] ${label} on ${base} (daemon ${host})\n`);
    const builder = new ImageBuilder(docker, { daemon: host });
    const result = await builder.build('code-env', codeEnvInputs(config, templates, pair.codeEnv, base), {
      parentImage: base,
      codeEnvId: pair.codeEnv.id,
      force: flags.force === true,
      missingHint: baseMissingHint(base),
      onProgress: progressPrinter(label),
    });
    reportResult(label, result);
    if (result.skipped) skipped += 1;
    else built += 1;
  }
  process.stdout.write(`${built} built, ${skipped} skipped (up to date)\n`);
}

export interface ListedImage {
  readonly codeEnv: string;
  readonly execConfig: string;
  readonly daemon: string;
  readonly baseImage: string;
  /** The ref the image has (or would have) now; undefined when the base image is missing. */
  readonly image?: string;
  readonly state: ImageState | { readonly state: 'base-missing' };
}

/** The state of every code env × container exec config image. */
export async function listCodeEnvImages(config: ConfigDir): Promise<ListedImage[]> {
  const templates = loadImageTemplates();
  const version = berthVersion();
  const rows: ListedImage[] = [];
  for (const pair of pairsOf(config, undefined, true, undefined)) {
    const base = baseImageOf(pair);
    const { host, docker } = daemonOf(config, pair.execConfig);
    const builder = new ImageBuilder(docker, { daemon: host });
    const row = { codeEnv: pair.codeEnv.id, execConfig: pair.execConfig.id, daemon: host, baseImage: base };
    const parent = await builder.inspectImage(base);
    if (parent === undefined) {
      rows.push({ ...row, state: { state: 'base-missing' } });
      continue;
    }
    const spec = imageSpec({
      kind: 'code-env',
      inputs: codeEnvInputs(config, templates, pair.codeEnv, base),
      parentImage: base,
      parentImageId: parent.id,
      berthVersion: version,
      codeEnvId: pair.codeEnv.id,
    });
    rows.push({ ...row, image: spec.ref, state: imageState(spec, await newestLabels(builder, docker, spec, pair.codeEnv.id, base)) });
  }
  return rows;
}

/** Labels of the expected image when it exists, else of the newest image of this code env on this base. */
async function newestLabels(
  builder: ImageBuilder,
  docker: Dockerode,
  spec: ImageSpec,
  codeEnvId: string,
  base: string,
): Promise<Readonly<Record<string, string>> | undefined> {
  const exact = await builder.inspectImage(spec.ref);
  if (exact !== undefined && exact.labels[IMAGE_LABELS.specHash] === spec.specHash) return exact.labels;
  const images = await docker.listImages({
    filters: JSON.stringify({ label: [`${IMAGE_LABELS.codeEnv}=${codeEnvId}`, `${IMAGE_LABELS.parentImage}=${base}`] }),
  });
  const newest = images.sort((a, b) => b.Created - a.Created)[0];
  return newest === undefined ? undefined : (newest.Labels ?? {});
}

function describeListed(row: ListedImage): string {
  if (row.state.state === 'base-missing') return `base image missing on ${row.daemon}: ${baseMissingHint(row.baseImage)}`;
  if (row.state.state === 'missing') return 'missing';
  return describeImageState(row.state);
}

async function listImages(flags: { configDir: string }): Promise<void> {
  const config = loadConfigDir(flags.configDir);
  const rows = await listCodeEnvImages(config);
  const cells = rows.map((row) => [
    row.codeEnv,
    row.execConfig,
    row.image ?? '-',
    describeListed(row).replace(/^up-to-date$/, 'up to date'),
  ]);
  const all = [['CODE ENV', 'EXEC CONFIG', 'IMAGE', 'STATE'], ...cells];
  const widths = all[0]!.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  process.stdout.write(
    all.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') +
      '\n',
  );
}

/** Rewrites an unreachable-daemon error so it says what to run. */
function withDaemonHint<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
        throw new BackendUnavailableError(
          `Docker daemon unreachable (${code} at ${(error as { address?: string }).address ?? 'its address'}): start it, or fix the exec config's docker host`,
          { cause: error },
        );
      }
      throw error;
    }
  };
}

/** `berth images`: builds and lists Berth's base and code-env images. */
export function imagesCommand(): Command {
  const command = new Command('images').description('Build and list the base and code-env images of container exec configs');
  const configDirOption = (): Option =>
    new Option('--config-dir <dir>', 'configuration directory (berth.yaml, execution-configs/, code-envs/)').makeOptionMandatory();
  command
    .command('build-base')
    .description('Build a base image: OS + Python + ipykernel (+ R and IRkernel), tini, a non-root user and the kernel entrypoint')
    .addOption(new Option('--with-r', 'add R and IRkernel').default(false))
    .addOption(new Option('--without-r', 'no R (the default)'))
    .addOption(new Option('--with-cuda', 'start from the NVIDIA CUDA runtime + cuDNN image'))
    .addOption(new Option('--cuda-version <x.y>', `CUDA version (default ${DEFAULT_CUDA_VERSION}); with --with-cuda`))
    .addOption(new Option('--from <image>', 'parent image instead of the default (OS image, or the CUDA image of the version)'))
    .addOption(new Option('--tag <tag>', 'name for the finished image (default berth/base[-r]:latest, berth/cuda[-r]:latest)'))
    .addOption(new Option('--docker-host <address>', 'Docker daemon to build on').default(DEFAULT_DOCKER_HOST))
    .addOption(new Option('--force', 'build even when an identical image exists'))
    .action(
      withDaemonHint(async (flags: Record<string, unknown>) => {
        if (flags['withR'] === true && flags['withoutR'] === true) throw new InvalidInputError('pass --with-r or --without-r, not both');
        await buildBase({
          r: flags['withR'] === true,
          cuda: flags['withCuda'] === true,
          dockerHost: flags['dockerHost'] as string,
          force: flags['force'] === true,
          ...(typeof flags['cudaVersion'] === 'string' ? { cudaVersion: flags['cudaVersion'] } : {}),
          ...(typeof flags['from'] === 'string' ? { from: flags['from'] } : {}),
          ...(typeof flags['tag'] === 'string' ? { tag: flags['tag'] } : {}),
        });
      }),
    );
  command
    .command('build-code-env')
    .description("Build a code env's image on the base image of each container exec config it is available for")
    .argument('[id]', 'code env id')
    .addOption(new Option('--all', 'every code env'))
    .addOption(new Option('--exec-config <id>', 'only for this exec config'))
    .addOption(new Option('--force', 'build even when an up-to-date image exists'))
    .addOption(configDirOption())
    .action(
      withDaemonHint(async (id: string | undefined, flags: { all?: boolean; execConfig?: string; force?: boolean; configDir: string }) => {
        await buildCodeEnvs(id, flags);
      }),
    );
  command
    .command('list')
    .description('Every code env × container exec config with its image and state: up to date, stale (and why) or missing')
    .addOption(configDirOption())
    .action(withDaemonHint(async (flags: { configDir: string }) => listImages(flags)));
  return command;
}
