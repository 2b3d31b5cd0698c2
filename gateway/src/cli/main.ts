import { Command } from 'commander';
import { BERTH_VERSION } from '../common/version';
import { describeError } from '../common/errors';
import { configCommand } from './commands/config';
import { imagesCommand } from './commands/images';
import { kernelspecsCommand } from './commands/kernelspecs';
import { serveCommand } from './commands/serve';

/** The `berth` command line. */
export function buildProgram(): Command {
  return new Command('berth')
    .description('Berth: a Jupyter kernel gateway for local, Docker and Kubernetes kernels')
    .version(BERTH_VERSION)
    .showHelpAfterError()
    .addCommand(serveCommand())
    .addCommand(configCommand())
    .addCommand(kernelspecsCommand())
    .addCommand(imagesCommand());
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (error) {
    process.stderr.write(`berth: ${describeError(error)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main(process.argv);
