/** What `berth images` runs: loaded only when an images command runs (dockerode and the builder take a while to load). */
import { InvalidInputError } from '../../common/errors';
import { formatIssues } from '../../config/load';
import { loadConfigDir } from '../../execution/config-dir';
import { baseImageJobs } from '../../images/base-images';
import { baseRecipeSchema, defaultBaseTag, type BaseRecipe } from '../../images/base-recipe';
import { baseMissingHint, codeEnvImageJobs, listImages, type ImageListing } from '../../images/code-env-images';
import { dockerFor } from '../../images/docker-client';
import { runImageJobs, type ImageJob } from '../../images/image-jobs';
import { describeImageState, STALE_REASON_TEXT } from '../../images/image-spec';
import { buildProgressPrinter } from '../build-progress';

/** Runs jobs with progress on the terminal; the redrawn progress line is cleared before an error shows. */
async function runWithProgress(jobs: readonly ImageJob[]): Promise<void> {
  const printer = buildProgressPrinter();
  try {
    await runImageJobs(jobs, printer.onEvent);
  } finally {
    printer.finish();
  }
}

export interface BuildBaseFlags {
  type: string;
  withR?: boolean;
  withoutR?: boolean;
  withCuda?: boolean;
  cudaVersion?: string;
  from?: string;
  tag?: string;
  dockerHost: string;
  force?: boolean;
  push?: boolean;
}

function recipeOf(flags: BuildBaseFlags): BaseRecipe {
  if (flags.withR === true && flags.withoutR === true) throw new InvalidInputError('pass --with-r or --without-r, not both');
  const parsed = baseRecipeSchema.safeParse({
    type: flags.type,
    r: flags.withR === true,
    cuda: flags.withCuda === true,
    ...(flags.cudaVersion === undefined ? {} : { cudaVersion: flags.cudaVersion }),
    ...(flags.from === undefined ? {} : { from: flags.from }),
  });
  if (!parsed.success)
    throw new InvalidInputError(formatIssues(parsed.error).replace('cudaVersion needs cuda: true', '--cuda-version needs --with-cuda'));
  return parsed.data;
}

export async function buildBase(flags: BuildBaseFlags): Promise<void> {
  const recipe = recipeOf(flags);
  const tag = flags.tag ?? defaultBaseTag(recipe);
  const daemon = { host: flags.dockerHost, docker: dockerFor(flags.dockerHost) };
  await runWithProgress(baseImageJobs(daemon, recipe, { tag, force: flags.force === true, push: flags.push === true }));
  process.stdout.write(`tagged ${tag}\n`);
}

function stateText(state: { state: string }): string {
  return describeImageState(state as Parameters<typeof describeImageState>[0]).replace(/^up-to-date$/, 'up to date');
}

export interface CodeEnvFlags {
  all?: boolean;
  execConfig?: string;
  force?: boolean;
  push?: boolean;
  configDir: string;
}

export async function buildCodeEnvs(id: string | undefined, flags: CodeEnvFlags): Promise<void> {
  const config = loadConfigDir(flags.configDir);
  const selection = {
    all: flags.all === true,
    ...(id === undefined ? {} : { codeEnvId: id }),
    ...(flags.execConfig === undefined ? {} : { execConfigId: flags.execConfig }),
  };
  await runWithProgress(await codeEnvImageJobs(config, selection, { force: flags.force === true, push: flags.push === true }));
}

export async function printListing(flags: { configDir: string; json?: boolean }): Promise<void> {
  const listing = await listImages(loadConfigDir(flags.configDir));
  process.stdout.write(flags.json === true ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing));
}

/** The listing as two aligned tables: base images, then code-env images. */
function formatListing(listing: ImageListing): string {
  const table = (rows: string[][]): string => {
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    return rows
      .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '))
      .join('\n');
  };
  const bases = listing.bases.map((row) => {
    const s = row.state;
    const text =
      s.state === 'missing'
        ? `missing: ${baseMissingHint(row.image)}`
        : s.state === 'external'
          ? 'not built by berth (not tracked)'
          : s.state === 'parent-missing'
            ? `parent image ${s.parent} missing`
            : stateText(s).replace(STALE_REASON_TEXT['base-rebuilt'], 'its parent image changed');
    return [row.image, row.execConfigs.join(','), text];
  });
  const codeEnvs = listing.codeEnvs.map((row) => [
    row.codeEnv,
    row.execConfig,
    row.image ?? '-',
    row.state.state === 'base-missing' ? `base image missing on ${row.daemon}: ${baseMissingHint(row.baseImage)}` : stateText(row.state),
  ]);
  return `${table([['BASE IMAGE', 'EXEC CONFIGS', 'STATE'], ...bases])}\n\n${table([['CODE ENV', 'EXEC CONFIG', 'IMAGE', 'STATE'], ...codeEnvs])}\n`;
}
