import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';

/** Flags every kind of run shares (where it runs, files, limits, which gateway). */
export interface CommonRunFlags {
  kernel?: string;
  codeEnv?: string;
  execConfig?: string;
  cwd?: string;
  input?: string[];
  outputFile?: string[];
  artifactsDir?: string;
  timeout?: number;
  logOutput?: boolean;
  gateway?: string;
  token?: string;
  configDir?: string;
  dataDir?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function seconds(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) throw new Error(`${flag} takes a positive number of seconds; got "${value}"`);
    return number;
  };
}

/** Adds the shared flags to a run command. */
export function addCommonRunFlags(command: Command): Command {
  return command
    .addOption(new Option('-k, --kernel <name>', 'kernelspec to run on (e.g. python3, or <code-env>--<exec-config>)'))
    .addOption(new Option('--code-env <id>', 'code env (with --exec-config, or the default exec config)'))
    .addOption(new Option('--exec-config <id>', 'exec config (with --code-env, or the plain kernel of the language there)'))
    .addOption(new Option('--cwd <dir>', "working directory on the kernel's side (default: a fresh one per run)"))
    .addOption(new Option('--input <path>', 'file or folder to stage into the working directory (repeatable)').argParser(collect))
    .addOption(new Option('--output-file <glob>', 'files to bring back from the working directory (repeatable)').argParser(collect))
    .addOption(new Option('--artifacts-dir <dir>', 'where brought-back files and ML outputs are written').default('.'))
    .addOption(new Option('--timeout <seconds>', 'whole-run timeout').argParser(seconds('--timeout')))
    .addOption(new Option('--log-output', "print the run's output (stdout/stderr of the cells) as it comes"))
    .addOption(new Option('--gateway <url>', 'run through this gateway instead of in process (env BERTH_GATEWAY_URL)'))
    .addOption(new Option('--token <token>', 'token for --gateway (env BERTH_TOKEN, preferred: flags show in ps)'))
    .addOption(new Option('--config-dir <dir>', 'configuration directory, for runs in process (env BERTH_CONFIG_DIR)'))
    .addOption(new Option('--data-dir <dir>', 'keep the run records here, for runs in process (default: a temporary folder)'));
}

export const cellTimeoutOption = (): Option =>
  new Option('--timeout-cell <seconds>', 'per-cell timeout (papermill --execution-timeout)').argParser(seconds('--timeout-cell'));

/** The request fields the shared flags stand for: placement, staged inputs (base64), outputs, limits. */
export function commonRequestFields(flags: CommonRunFlags): Record<string, unknown> {
  return {
    ...(flags.kernel ? { kernel: flags.kernel } : {}),
    ...(flags.codeEnv ? { codeEnv: flags.codeEnv } : {}),
    ...(flags.execConfig ? { execConfig: flags.execConfig } : {}),
    ...(flags.cwd ? { cwd: flags.cwd } : {}),
    ...(flags.timeout !== undefined ? { timeoutSeconds: flags.timeout } : {}),
    inputs: (flags.input ?? []).flatMap(readInputs),
    outputs: flags.outputFile ?? [],
  };
}

/** A file under its own name, or a folder's files under the folder's name. */
function readInputs(path: string): { path: string; content: string }[] {
  const walk = (full: string, relative: string): { path: string; content: string }[] =>
    statSync(full).isDirectory()
      ? readdirSync(full).flatMap((name) => walk(join(full, name), `${relative}/${name}`))
      : [{ path: relative, content: readFileSync(full).toString('base64') }];
  return walk(path, basename(path));
}
