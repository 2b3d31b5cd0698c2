import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededUniform } from '../../support/seeded-random';
import type { RunRecord } from '../../../gateway/src/runner/run';
import type { RunLogEntry } from '../../../gateway/src/runner/run-log';
import { berth, buildGateway } from '../../support/berth-cli';
import { startTestGateway, type TestGateway } from '../../support/gateway-harness';
import { artifactText, base64, runToEnd, streamText } from '../../support/runs';

/**
 * ML runs (train, score, evaluate) through the REST API on an in-process gateway and the local
 * python3 kernel (Debian's scikit-learn and pandas), on small synthetic datasets made here from a
 * fixed seed; then the same chain through `berth ml` in process.
 */

jest.setTimeout(120_000);

// -------------------------------------------------------------------------------------------------
// Synthetic datasets: deterministic (seeded), small, with one column of pure noise that is not the
// last column of the file.

/** Standard normal numbers (Box-Muller), rounded to 4 decimals so CSV and Parquet carry the same values. */
function normal(seed: number): () => number {
  const next = seededUniform(seed);
  return () => {
    const u = 1 - next();
    const v = next();
    return Math.round(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * 1e4) / 1e4;
  };
}

interface Dataset {
  readonly columns: string[];
  readonly rows: (number | string)[][];
}

const GROUP_EFFECT: Record<string, number> = { a: 0, b: 1.5, c: -1.5 };

/** Classification: label = 1 when 1.6·x1 − 1.2·x2 + group effect + small noise > 0; `noise` plays no part. */
function classificationData(rows: number, seed: number): Dataset {
  const gauss = normal(seed);
  const pick = seededUniform(seed + 1);
  const data: (number | string)[][] = [];
  for (let i = 0; i < rows; i++) {
    const x1 = gauss();
    const noise = gauss();
    const group = ['a', 'b', 'c'][Math.floor(pick() * 3)]!;
    const x2 = gauss();
    const label = 1.6 * x1 - 1.2 * x2 + GROUP_EFFECT[group]! + 0.3 * gauss() > 0 ? 1 : 0;
    data.push([x1, noise, group, x2, label]);
  }
  return { columns: ['x1', 'noise', 'group', 'x2', 'label'], rows: data };
}

/** Regression: y = 3·x1 − 2·x2 + x3 + small noise; `noise` plays no part. */
function regressionData(rows: number, seed: number): Dataset {
  const gauss = normal(seed);
  const data: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const [x1, noise, x2, x3] = [gauss(), gauss(), gauss(), gauss()];
    data.push([x1, noise, x2, x3, Math.round((3 * x1 - 2 * x2 + x3 + 0.4 * gauss()) * 1e4) / 1e4]);
  }
  return { columns: ['x1', 'noise', 'x2', 'x3', 'y'], rows: data };
}

function toCsv(dataset: Dataset, columns: string[] = dataset.columns): string {
  const indexes = columns.map((column) => dataset.columns.indexOf(column));
  return [columns.join(','), ...dataset.rows.map((row) => indexes.map((index) => String(row[index])).join(','))].join('\n') + '\n';
}

async function toParquet(dataset: Dataset): Promise<Buffer> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const column = (name: string) => dataset.rows.map((row) => row[dataset.columns.indexOf(name)]);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'x1', data: column('x1'), type: 'DOUBLE' },
      { name: 'noise', data: column('noise'), type: 'DOUBLE' },
      { name: 'group', data: column('group'), type: 'STRING' },
      { name: 'x2', data: column('x2'), type: 'DOUBLE' },
      { name: 'label', data: column('label'), type: 'INT32' },
    ],
  });
  return Buffer.from(buffer);
}

/** Parses the CSV berth_ml writes (no quoted fields in these datasets). */
function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
  return { header: header!, rows };
}

const CLASSIFICATION = classificationData(300, 11);
const REGRESSION = regressionData(240, 23);
/** Fresh rows from the same process, for score and evaluate. */
const NEW_CLASSIFICATION = classificationData(80, 97);

interface ClassificationMetrics {
  task: string;
  accuracy: number;
  evaluatedOn: string;
  trainRows: number;
  testRows: number;
  confusionMatrix: { labels: unknown[]; matrix: number[][] };
  [key: string]: unknown;
}

// -------------------------------------------------------------------------------------------------

