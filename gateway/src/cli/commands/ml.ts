import { Command, Option } from 'commander';
import { addCommonRunFlags, type CommonRunFlags } from '../run/run-flags';

export interface MlFlags extends CommonRunFlags {
  target?: string;
  algorithm?: string;
  param?: string[];
  features?: string;
  testSize?: number;
  seed?: number;
  modelName?: string;
  model?: string;
}

const actions = () => import('./ml-actions');

/** `berth ml`: train, score and evaluate scikit-learn models in a code env's kernel, as batch runs. */
export function mlCommand(): Command {
  const command = new Command('ml').description(
    'Train, score and evaluate scikit-learn models as batch runs (in process or through a gateway)',
  );
  addCommonRunFlags(
    command
      .command('train')
      .description('Train a model on a CSV or Parquet dataset; metrics on a hold-out split; a new version of the model name each time')
      .argument('<dataset>', 'CSV or Parquet file')
      .addOption(new Option('--target <column>', 'the column to predict').makeOptionMandatory())
      .addOption(
        new Option('--algorithm <name>', 'the estimator')
          .choices(['logistic_regression', 'linear_regression', 'random_forest', 'gradient_boosting'])
          .makeOptionMandatory(),
      )
      .addOption(new Option('--model-name <name>', 'name to keep the model under').makeOptionMandatory())
      .addOption(
        new Option('--task <task>', 'classification or regression (default: from the algorithm and target)').choices([
          'classification',
          'regression',
        ]),
      )
      .addOption(
        new Option('--param <name=value>', 'estimator parameter, value as YAML (repeatable)').argParser(
          (value: string, previous: string[] = []) => [...previous, value],
        ),
      )
      .addOption(new Option('--features <columns>', 'comma-separated input columns (default: all but the target)'))
      .addOption(new Option('--test-size <fraction>', 'hold-out share').argParser(Number))
      .addOption(new Option('--seed <n>', 'random seed').argParser(Number)),
  ).action(async (dataset: string, flags: MlFlags) => {
    process.exitCode = await (await actions()).mlRun('train', dataset, flags);
  });
  for (const action of ['score', 'evaluate'] as const) {
    addCommonRunFlags(
      command
        .command(action)
        .description(
          action === 'score' ? 'Write predictions for a dataset (predictions.csv)' : 'Compute metrics on a labelled dataset (metrics.json)',
        )
        .argument('<dataset>', 'CSV or Parquet file')
        .addOption(new Option('--model <name[:version]>', 'the model (latest version when none is given)').makeOptionMandatory()),
    ).action(async (dataset: string, flags: MlFlags) => {
      process.exitCode = await (await actions()).mlRun(action, dataset, flags);
    });
  }
  command
    .command('models')
    .description("The gateway's models and their versions")
    .addOption(new Option('--gateway <url>', 'the gateway (env BERTH_GATEWAY_URL; default http://127.0.0.1:8888)'))
    .addOption(new Option('--token <token>', 'its token (env BERTH_TOKEN)'))
    .addOption(new Option('--json', 'print JSON'))
    .action(async (flags: { gateway?: string; token?: string; json?: boolean }) => (await actions()).listModels(flags));
  return command;
}
