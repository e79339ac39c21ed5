// Loading the model behind an MLflow flavor with inferd's own runtimes: sklearn pickles through the native
// restricted unpickler (MLflow's `pickle` and `cloudpickle` formats are both plain pickle streams for
// scikit-learn estimators, which cloudpickle pickles by reference); xgboost, lightgbm and onnx through their
// runtimes' factories, imported only when a model needs them (onnxruntime is heavy), with the flavor's file
// shown to them under the name their model-file finder expects.

import { mkdtemp, open, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { InferdError } from '../../errors.js';
import type { LoadOptions, Model, PredictOptions, RuntimeFactory, Tensor } from '../model.js';
import { loadEstimatorFile, SklearnModel } from '../sklearn/index.js';
import type { FlavorChoice, FlavorName } from './mlmodel.js';

/** Runtimes for the non-sklearn flavors, by flavor; a missing entry is imported from `../<flavor>/index.js`. */
export type FlavorRuntimes = Partial<Record<Exclude<FlavorName, 'sklearn'>, RuntimeFactory>>;

const RUNTIME_MODULES: Readonly<Record<Exclude<FlavorName, 'sklearn'>, [string, string]>> = {
  onnx: ['../onnx/index.js', 'onnxRuntime'],
  xgboost: ['../xgboost/index.js', 'xgboostRuntime'],
  lightgbm: ['../lightgbm/index.js', 'lightgbmRuntime'],
};

function unsupported(message: string, flavor: string): InferdError {
  return new InferdError('UNSUPPORTED', message, { reason: 'UnsupportedModel', flavor });
}

/** Loads the flavor's model. Its outputs are what the flavor's pyfunc `predict` returns. */
export async function loadFlavorModel(
  choice: FlavorChoice,
  opts: LoadOptions,
  runtimes: FlavorRuntimes = {},
): Promise<Model> {
  if (choice.flavor === 'sklearn') return loadSklearn(choice, opts);
  const factory = runtimes[choice.flavor] ?? (await importRuntime(choice.flavor));
  const model = await loadStaged(factory, choice, opts);
  if (choice.flavor === 'xgboost' && isXgbClassifier(choice.config.model_class)) return new ClassLabels(model);
  return model;
}

async function loadSklearn(choice: FlavorChoice, { name }: LoadOptions): Promise<Model> {
  const format = choice.config.serialization_format;
  if (format !== undefined && format !== null && format !== 'pickle' && format !== 'cloudpickle') {
    throw unsupported(
      `MLflow sklearn flavor with serialization_format ${JSON.stringify(format)}: inferd reads "pickle" and "cloudpickle" models (mlflow.sklearn.log_model's default)`,
      'sklearn',
    );
  }
  const estimator = await loadEstimatorFile(choice.dataPath);
  switch (choice.predictFn) {
    case 'predict':
      return new SklearnModel(name, estimator, { predictProba: false });
    case 'predict_proba':
      if (!estimator.predictProba) {
        throw new InferdError(
          'MODEL_LOAD_FAILED',
          `MLmodel python_function.predict_fn is predict_proba, but this ${estimator.className} has no predict_proba`,
          { reason: 'ModelLoadFailed' },
        );
      }
      return new SklearnModel(name, estimator, { predictProba: true });
    default:
      throw unsupported(
        `MLmodel python_function.predict_fn ${JSON.stringify(choice.predictFn)}: inferd serves predict and predict_proba`,
        'sklearn',
      );
  }
}

async function importRuntime(flavor: Exclude<FlavorName, 'sklearn'>): Promise<RuntimeFactory> {
  const [specifier, exportName] = RUNTIME_MODULES[flavor];
  let mod: Record<string, unknown>;
  try {
    // A variable specifier: runtimes that are not part of this build fail here, not at compile time.
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new InferdError(
        'UNSUPPORTED',
        `the MLflow ${flavor} flavor needs inferd's ${flavor} runtime, which this build does not include (${(cause as Error).message})`,
        { reason: 'UnsupportedModel', flavor, cause },
      );
    }
    throw cause;
  }
  const factory = mod[exportName] as RuntimeFactory | undefined;
  if (!factory || typeof factory.load !== 'function') {
    throw unsupported(
      `the MLflow ${flavor} flavor needs ${exportName} from ${specifier}, which does not export it`,
      flavor,
    );
  }
  return factory;
}

