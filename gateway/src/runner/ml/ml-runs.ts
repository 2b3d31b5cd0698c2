import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidInputError, NotFoundError } from '../../common/errors';
import type { Identity } from '../../execution/identity';
import type { ModelRecords } from '../../store/model-records';
import type { RunRequest } from '../run';
import type { RunJob, RunJobContext, RunJobOutcome } from '../run-job';
import { executeUntilStopped } from '../execute-until-stopped';
import { datasetToCsv } from './dataset-format';

/** The ML program sent to the kernel: one Python file (stdlib, numpy, pandas, scikit-learn). */
const PROGRAM_PATH = resolve(__dirname, '..', '..', '..', 'src', 'runner', 'ml', 'berth_ml.py');
/** Where the program writes, inside the run's working directory. */
const OUTPUT_DIR = 'berth-ml-output';
/** Where a model's files are staged for score and evaluate. */
const STAGED_MODEL = 'berth-ml-model/model.pkl';
/** The files a training leaves, kept per model version. */
const MODEL_FILES = ['model.pkl', 'model.json', 'metrics.json', 'feature_importances.json'];

const literal = (value: string): string => JSON.stringify(value);

/**
 * ML runs (train, score, evaluate with scikit-learn) in the code env's kernel. The gateway keeps
 * the model store: each training of a model name is a new version (files in the data directory,
 * a row in the `models` table); score and evaluate stage the version they name into the run.
 */
export class MlRuns {
  private program: string | undefined;

  constructor(
    private readonly models: ModelRecords,
    private readonly modelsDir: string,
  ) {}

  /** Readies an ML request at submit time: Parquet made CSV, the named model staged as an input. Others pass through. */
  async prepare(request: RunRequest, identity: Identity): Promise<RunRequest> {
    if (request.kind !== 'ml') return request;
    const ml = request.ml;
    const dataset = request.inputs.find((input) => input.path === ml.dataset);
    if (!dataset)
      throw new InvalidInputError(
        `The ML dataset "${ml.dataset}" is not among the run's input files (${request.inputs.map((input) => input.path).join(', ') || 'none'}). Send it as an input.`,
      );
    let inputs = request.inputs;
    let datasetPath = ml.dataset;
    if (/\.parquet$/i.test(ml.dataset)) {
      const { csv } = await datasetToCsv(Buffer.from(dataset.content, 'base64'), ml.dataset);
      datasetPath = ml.dataset.replace(/\.parquet$/i, '.csv');
      inputs = [...inputs.filter((input) => input !== dataset), { path: datasetPath, content: Buffer.from(csv).toString('base64') }];
    }
    if (ml.action !== 'train') {
      const version = this.find(ml.model, identity);
      const bytes = readFileSync(join(this.versionDir(version.name, version.version), 'model.pkl'));
      inputs = [...inputs, { path: STAGED_MODEL, content: bytes.toString('base64') }];
      return { ...request, inputs, ml: { ...ml, dataset: datasetPath, model: `${version.name}:${version.version}` } };
    }
    return { ...request, inputs, ml: { ...ml, dataset: datasetPath } };
  }

  /** A model by `name` or `name:version` that `identity` may use (its own, or any for admins). */
  find(reference: string, identity: Identity | undefined): { name: string; version: number } {
    const [name, versionText] = reference.split(':');
    const version = versionText === undefined ? undefined : Number(versionText);
    if (version !== undefined && !Number.isInteger(version))
      throw new InvalidInputError(`Model "${reference}": the version after ":" must be a whole number.`);
    const found = this.models.find(name!, version);
    if (!found || (identity && !identity.admin && found.owner !== identity.name))
      throw new NotFoundError(
        `No model "${reference}". Train one first: berth ml train --model-name ${name} …; berth ml models lists the models.`,
      );
    return { name: found.name, version: found.version };
  }

  readonly job: RunJob = async (context) => {
    const request = context.request;
    if (request.kind !== 'ml') throw new Error('the ML job needs an ML run');
    const ml = request.ml;
    const version = ml.action === 'train' ? this.models.reserve(ml.modelName, context.run.id, context.run.owner) : undefined;
    try {
      const spec =
        ml.action === 'train'
          ? { ...ml, outputDir: OUTPUT_DIR, version }
          : { action: ml.action, dataset: ml.dataset, model: STAGED_MODEL, outputDir: OUTPUT_DIR };
      const code = `${this.source()}\nimport json as _berth_json\nberth_ml_main(_berth_json.loads(${literal(JSON.stringify(spec))}))\ndel _berth_json`;
      const outcome = await runProgram(context, code);
      if (outcome.failure || outcome.stop) return outcome;
      const written = await context.files.list([`${OUTPUT_DIR}/*`]);
      for (const path of written) context.runFiles.saveArtifact(path.slice(OUTPUT_DIR.length + 1), await context.files.get(path));
      if (ml.action === 'train') this.keep(ml.modelName, version!, context);
      return {};
    } finally {
      // A training that did not keep its model gives its version number up.
      if (version !== undefined && ml.action === 'train') this.models.release(ml.modelName, version);
    }
  };

  /** Files a training wrote become the model's new version. */
  private keep(name: string, version: number, context: RunJobContext): void {
    const dir = this.versionDir(name, version);
    mkdirSync(dir, { recursive: true });
    for (const file of MODEL_FILES) {
      try {
        writeFileSync(join(dir, file), readFileSync(context.runFiles.artifactPath(file)));
      } catch {
        // model.pkl is required below; the descriptive files are optional.
      }
    }
    const summary = JSON.parse(readFileSync(context.runFiles.artifactPath('model.json'), 'utf8')) as Record<string, unknown>;
    this.models.complete(name, version, summary);
    context.output('system', `Model ${name} version ${version} kept.\n`);
  }

  private versionDir(name: string, version: number): string {
    return join(this.modelsDir, name, String(version));
  }

  private source(): string {
    this.program ??= readFileSync(PROGRAM_PATH, 'utf8');
    return this.program;
  }
}

/** Runs the program; its prints are the run's log, an exception its failure. */
async function runProgram(context: RunJobContext, code: string): Promise<RunJobOutcome> {
  const result = await executeUntilStopped(context, code);
  if ('stop' in result) return { stop: result.stop, failure: { message: result.stop.message } };
  if (result.reply.status === 'ok') return {};
  const { ename = 'Error', evalue = '', traceback = [] } = result.reply;
  return { failure: { message: `${ename}: ${evalue}`, ename, evalue, traceback } };
}