describe('ML runs (REST API, local python3 kernel)', () => {
  let gw: TestGateway;
  const csvMetrics: Record<string, ClassificationMetrics> = {};
  /** The three first trainings run at once (different model names); each test checks its own. */
  let trainings: Record<'logistic' | 'boosting' | 'linear', Promise<{ record: RunRecord; entries: RunLogEntry[] }>>;

  beforeAll(async () => {
    // The gateway (in this process) and the test share one event loop: load the Parquet modules
    // (transformed by ts-jest on first import, which takes seconds) before any connection is open.
    await Promise.all([import('hyparquet'), import('hyparquet-compressors'), import('hyparquet-writer')]);
    gw = await startTestGateway();
    trainings = {
      logistic: runToEnd(gw, train({ target: 'label', algorithm: 'logistic_regression', modelName: 'churn' })),
      boosting: runToEnd(
        gw,
        train({
          target: 'label',
          algorithm: 'gradient_boosting',
          modelName: 'churn-gb',
          params: { n_estimators: 40, max_depth: 2, learning_rate: 0.3 },
        }),
      ),
      linear: runToEnd(
        gw,
        train({ target: 'y', algorithm: 'linear_regression', modelName: 'spend' }, { name: 'spend.csv', content: toCsv(REGRESSION) }),
      ),
    };
    for (const pending of Object.values(trainings)) pending.catch(() => undefined); // reported by its own test
  });
  afterAll(async () => {
    await gw.stop();
  });

  /** A training request with the dataset as its input file. */
  function train(
    ml: Record<string, unknown>,
    dataset: { name: string; content: string | Buffer } = { name: 'customers.csv', content: toCsv(CLASSIFICATION) },
  ) {
    return {
      kind: 'ml',
      ml: { action: 'train', dataset: dataset.name, ...ml },
      inputs: [{ path: dataset.name, content: base64(dataset.content) }],
    };
  }

  function apply(action: 'score' | 'evaluate', model: string, name: string, content: string) {
    return { kind: 'ml', ml: { action, dataset: name, model }, inputs: [{ path: name, content: base64(content) }] };
  }

  async function json<T>(id: string, path: string): Promise<T> {
    return JSON.parse(await artifactText(gw, id, path)) as T;
  }

  /** The run's record once it ended; fails the test with the run's failure and log unless it succeeded. */
  async function succeeded(run: Record<string, unknown> | Promise<{ record: RunRecord; entries: RunLogEntry[] }>): Promise<RunRecord> {
    const { record, entries } = await (run instanceof Promise ? run : runToEnd(gw, run));
    if (record.status !== 'succeeded')
      throw new Error(`run ${record.status}: ${record.failure?.message}\n${streamText(entries, 'stdout')}`);
    return record;
  }

  async function models(): Promise<{ name: string; version: number; runId: string; owner: string; summary: Record<string, unknown> }[]> {
    const response = await gw.api('api/berth/models');
    expect(response.status).toBe(200);
    return ((await response.json()) as { models: never[] }).models;
  }

  test('logistic_regression: accuracy > 0.85 on the hold-out; metrics.json, feature_importances.json (noise last), model.json', async () => {
    const { record, entries } = await trainings.logistic;
    expect(record.status).toBe('succeeded');
    expect(record).toMatchObject({ kind: 'ml', name: 'ml train churn', kernelName: 'python3', execConfig: 'local' });
    expect(streamText(entries, 'stdout')).toContain(
      '[ml] training logistic_regression (classification) on 240 rows, 4 features (3 numeric, 1 categorical)',
    );
    expect(streamText(entries, 'system')).toContain('Model churn version 1 kept.');

    const artifacts = ((await (await gw.api(`api/berth/runs/${record.id}/artifacts`)).json()) as { artifacts: { path: string }[] })
      .artifacts;
    expect(artifacts.map((artifact) => artifact.path).sort()).toEqual([
      'feature_importances.json',
      'metrics.json',
      'model.json',
      'model.pkl',
    ]);

    const metrics = await json<ClassificationMetrics>(record.id, 'metrics.json');
    expect(metrics).toMatchObject({ task: 'classification', evaluatedOn: 'holdout', trainRows: 240, testRows: 60 });
    expect(metrics.accuracy).toBeGreaterThan(0.85);
    expect(metrics.confusionMatrix.labels).toEqual([0, 1]);
    expect(metrics.confusionMatrix.matrix.flat().reduce((sum, count) => sum + count, 0)).toBe(60);
    csvMetrics['logistic_regression'] = metrics;

    const importances = await json<{ feature: string; importance: number }[]>(record.id, 'feature_importances.json');
    expect(importances.map((item) => item.feature).sort()).toEqual(['group', 'noise', 'x1', 'x2']);
    expect(importances.at(-1)!.feature).toBe('noise');

    const model = await json<Record<string, unknown>>(record.id, 'model.json');
    expect(model).toMatchObject({
      modelName: 'churn',
      version: 1,
      algorithm: 'logistic_regression',
      estimator: 'LogisticRegression',
      task: 'classification',
      target: 'label',
      features: ['x1', 'noise', 'group', 'x2'],
      numericFeatures: ['x1', 'noise', 'x2'],
      categoricalFeatures: ['group'],
      classes: [0, 1],
      dataset: 'customers.csv',
    });
  });

  test('gradient_boosting with estimator params: accuracy > 0.85, noise least important', async () => {
    const record = await succeeded(trainings.boosting);
    const metrics = await json<ClassificationMetrics>(record.id, 'metrics.json');
    expect(metrics.accuracy).toBeGreaterThan(0.85);
    expect(typeof metrics['roc_auc']).toBe('number');
    const importances = await json<{ feature: string; importance: number }[]>(record.id, 'feature_importances.json');
    expect(importances.at(-1)!.feature).toBe('noise');
    expect(importances.reduce((sum, item) => sum + item.importance, 0)).toBeCloseTo(1, 6);
    expect(await json(record.id, 'model.json')).toMatchObject({
      estimator: 'GradientBoostingClassifier',
      params: { n_estimators: 40, max_depth: 2, learning_rate: 0.3 },
    });
  });

  test('linear_regression: r2 > 0.9 on the hold-out, noise least important', async () => {
    const record = await succeeded(trainings.linear);
    const metrics = await json<Record<string, number | string>>(record.id, 'metrics.json');
    expect(metrics).toMatchObject({ task: 'regression', evaluatedOn: 'holdout', trainRows: 192, testRows: 48 });
    expect(metrics['r2']).toBeGreaterThan(0.9);
    expect(metrics['rmse']).toBeLessThan(1);
    const importances = await json<{ feature: string; importance: number }[]>(record.id, 'feature_importances.json');
    expect(importances.map((item) => item.feature)).toEqual(['x1', 'x2', 'x3', 'noise']);
    expect(await json(record.id, 'model.json')).toMatchObject({ estimator: 'LinearRegression', task: 'regression', classes: null });
  });

  test('GET /api/berth/models lists the versions; retraining a name makes version 2', async () => {
    const before = await models();
    expect(before.map((model) => `${model.name}:${model.version}`)).toEqual(['churn:1', 'churn-gb:1', 'spend:1']);
    expect(before[0]).toMatchObject({
      owner: 'default',
      summary: { algorithm: 'logistic_regression', task: 'classification', version: 1, target: 'label' },
    });

    const retrained = await succeeded(train({ target: 'label', algorithm: 'logistic_regression', modelName: 'churn', params: { C: 0.5 } }));
    expect(await json(retrained.id, 'model.json')).toMatchObject({ modelName: 'churn', version: 2, params: { C: 0.5 } });
    const after = await models();
    expect(after.filter((model) => model.name === 'churn').map((model) => [model.version, model.runId])).toEqual([
      [1, before[0]!.runId],
      [2, retrained.id],
    ]);
  });

  test('score writes predictions.csv: one row per input row, a prediction column (latest version, or name:version)', async () => {
    const unlabelled = toCsv(NEW_CLASSIFICATION, ['x1', 'noise', 'group', 'x2']);
    const [latest, pinned] = await Promise.all([
      succeeded(apply('score', 'churn', 'incoming.csv', unlabelled)),
      succeeded(apply('score', 'churn:1', 'incoming.csv', unlabelled)),
    ]);
    expect(latest.request).toMatchObject({ ml: { action: 'score', model: 'churn:2' } });
    const artifacts = ((await (await gw.api(`api/berth/runs/${latest.id}/artifacts`)).json()) as { artifacts: { path: string }[] })
      .artifacts;
    expect(artifacts.map((artifact) => artifact.path)).toEqual(['predictions.csv']);
    const { header, rows } = parseCsv(await artifactText(gw, latest.id, 'predictions.csv'));
    expect(header).toEqual(['x1', 'noise', 'group', 'x2', 'prediction', 'proba_0', 'proba_1']);
    expect(rows).toHaveLength(NEW_CLASSIFICATION.rows.length);
    const predictions = rows.map((row) => Number(row[4]));
    expect(new Set(predictions)).toEqual(new Set([0, 1]));
    const agreeing = predictions.filter((prediction, index) => prediction === NEW_CLASSIFICATION.rows[index]![4]).length;
    expect(agreeing / predictions.length).toBeGreaterThan(0.85);
    for (const row of rows) expect(Number(row[5]) + Number(row[6])).toBeCloseTo(1, 6);

    expect(pinned.request).toMatchObject({ ml: { model: 'churn:1' } });
    expect(parseCsv(await artifactText(gw, pinned.id, 'predictions.csv')).rows).toHaveLength(NEW_CLASSIFICATION.rows.length);
  });

  test('evaluate gives metrics on a labelled dataset', async () => {
    const [record, regression] = await Promise.all([
      succeeded(apply('evaluate', 'churn-gb', 'labelled.csv', toCsv(NEW_CLASSIFICATION))),
      succeeded(apply('evaluate', 'spend', 'more-spend.csv', toCsv(regressionData(60, 5)))),
    ]);
    const metrics = await json<ClassificationMetrics>(record.id, 'metrics.json');
    expect(metrics).toMatchObject({ task: 'classification', evaluatedOn: 'dataset', rows: 80, modelName: 'churn-gb', version: 1 });
    expect(metrics.accuracy).toBeGreaterThan(0.85);
    expect(metrics.confusionMatrix.matrix.flat().reduce((sum, count) => sum + count, 0)).toBe(80);
    const regressionMetrics = await json<Record<string, unknown>>(regression.id, 'metrics.json');
    expect(regressionMetrics).toMatchObject({ task: 'regression', rows: 60 });
    expect(regressionMetrics['r2']).toBeGreaterThan(0.9);
  });

  test('a Parquet dataset trains like its CSV twin: the same metrics', async () => {
    expect(csvMetrics['logistic_regression']).toBeDefined();
    const parquet = await toParquet(CLASSIFICATION);
    expect(parquet.subarray(0, 4).toString('latin1')).toBe('PAR1');
    const record = await succeeded(
      train(
        { target: 'label', algorithm: 'logistic_regression', modelName: 'churn-parquet' },
        { name: 'customers.parquet', content: parquet },
      ),
    );
    expect(await json(record.id, 'metrics.json')).toEqual(csvMetrics['logistic_regression']);
    expect(await json(record.id, 'model.json')).toMatchObject({
      dataset: 'customers.csv',
      features: ['x1', 'noise', 'group', 'x2'],
      categoricalFeatures: ['group'],
    });
  });

  describe('errors', () => {
    async function refused(body: Record<string, unknown>): Promise<{ status: number; message: string }> {
      const response = await gw.api('api/berth/runs', { method: 'POST', body: JSON.stringify(body) });
      return { status: response.status, message: ((await response.json()) as { message: string }).message };
    }

    async function failed(body: Record<string, unknown>): Promise<RunRecord> {
      const { record } = await runToEnd(gw, body);
      expect(record.status).toBe('failed');
      return record;
    }

    test('an unknown model is 404 at submit, naming berth ml train', async () => {
      const runsBefore = ((await (await gw.api('api/berth/runs')).json()) as { runs: unknown[] }).runs.length;
      const unknown = await refused(apply('score', 'no-such-model', 'incoming.csv', toCsv(NEW_CLASSIFICATION)));
      expect(unknown.status).toBe(404);
      expect(unknown.message).toContain('No model "no-such-model"');
      expect(unknown.message).toContain('berth ml train --model-name no-such-model');
      const version = await refused(apply('evaluate', 'churn:99', 'labelled.csv', toCsv(NEW_CLASSIFICATION)));
      expect(version).toMatchObject({ status: 404, message: expect.stringContaining('No model "churn:99"') });
      expect(((await (await gw.api('api/berth/runs')).json()) as { runs: unknown[] }).runs.length).toBe(runsBefore);
    });

    test('a missing target column fails the run with a message listing the columns', async () => {
      const record = await failed(train({ target: 'churned', algorithm: 'random_forest', modelName: 'no-target' }));
      expect(record.failure!.message).toBe(
        'BerthMlError: target column churned is not in customers.csv: its columns are x1, noise, group, x2, label',
      );
      expect((await models()).map((model) => model.name)).not.toContain('no-target');
    });

    test('an unknown estimator parameter fails the run naming the valid ones', async () => {
      const record = await failed(
        train({ target: 'label', algorithm: 'gradient_boosting', modelName: 'bad-param', params: { n_estimatorz: 5 } }),
      );
      expect(record.failure!.message).toContain('unknown parameter for gradient_boosting (GradientBoostingClassifier): n_estimatorz');
      expect(record.failure!.message).toMatch(/Valid parameters: .*learning_rate.*max_depth.*n_estimators/);
    });

    test('a dataset that is not among the inputs is 400', async () => {
      const body = train({ target: 'label', algorithm: 'logistic_regression', modelName: 'nowhere' });
      const response = await refused({ ...body, ml: { ...body.ml, dataset: 'elsewhere.csv' } });
      expect(response.status).toBe(400);
      expect(response.message).toBe(
        'The ML dataset "elsewhere.csv" is not among the run\'s input files (customers.csv). Send it as an input.',
      );
    });
  });

  test('two trainings of one model name at once get two versions, each with its own files', async () => {
    const [first, second] = await Promise.all([
      runToEnd(gw, train({ target: 'label', algorithm: 'logistic_regression', modelName: 'concurrent', params: { C: 1 } })),
      runToEnd(gw, train({ target: 'label', algorithm: 'logistic_regression', modelName: 'concurrent', params: { C: 0.01 } })),
    ]);
    expect([first.record.status, first.record.failure?.message, second.record.status, second.record.failure?.message]).toEqual([
      'succeeded',
      undefined,
      'succeeded',
      undefined,
    ]);
    const versions = (await models()).filter((model) => model.name === 'concurrent');
    expect(versions.map((model) => model.version)).toEqual([1, 2]);
    // Each version's stored files are its own run's.
    for (const version of versions) {
      const stored = readFileSync(join(gw.dataDir, 'models', 'concurrent', String(version.version), 'model.json'), 'utf8');
      expect(stored).toBe(await artifactText(gw, version.runId, 'model.json'));
    }
  });
});

