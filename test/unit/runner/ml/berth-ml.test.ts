import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalFrom, seededUniform } from '../../../support/seeded-random';

// berth_ml.py is what the gateway sends to a kernel: these tests run it under Debian's Python
// (python3-sklearn and python3-pandas) the same way, its source exec'd and berth_ml_main called.
const PYTHON = '/usr/bin/python3';
const BERTH_ML = join(__dirname, '..', '..', '..', '..', 'gateway', 'src', 'runner', 'ml', 'berth_ml.py');

// Runs a list of specs in one interpreter (sklearn imports once), each with its own captured log.
const DRIVER = `
import contextlib, io, json, sys
namespace = {}
with open(sys.argv[1], encoding='utf-8') as handle:
    exec(compile(handle.read(), 'berth_ml.py', 'exec'), namespace)
results = []
for spec in json.load(sys.stdin):
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            value = namespace['berth_ml_main'](spec)
        results.append({'value': value, 'log': log.getvalue()})
    except Exception as error:
        results.append({'error': {'type': type(error).__name__, 'message': str(error)}, 'log': log.getvalue()})
print('@@results@@' + json.dumps(results))
`;

interface Outcome {
  readonly value?: Record<string, unknown>;
  readonly error?: { type: string; message: string };
  readonly log: string;
}

type Spec = Record<string, unknown>;

function runSpecs(cwd: string, specs: Spec[]): Outcome[] {
  const proc = spawnSync(PYTHON, ['-c', DRIVER, BERTH_ML], { cwd, input: JSON.stringify(specs), encoding: 'utf8', timeout: 120_000 });
  const line = proc.stdout?.split('\n').find((l) => l.startsWith('@@results@@'));
  if (proc.status !== 0 || line === undefined) {
    throw new Error(`python driver failed (status ${proc.status}); is python3-sklearn installed?\n${proc.stdout}\n${proc.stderr}`);
  }
  return JSON.parse(line.slice('@@results@@'.length)) as Outcome[];
}

/** The value of a run that must succeed (its error and log otherwise). */
function ok(outcome: Outcome): Record<string, unknown> {
  if (outcome.error !== undefined || outcome.value === undefined) {
    throw new Error(`expected success, got ${outcome.error?.type}: ${outcome.error?.message}\n${outcome.log}`);
  }
  return outcome.value;
}

/** The error message of a run that must fail. */
function failure(outcome: Outcome): string {
  if (outcome.error === undefined) throw new Error(`expected an error, got ${JSON.stringify(outcome.value)}\n${outcome.log}`);
  return outcome.error.message;
}

const COLORS = ['red', 'green', 'blue'] as const;
const COLOR_EFFECT: Record<(typeof COLORS)[number], number> = { red: 2, green: 0, blue: -2 };

/** y = 1 when 2*x1 - x2 + effect(color) + noise > 0; `noise` is a column the label ignores. */
function classificationCsv(rows: number, seed: number, withTarget = true): string {
  const random = seededUniform(seed);
  const gauss = normalFrom(random);
  const lines = [withTarget ? 'x1,x2,color,noise,label' : 'x1,x2,color,noise'];
  for (let i = 0; i < rows; i++) {
    const x1 = gauss();
    const x2 = gauss();
    const color = COLORS[Math.floor(random() * COLORS.length)];
    const noise = gauss();
    const label = 2 * x1 - x2 + COLOR_EFFECT[color] + 0.3 * gauss() > 0 ? 1 : 0;
    const cells = [x1.toFixed(5), x2.toFixed(5), color, noise.toFixed(5)];
    lines.push((withTarget ? [...cells, String(label)] : cells).join(','));
  }
  return lines.join('\n') + '\n';
}

/** y = 3*x1 + 2*x2 + noise; `noise` is a column y ignores. */
function regressionCsv(rows: number, seed: number): string {
  const gauss = normalFrom(seededUniform(seed));
  const lines = ['x1,x2,noise,y'];
  for (let i = 0; i < rows; i++) {
    const x1 = gauss();
    const x2 = gauss();
    const noise = gauss();
    const y = 3 * x1 + 2 * x2 + 0.5 * gauss();
    lines.push([x1, x2, noise, y].map((v) => v.toFixed(5)).join(','));
  }
  return lines.join('\n') + '\n';
}

