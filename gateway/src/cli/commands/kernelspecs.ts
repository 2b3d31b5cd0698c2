import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { ResolvedKernelSpec } from '../../kernelspecs/kernelspec';
import type { PairMetadata } from '../../kernelspecs/pair-specs';

/** Shipped kernelspecs (python3, ir), from gateway/src/cli/commands or gateway/dist/cli/commands. */
const SHIPPED_KERNELSPECS = resolve(__dirname, '..', '..', '..', '..', 'kernelspecs');

interface Listed {
  readonly spec: ResolvedKernelSpec;
  /** metadata.berth of a pair; undefined for a plain spec. */
  readonly pair?: PairMetadata;
}

/**
 * The kernelspecs a gateway with this configuration offers, from the config directory (the
 * objects admins keep in git; edits made through the admin API live in the gateway's store).
 */
async function kernelspecsOf(
  configDir: string | undefined,
): Promise<{ listed: Listed[]; defaultExecConfig: string; defaultBackend: string }> {
  // Loaded on use (zod, yaml, sqlite): the other commands need not wait for them.
  const [
    { createLogger },
    { loadConfig },
    { loadConfigDir },
    { ConfigRegistry },
    { KernelSpecCatalog, standardKernelsDirs },
    { KernelTargets },
    { ConfigObjects },
    { openMemoryDatabase },
  ] = await Promise.all([
    import('../../common/logger'),
    import('../../config/load'),
    import('../../execution/config-dir'),
    import('../../execution/config-registry'),
    import('../../kernelspecs/catalog'),
    import('../../kernelspecs/kernel-targets'),
    import('../../store/config-objects'),
    import('../../store/database'),
  ]);
  const config = loadConfig({ flags: { configDir } });
  const log = createLogger({ level: 'silent' });
  const catalog = new KernelSpecCatalog(
    standardKernelsDirs({ shippedDir: SHIPPED_KERNELSPECS, extraDirs: config.kernelspecDirs }),
    config.defaultKernelName,
    log,
  );
  const kernelspecNames = (): ReadonlySet<string> => new Set(catalog.list().keys());
  const db = openMemoryDatabase();
  try {
    const registry = new ConfigRegistry(new ConfigObjects(db), { kernelspecNames, gatewayReferences: new Map() });
    if (config.configDir) registry.seedFrom(loadConfigDir(config.configDir, { kernelspecNames: kernelspecNames() }));
    const targets = new KernelTargets(catalog, registry, config);
    const listed = [...targets.list(undefined).values()].map((spec) => ({
      spec,
      pair: (spec.spec.metadata['berth'] as PairMetadata | undefined) ?? undefined,
    }));
    const backend = registry.findExecConfig(config.defaultExecutionConfig)?.backend ?? 'unknown';
    return { listed, defaultExecConfig: config.defaultExecutionConfig, defaultBackend: backend };
  } finally {
    db.close();
  }
}

/** `berth kernelspecs`: the kernelspecs a configuration publishes, as a table or as kernel.json folders. */
export function kernelspecsCommand(): Command {
  const command = new Command('kernelspecs').description('The kernelspecs a gateway offers: plain ones and one per code env × exec config');
  const configDirOption = (): Option =>
    new Option('--config-dir <dir>', 'configuration directory (berth.yaml, execution-configs/, code-envs/; env BERTH_CONFIG_DIR)');
  command
    .command('list')
    .description('Table of kernelspec names, display names and backends')
    .addOption(configDirOption())
    .action(async (flags: { configDir?: string }) => {
      const { listed, defaultExecConfig, defaultBackend } = await kernelspecsOf(flags.configDir);
      const rows = listed.map(({ spec, pair }) => [
        spec.name,
        spec.spec.display_name,
        pair ? pair.backend : `${defaultBackend} (${defaultExecConfig}, or KERNEL_EXECUTION_CONFIG)`,
      ]);
      process.stdout.write(table(['NAME', 'DISPLAY NAME', 'BACKEND'], rows));
    });
  command
    .command('export')
    .description('Write a kernel.json folder for each code env × exec config pair, to inspect or install (jupyter kernelspec install)')
    .argument('<dir>', 'folder to write into (created if missing); one subfolder per kernelspec')
    .addOption(configDirOption())
    .action(async (dir: string, flags: { configDir?: string }) => {
      const pairs = (await kernelspecsOf(flags.configDir)).listed.filter((entry) => entry.pair);
      for (const { spec } of pairs) {
        const folder = join(dir, spec.name);
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, 'kernel.json'), `${JSON.stringify(spec.spec, null, 2)}\n`);
        for (const file of spec.resourceFiles) copyFileSync(join(spec.resourceDir, file), join(folder, file));
      }
      process.stdout.write(
        `${pairs.length} kernelspec${pairs.length === 1 ? '' : 's'} written to ${dir}${pairs.map(({ spec }) => `\n  ${spec.name}`).join('')}\n`,
      );
    });
  return command;
}

/** Left-aligned columns separated by two spaces. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  return (
    all.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') +
    '\n'
  );
}