// -------------------------------------------------------------------------------------------------

describe('berth ml in process (train, then score with the kept model)', () => {
  let dir: string;

  beforeAll(() => {
    buildGateway();
    dir = mkdtempSync(join(tmpdir(), 'berth-ml-cli-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'customers.csv'), toCsv(CLASSIFICATION));
    writeFileSync(join(dir, 'data', 'incoming.csv'), toCsv(NEW_CLASSIFICATION, ['x1', 'noise', 'group', 'x2']));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('berth ml train … --data-dir D, then berth ml score … --model NAME --data-dir D writes predictions.csv', async () => {
    const trained = await berth(
      [
        ...['ml', 'train', 'data/customers.csv', '--target', 'label', '--algorithm', 'random_forest', '--model-name', 'cli-forest'],
        ...['--param', 'n_estimators=15', '--param', 'max_depth=5', '--data-dir', 'store', '--artifacts-dir', 'trained'],
      ],
      { cwd: dir },
    );
    expect(trained.stderr).toContain('succeeded');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain('[ml] training random_forest (classification) on 240 rows');
    expect(trained.stderr).toContain('Model cli-forest version 1 kept.');
    const model = JSON.parse(readFileSync(join(dir, 'trained', 'model.json'), 'utf8'));
    expect(model).toMatchObject({
      modelName: 'cli-forest',
      version: 1,
      estimator: 'RandomForestClassifier',
      params: { n_estimators: 15, max_depth: 5 },
    });
    expect(JSON.parse(readFileSync(join(dir, 'trained', 'metrics.json'), 'utf8')).accuracy).toBeGreaterThan(0.85);
    expect(existsSync(join(dir, 'trained', 'feature_importances.json'))).toBe(true);
    expect(existsSync(join(dir, 'store', 'models', 'cli-forest', '1', 'model.pkl'))).toBe(true);

    const scored = await berth(
      ['ml', 'score', 'data/incoming.csv', '--model', 'cli-forest', '--data-dir', 'store', '--artifacts-dir', 'scored'],
      {
        cwd: dir,
      },
    );
    expect(scored.stderr).toContain('succeeded');
    expect(scored.code).toBe(0);
    expect(scored.stderr).toContain('wrote scored/predictions.csv');
    const { header, rows } = parseCsv(readFileSync(join(dir, 'scored', 'predictions.csv'), 'utf8'));
    expect(header).toContain('prediction');
    expect(rows).toHaveLength(NEW_CLASSIFICATION.rows.length);
  });

  test('berth ml score with a model the data dir does not have: a clear error, non-zero exit', async () => {
    const result = await berth(['ml', 'score', 'data/incoming.csv', '--model', 'never-trained', '--data-dir', 'store'], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('No model "never-trained". Train one first: berth ml train --model-name never-trained');
  });
});