const readJson = <T = Record<string, unknown>>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

interface Importance {
  feature: string;
  importance: number;
}

const CLASSIFIERS: [string, Spec][] = [
  ['logistic_regression', {}],
  ['random_forest', { n_estimators: 30 }],
  ['gradient_boosting', { n_estimators: 50 }],
];
const REGRESSORS: [string, Spec][] = [
  ['linear_regression', {}],
  ['random_forest', { n_estimators: 30 }],
  ['gradient_boosting', { n_estimators: 50 }],
];

let dir: string;
// One interpreter run for the whole suite: trainings, then scoring, evaluation and the errors.
let outcomes: Outcome[];
const at: Record<string, number> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-ml-'));
  writeFileSync(join(dir, 'train.csv'), classificationCsv(400, 1));
  writeFileSync(join(dir, 'unlabelled.csv'), classificationCsv(50, 2, false));
  writeFileSync(join(dir, 'labelled.csv'), classificationCsv(200, 3));
  writeFileSync(join(dir, 'houses.csv'), regressionCsv(400, 4));
  writeFileSync(join(dir, 'no-color.csv'), 'x1,x2,noise\n0.1,0.2,0.3\n');

  const specs: Spec[] = [];
  const add = (name: string, spec: Spec) => {
    at[name] = specs.length;
    specs.push(spec);
  };
  for (const [algorithm, params] of CLASSIFIERS) {
    add(`classify ${algorithm}`, {
      action: 'train',
      dataset: 'train.csv',
      target: 'label',
      algorithm,
      params,
      outputDir: `models/cls-${algorithm}/v1`,
      modelName: `cls-${algorithm}`,
      version: 1,
    });
  }
  for (const [algorithm, params] of REGRESSORS) {
    add(`regress ${algorithm}`, {
      action: 'train',
      dataset: 'houses.csv',
      target: 'y',
      algorithm,
      params,
      outputDir: `models/reg-${algorithm}/v1`,
      modelName: `reg-${algorithm}`,
      version: 1,
    });
  }
  add('retrain', {
    action: 'train',
    dataset: 'train.csv',
    target: 'label',
    algorithm: 'random_forest',
    params: { n_estimators: 20, max_depth: 6 },
    seed: 7,
    outputDir: 'models/cls-random_forest/v2',
    modelName: 'cls-random_forest',
    version: 2,
  });
  add('score', { action: 'score', dataset: 'unlabelled.csv', model: 'models/cls-random_forest/v2/model.pkl', outputDir: 'scored' });
  add('evaluate', { action: 'evaluate', dataset: 'labelled.csv', model: 'models/cls-logistic_regression/v1/model.pkl', outputDir: 'eval' });
  add('evaluate regression', {
    action: 'evaluate',
    dataset: 'houses.csv',
    model: 'models/reg-linear_regression/v1/model.pkl',
    outputDir: 'eval-reg',
  });
  add('unknown param', {
    action: 'train',
    dataset: 'train.csv',
    target: 'label',
    algorithm: 'random_forest',
    params: { n_tree: 10 },
    outputDir: 'bad',
  });
  add('missing target', { action: 'train', dataset: 'train.csv', target: 'outcome', algorithm: 'random_forest', outputDir: 'bad' });
  add('missing features', { action: 'score', dataset: 'no-color.csv', model: 'models/cls-random_forest/v2/model.pkl', outputDir: 'bad' });
  add('evaluate unlabelled', {
    action: 'evaluate',
    dataset: 'unlabelled.csv',
    model: 'models/cls-random_forest/v2/model.pkl',
    outputDir: 'bad',
  });
  add('wrong algorithm for task', {
    action: 'train',
    dataset: 'train.csv',
    target: 'label',
    algorithm: 'linear_regression',
    task: 'classification',
    outputDir: 'bad',
  });
  add('missing dataset', { action: 'train', dataset: 'nowhere.csv', target: 'label', algorithm: 'random_forest', outputDir: 'bad' });
  outcomes = runSpecs(dir, specs);
}, 120_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const outcome = (name: string): Outcome => outcomes[at[name]];