/**
 * Shows the flavor's file to `factory` as the only model file of a temporary directory (a symlink named as its
 * runtime expects: model.onnx, model.json/.ubj/.bst, model.txt), loads it, and removes the directory: the
 * runtimes read the file while loading and keep the model in memory.
 */
async function loadStaged(factory: RuntimeFactory, choice: FlavorChoice, opts: LoadOptions): Promise<Model> {
  const fileName = await stagedFileName(choice);
  const dir = await mkdtemp(join(tmpdir(), 'inferd-mlflow-'));
  try {
    await symlink(choice.dataPath, join(dir, fileName));
    return await factory.load({ ...opts, modelDir: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function stagedFileName(choice: FlavorChoice): Promise<string> {
  const ext = extname(choice.dataPath).toLowerCase();
  switch (choice.flavor) {
    case 'onnx':
      return 'model.onnx';
    case 'lightgbm':
      if (ext === '.pkl' || ext === '.pickle') {
        throw unsupported(
          `MLflow lightgbm flavor with a pickled ${String(choice.config.model_class ?? 'scikit-learn API model')} (${choice.dataPath}): inferd reads LightGBM text models (a Booster logged with mlflow.lightgbm, saved as model.lgb)`,
          'lightgbm',
        );
      }
      return 'model.txt';
    case 'xgboost': {
      const format = choice.config.model_format;
      if (format === 'json' || ext === '.json') return 'model.json';
      if (format === 'ubj' || ext === '.ubj') return 'model.ubj';
      return `model${await sniffXgboostFormat(choice.dataPath)}`;
    }
    default:
      return `model${ext}`;
  }
}

/** MLflow's default `model.xgb`: JSON text, UBJSON or the legacy binary format, told apart by its first bytes. */
async function sniffXgboostFormat(path: string): Promise<'.json' | '.ubj' | '.bst'> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (bytesRead < 2 || head[0] !== 0x7b /* { */) return '.bst';
    // JSON: `{"` or `{` + whitespace; UBJSON: `{` + a type marker for the first key's length (i, U, I, l, L, ...).
    return head[1] === 0x22 || head[1] === 0x20 || head[1] === 0x0a || head[1] === 0x0d || head[1] === 0x09
      ? '.json'
      : '.ubj';
  } finally {
    await fh.close();
  }
}

const isXgbClassifier = (modelClass: unknown) =>
  typeof modelClass === 'string' && /(^|\.)(XGBClassifier|XGBRFClassifier)$/.test(modelClass);

/**
 * mlflow.xgboost's pyfunc of an XGBClassifier calls the classifier's predict: class labels, where a Booster
 * gives probabilities. [rows, classes] probabilities → argmax; [rows] or [rows, 1] (binary:logistic) → p > 0.5.
 */
export class ClassLabels implements Model {
  readonly name: string;
  readonly #inner: Model;

  constructor(inner: Model) {
    this.name = inner.name;
    this.#inner = inner;
  }

  metadata() {
    return this.#inner.metadata();
  }

  async predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
    const [probs] = await this.#inner.predict(inputs, opts);
    if (!probs) return [];
    const data = probs.data as ArrayLike<number>;
    const shape = probs.shape;
    const rows = shape[0] ?? data.length;
    const k = shape.length === 2 ? shape[1]! : 1;
    const labels = new BigInt64Array(rows);
    for (let r = 0; r < rows; r++) {
      if (k === 1) {
        labels[r] = Number(data[r]) > 0.5 ? 1n : 0n;
        continue;
      }
      let best = 0;
      for (let c = 1; c < k; c++) if (Number(data[r * k + c]) > Number(data[r * k + best])) best = c;
      labels[r] = BigInt(best);
    }
    return [{ name: probs.name, datatype: 'INT64', shape: [rows], data: labels }];
  }

  unload() {
    return this.#inner.unload?.();
  }
}
