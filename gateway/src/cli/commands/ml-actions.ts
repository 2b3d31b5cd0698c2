import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { GatewayClient, gatewayTarget } from '../run/gateway-client';
import { commonRequestFields } from '../run/run-flags';
import { executeRun, writeOut } from '../run/run-execution';
import { finish } from './run-actions';
import type { MlFlags } from './ml';

/** The files each action leaves in --artifacts-dir. */
const ACTION_OUTPUTS: Record<string, readonly string[]> = {
  train: ['model.json', 'metrics.json', 'feature_importances.json'],
  score: ['predictions.csv'],
  evaluate: ['metrics.json'],
};

function estimatorParams(pairs: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`--param takes name=value (e.g. --param n_estimators=100); got "${pair}"`);
    params[pair.slice(0, equals)] = parse(pair.slice(equals + 1)) as unknown;
  }
  return params;
}

/** Runs an ML action as a batch run; the dataset travels as an input file. Resolves with the exit code. */
export async function mlRun(action: 'train' | 'score' | 'evaluate', dataset: string, flags: MlFlags): Promise<number> {
  const name = basename(dataset);
  const ml =
    action === 'train'
      ? {
          action,
          dataset: name,
          target: flags.target,
          algorithm: flags.algorithm,
          modelName: flags.modelName,
          params: estimatorParams(flags.param ?? []),
          ...(flags.features ? { features: flags.features.split(',').map((column) => column.trim()) } : {}),
          ...(flags.testSize !== undefined ? { testSize: flags.testSize } : {}),
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        }
      : { action, dataset: name, model: flags.model };
  const common = commonRequestFields({ ...flags, input: [dataset, ...(flags.input ?? [])] });
  const outcome = await executeRun({ kind: 'ml', ml, ...common }, flags, { showOutput: true });
  const written: string[] = [];
  if (outcome.record.status === 'succeeded') {
    const available = new Set((await outcome.artifacts()).map((artifact) => artifact.path));
    for (const file of ACTION_OUTPUTS[action] ?? []) {
      if (!available.has(file)) continue;
      const target = join(flags.artifactsDir ?? '.', file);
      writeOut(target, await outcome.artifact(file));
      written.push(target);
    }
  }
  return finish(outcome, flags, written.length ? [`wrote ${written.join(', ')}`] : []);
}

export async function listModels(flags: { gateway?: string; token?: string; json?: boolean }): Promise<void> {
  const models = await new GatewayClient(gatewayTarget(flags)).models();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
    return;
  }
  for (const model of models) {
    const summary = model['summary'] as { algorithm?: string; task?: string } | undefined;
    process.stdout.write(
      `${String(model['name'])}:${String(model['version'])}  ${summary?.algorithm ?? ''} ${summary?.task ?? ''}  ${String(model['createdAt'])}\n`,
    );
  }
}
