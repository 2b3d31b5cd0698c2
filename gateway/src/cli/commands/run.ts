import { Command, Option } from 'commander';
import { addCommonRunFlags, cellTimeoutOption, type CommonRunFlags } from '../run/run-flags';

export interface RunFlags extends CommonRunFlags {
  output?: string;
  parametersYaml?: string;
  parametersFile?: string[];
  timeoutCell?: number;
}

/**
 * `berth run FILE`: a notebook (papermill-compatible: -p/-r NAME VALUE, -y YAML, -f FILE), or a
 * Python/R recipe (`berth run script.py -- args…`), in process or through a gateway.
 * `-p`/`-r` pairs are taken out of argv before commander sees it (see parameter-args.ts).
 */
export function runCommand(parameterPairs: () => { name: string; value: string; raw: boolean }[]): Command {
  const command = new Command('run')
    .description(
      'Run a notebook (with papermill-style parameters: -p NAME VALUE, -r NAME VALUE, -y YAML, -f FILE) or a Python/R script, on a local, Docker or Kubernetes kernel',
    )
    .argument('<file>', 'notebook (.ipynb) or script (.py, .R)')
    .argument('[args...]', 'arguments of a script (after --)')
    .addOption(new Option('-o, --output <path>', 'output notebook (default: <name>.output.ipynb beside the input)'))
    .addOption(new Option('-y, --parameters-yaml <yaml>', 'parameters as a YAML mapping'))
    .addOption(
      new Option('-f, --parameters-file <file>', 'parameters from a YAML file (repeatable)').argParser(
        (value: string, previous: string[] = []) => [...previous, value],
      ),
    )
    .addOption(cellTimeoutOption());
  addCommonRunFlags(command);
  command.addHelpText(
    'after',
    '\n  -p, --parameters NAME VALUE      a parameter, typed as papermill does (repeatable)\n  -r, --parameters-raw NAME VALUE  a parameter kept as a string (repeatable)',
  );
  return command.action(async (file: string, args: string[], flags: RunFlags) => {
    const { runFile } = await import('./run-actions');
    process.exitCode = await runFile(file, args, flags, parameterPairs());
  });
}
