// The MLflow runtime (KServe modelFormat `mlflow`): reads an MLflow model directory's MLmodel file, serves its
// sklearn, xgboost, lightgbm or onnx flavor with inferd's native runtimes (never Python), and lets the
// signature drive V2 metadata and request decoding the way MLServer's MLflow runtime does.

import type { LoadOptions, RuntimeFactory } from '../model.js';
import { type FlavorRuntimes, loadFlavorModel } from './flavors.js';
import { MlflowModel } from './mlflow-model.js';
import { chooseFlavor, readMlmodel } from './mlmodel.js';

export { ClassLabels, type FlavorRuntimes, loadFlavorModel } from './flavors.js';
export { MLSERVER_OUTPUT_NAME, MlflowModel } from './mlflow-model.js';
export {
  chooseFlavor,
  type FlavorChoice,
  type FlavorName,
  MLMODEL_FILE,
  type MlmodelFile,
  parseMlmodel,
  readMlmodel,
  SERVED_FLAVORS,
} from './mlmodel.js';
export { decodeRequest } from './request.js';
export {
  COLUMN_DATATYPES,
  type ColumnSpec,
  parseSchema,
  parseSignature,
  type Schema,
  type Signature,
  schemaMetadata,
  type TensorSpec,
} from './signature.js';

/** A runtime that loads non-sklearn flavors with the given factories (tests); others are imported on demand. */
export function createMlflowRuntime(flavorRuntimes: FlavorRuntimes = {}) {
  const load = async (opts: LoadOptions): Promise<MlflowModel> => {
    const mlmodel = await readMlmodel(opts.modelDir);
    const choice = await chooseFlavor(mlmodel, opts.modelDir);
    const inner = await loadFlavorModel(choice, opts, flavorRuntimes);
    return new MlflowModel(opts.name, inner, choice.flavor, mlmodel.signature);
  };
  return { name: 'mlflow', formats: ['mlflow'], load } satisfies RuntimeFactory;
}

const defaultRuntime = createMlflowRuntime();

/** Loads the MLflow model in `modelDir` (the directory holding `MLmodel`). */
export async function load(opts: LoadOptions): Promise<MlflowModel> {
  return defaultRuntime.load(opts);
}

export const mlflowRuntime = { name: 'mlflow', formats: ['mlflow'], load } satisfies RuntimeFactory;