function expectNoiseLast(importancesPath: string, features: string[]) {
  const importances = readJson<Importance[]>(importancesPath);
  // One entry per ORIGINAL column (one-hot parts summed back), sorted highest first.
  expect(importances.map((i) => i.feature).sort()).toEqual([...features].sort());
  for (let i = 1; i < importances.length; i++) expect(importances[i - 1].importance).toBeGreaterThanOrEqual(importances[i].importance);
  expect(importances[importances.length - 1].feature).toBe('noise');
  const noise = importances[importances.length - 1].importance;
  for (const entry of importances.slice(0, -1)) expect(entry.importance).toBeGreaterThan(noise);
}

describe('berth_ml train: classification', () => {
  test.each(CLASSIFIERS.map(([algorithm]) => algorithm))(
    '%s beats 0.85 hold-out accuracy, with the label signal above noise',
    (algorithm) => {
      const run = outcome(`classify ${algorithm}`);
      const metrics = ok(run);
      const out = join(dir, `models/cls-${algorithm}/v1`);
      expect(metrics.task).toBe('classification');
      expect(metrics.accuracy).toBeGreaterThan(0.85);
      expect(metrics.roc_auc).toBeGreaterThan(0.9);
      expect(metrics.log_loss).toBeGreaterThan(0);
      for (const key of ['precision_macro', 'recall_macro', 'f1_macro', 'precision_weighted', 'recall_weighted', 'f1_weighted']) {
        expect(metrics[key]).toBeGreaterThan(0.8);
        expect(metrics[key]).toBeLessThanOrEqual(1);
      }
      expect(metrics).toMatchObject({ trainRows: 320, testRows: 80, evaluatedOn: 'holdout' });
      const confusion = metrics.confusionMatrix as { labels: unknown[]; matrix: number[][] };
      expect(confusion.labels).toEqual([0, 1]);
      expect(confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(80);

      expect(readJson(join(out, 'metrics.json'))).toEqual(metrics);
      expect(existsSync(join(out, 'model.pkl'))).toBe(true);
      expectNoiseLast(join(out, 'feature_importances.json'), ['x1', 'x2', 'color', 'noise']);
      expect(readJson(join(out, 'model.json'))).toMatchObject({
        modelName: `cls-${algorithm}`,
        version: 1,
        algorithm,
        task: 'classification',
        target: 'label',
        features: ['x1', 'x2', 'color', 'noise'],
        categoricalFeatures: ['color'],
        classes: [0, 1],
        trainedRows: 320,
        metrics: { accuracy: metrics.accuracy },
      });

      expect(run.log).toContain('[ml] reading train.csv: 400 rows, 5 columns');
      expect(run.log).toContain(`[ml] training ${algorithm} (classification) on 320 rows`);
      expect(run.log).toMatch(/\[ml\] hold-out accuracy 0\.\d{3}/);
      expect(run.log).toContain(`[ml] wrote models/cls-${algorithm}/v1/model.pkl`);
    },
  );
});

describe('berth_ml train: regression', () => {
  test.each(REGRESSORS.map(([algorithm]) => algorithm))('%s beats 0.9 hold-out r2, with x1 and x2 above noise', (algorithm) => {
    const run = outcome(`regress ${algorithm}`);
    const metrics = ok(run);
    const out = join(dir, `models/reg-${algorithm}/v1`);
    expect(metrics.task).toBe('regression');
    expect(metrics.r2).toBeGreaterThan(0.9);
    expect(metrics.rmse).toBeGreaterThan(0);
    expect(metrics.rmse).toBeLessThan(1.5);
    expect(metrics.mae).toBeGreaterThan(0);
    expect(metrics.mae).toBeLessThanOrEqual(metrics.rmse as number);
    expect(metrics).toMatchObject({ trainRows: 320, testRows: 80 });
    expectNoiseLast(join(out, 'feature_importances.json'), ['x1', 'x2', 'noise']);
    // y = 3*x1 + 2*x2: x1 matters most.
    expect(readJson<Importance[]>(join(out, 'feature_importances.json'))[0].feature).toBe('x1');
    expect(readJson(join(out, 'model.json'))).toMatchObject({ algorithm, task: 'regression', target: 'y', classes: null });
    expect(run.log).toContain(`[ml] training ${algorithm} (regression) on 320 rows`);
    expect(run.log).toMatch(/\[ml\] hold-out r2 0\.9\d\d/);
  });
});

describe('berth_ml retrain, score and evaluate', () => {
  test('retraining writes the version it is given, with its params', () => {
    ok(outcome('retrain'));
    const meta = readJson(join(dir, 'models/cls-random_forest/v2/model.json'));
    expect(meta).toMatchObject({ modelName: 'cls-random_forest', version: 2, params: { n_estimators: 20, max_depth: 6 }, seed: 7 });
    expect(readJson(join(dir, 'models/cls-random_forest/v1/model.json'))).toMatchObject({ version: 1 });
    // The pickle carries the version too: scoring with it logs v2.
    expect(outcome('score').log).toContain('cls-random_forest v2');
  });

  test('score writes one prediction per row, with the input columns and class probabilities', () => {
    expect(ok(outcome('score'))).toEqual({ rows: 50, outputFile: 'scored/predictions.csv' });
    const lines = readFileSync(join(dir, 'scored/predictions.csv'), 'utf8').trim().split('\n');
    expect(lines[0].split(',')).toEqual(['x1', 'x2', 'color', 'noise', 'prediction', 'proba_0', 'proba_1']);
    expect(lines).toHaveLength(51);
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      expect(['0', '1']).toContain(cells[4]);
      expect(Number(cells[5]) + Number(cells[6])).toBeCloseTo(1, 6);
    }
  });

  test('evaluate on labelled data computes the metrics on every row', () => {
    const metrics = ok(outcome('evaluate'));
    expect(metrics).toMatchObject({ task: 'classification', evaluatedOn: 'dataset', rows: 200, version: 1 });
    expect(metrics.accuracy).toBeGreaterThan(0.85);
    expect(metrics.roc_auc).toBeGreaterThan(0.9);
    const confusion = metrics.confusionMatrix as { matrix: number[][] };
    expect(confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(200);
    expect(readJson(join(dir, 'eval/metrics.json'))).toEqual(metrics);

    const regression = ok(outcome('evaluate regression'));
    expect(regression).toMatchObject({ task: 'regression', rows: 400 });
    expect(regression.r2).toBeGreaterThan(0.9);
  });
});

describe('berth_ml errors say what is wrong and what to do', () => {
  test('unknown params are rejected with the valid ones listed', () => {
    const message = failure(outcome('unknown param'));
    expect(message).toMatch(/unknown parameter for random_forest .*n_tree/);
    expect(message).toMatch(/Valid parameters: .*max_depth.*n_estimators/);
    expect(existsSync(join(dir, 'bad', 'model.pkl'))).toBe(false);
  });

  test('a missing target column lists the columns', () => {
    expect(failure(outcome('missing target'))).toBe(
      'target column outcome is not in train.csv: its columns are x1, x2, color, noise, label',
    );
  });

  test('missing feature columns are named', () => {
    const message = failure(outcome('missing features'));
    expect(message).toContain("no-color.csv is missing the model's feature column color");
    expect(message).toContain('trained on x1, x2, color, noise');
  });

  test('evaluate needs the target column', () => {
    expect(failure(outcome('evaluate unlabelled'))).toMatch(/evaluate needs labelled data: target column label is not in unlabelled\.csv/);
  });

  test('an algorithm that cannot do the task, and a missing dataset', () => {
    expect(failure(outcome('wrong algorithm for task'))).toMatch(/linear_regression only does regression/);
    const missing = outcomes[at['missing dataset']];
    expect(missing.error?.type).toBe('FileNotFoundError');
    expect(missing.error?.message).toMatch(/dataset nowhere\.csv not found/);
  });
});
