/**
 * papermill's `-p NAME VALUE` and `-r NAME VALUE` take two values each, which commander cannot
 * express: they are taken out of argv before commander parses the rest.
 */
export interface ParameterArgs {
  readonly argv: string[];
  /** In command-line order; `raw` ones keep their value as a string (papermill's -r). */
  readonly pairs: { name: string; value: string; raw: boolean }[];
}

const TYPED = new Set(['-p', '--parameters']);
const RAW = new Set(['-r', '--parameters_raw', '--parameters-raw']);

export function takeParameterArgs(argv: readonly string[]): ParameterArgs {
  const rest: string[] = [];
  const pairs: { name: string; value: string; raw: boolean }[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      rest.push(...argv.slice(index));
      break;
    }
    if (TYPED.has(arg) || RAW.has(arg)) {
      const name = argv[index + 1];
      const value = argv[index + 2];
      if (name === undefined || value === undefined) throw new Error(`${arg} takes two values: ${arg} NAME VALUE`);
      pairs.push({ name, value, raw: RAW.has(arg) });
      index += 2;
      continue;
    }
    rest.push(arg);
  }
  return { argv: rest, pairs };
}
