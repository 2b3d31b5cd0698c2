import { Command } from 'commander';
import { BERTH_VERSION } from '../common/version';
import { describeError } from '../common/errors';
import { configCommand } from './commands/config';
import { imagesCommand } from './commands/images';
import { kernelspecsCommand } from './commands/kernelspecs';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { mlCommand } from './commands/ml';
import { serveCommand } from './commands/serve';
import { takeParameterArgs } from './run/parameter-args';

/** The `berth` command line. */
export function buildProgram(parameterPairs: () => { name: string; value: string; raw: boolean }[] = () => []): Command {
  return new Command('berth')
    .description('Berth: a Jupyter kernel gateway for local, Docker and Kubernetes kernels')
    .version(BERTH_VERSION)
    .showHelpAfterError()
    .addCommand(serveCommand())
    .addCommand(configCommand())
    .addCommand(kernelspecsCommand())
    .addCommand(imagesCommand())
    .addCommand(runCommand(parameterPairs))
    .addCommand(runsCommand())
    .addCommand(mlCommand());
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    // papermill's two-value -p/-r flags belong to `berth run` only; commander cannot parse them itself.
    const taken = argv[2] === 'run' ? takeParameterArgs(argv) : { argv: [...argv], pairs: [] };
    await buildProgram(() => taken.pairs).parseAsync(taken.argv);
  } catch (error) {
    process.stderr.write(`berth: ${describeError(error)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main(process.argv);
