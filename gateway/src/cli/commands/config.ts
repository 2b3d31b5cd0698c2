import { Command } from 'commander';

/** `berth config`: checks configuration directories before a gateway loads them. */
export function configCommand(): Command {
  const command = new Command('config').description('Check a configuration directory (berth.yaml, execution-configs/, code-envs/)');
  command
    .command('validate')
    .description('Validate every file of a configuration directory; lists every problem as `file: field.path: message`')
    .argument('<dir>', 'the configuration directory')
    .action(async (dir: string) => {
      // Loaded on use (zod, yaml): the other commands need not wait for them.
      const { formatProblem, inspectConfigDir } = await import('../../execution/config-dir');
      const { execConfigsForCodeEnv, pairKernelspecName } = await import('../../execution/kernel-pairs');
      const { config, problems } = inspectConfigDir(dir);
      if (!config) {
        for (const problem of problems) process.stderr.write(`${formatProblem(problem)}\n`);
        process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${dir}\n`);
        process.exitCode = 1;
        return;
      }
      const kernelspecs = config.codeEnvs.flatMap((codeEnv) =>
        execConfigsForCodeEnv(codeEnv, config.execConfigs).map((execConfig) => pairKernelspecName(codeEnv.id, execConfig.id)),
      );
      const lines = [
        `${dir} is valid.`,
        `${plural(config.execConfigs.length, 'exec config')}: ${config.execConfigs.map((c) => `${c.id} (${c.backend})`).join(', ')}`,
        `${plural(config.codeEnvs.length, 'code env')}: ${config.codeEnvs.map((c) => `${c.id} (${c.language})`).join(', ') || 'none'}`,
        `${plural(kernelspecs.length, 'kernelspec')} from code env × exec config pairs:`,
        ...kernelspecs.map((name) => `  ${name}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  return command;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
