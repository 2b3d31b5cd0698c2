import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { parseNotebook, serializeNotebook } from '../../runner/notebook';
import { parseCliValue } from '../../runner/parameters/cli-values';
import type { Parameters } from '../../runner/parameters/parameter-value';
import { parseYamlParameters } from '../../runner/parameters/yaml-parameters';
import { commonRequestFields } from '../run/run-flags';
import { executeRun, exitCodeOf, writeOut, type RunOutcome } from '../run/run-execution';
import type { RunFlags } from './run';

/** Runs a notebook or a recipe to its end; resolves with the exit code. */
export async function runFile(
  file: string,
  args: string[],
  flags: RunFlags,
  pairs: { name: string; value: string; raw: boolean }[],
): Promise<number> {
  const extension = extname(file).toLowerCase();
  if (extension === '.ipynb') return runNotebook(file, flags, pairs);
  if (extension === '.py' || extension === '.r') return runRecipe(file, args, flags);
  throw new Error(`Cannot run "${file}": berth run takes a notebook (.ipynb) or a Python or R script (.py, .R).`);
}

/** papermill's order: -f files, then -y, then -p/-r pairs; later ones win. */
function collectParameters(flags: RunFlags, pairs: { name: string; value: string; raw: boolean }[]): Parameters {
  const parameters: Parameters = {};
  for (const path of flags.parametersFile ?? []) Object.assign(parameters, parseYamlParameters(readText(path, 'parameters file'), path));
  if (flags.parametersYaml) Object.assign(parameters, parseYamlParameters(flags.parametersYaml, '-y'));
  for (const pair of pairs) parameters[pair.name] = pair.raw ? pair.value : parseCliValue(pair.value);
  return parameters;
}

async function runNotebook(file: string, flags: RunFlags, pairs: { name: string; value: string; raw: boolean }[]): Promise<number> {
  const output = flags.output ?? join(dirname(file), `${basename(file, extname(file))}.output.ipynb`);
  const body = {
    kind: 'notebook',
    notebook: parseNotebook(readText(file, 'notebook'), file),
    notebookName: basename(file),
    parameters: collectParameters(flags, pairs),
    ...(flags.timeoutCell !== undefined ? { cellTimeoutSeconds: flags.timeoutCell } : {}),
    ...commonRequestFields(flags),
  };
  const outcome = await executeRun(body, flags, {
    showOutput: false,
    // The output notebook is written as the run goes (each write whole: a reader never sees half a file).
    onNotebook: (notebook) => writeOut(output, serializeNotebook(notebook)),
  });
  return finish(outcome, flags, [`output notebook: ${output}`]);
}

async function runRecipe(file: string, args: string[], flags: RunFlags): Promise<number> {
  const body = { kind: 'recipe', script: readText(file, 'script'), scriptName: basename(file), args, ...commonRequestFields(flags) };
  return finish(await executeRun(body, flags, { showOutput: true }), flags, []);
}

/** A file the user named; a missing one is an error that names it. */
function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new Error(`Cannot read the ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
}

/** Brings back the declared output files, says where things are, and gives the exit code. */
export async function finish(outcome: RunOutcome, flags: { artifactsDir?: string }, notes: string[]): Promise<number> {
  try {
    const written: string[] = [];
    for (const artifact of await outcome.artifacts()) {
      if (!artifact.path.startsWith('files/')) continue;
      const target = join(flags.artifactsDir ?? '.', artifact.path.slice('files/'.length));
      writeOut(target, await outcome.artifact(artifact.path));
      written.push(target);
    }
    for (const note of [...notes, ...(written.length ? [`output files: ${written.join(', ')}`] : [])])
      process.stderr.write(`[berth] ${note}\n`);
    return exitCodeOf(outcome.record);
  } finally {
    await outcome.close();
  }
}
