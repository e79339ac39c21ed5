// A loaded scikit-learn estimator behind inferd's Model interface, answering as KServe's SKLearnModel does: the
// first input tensor is X (or, with `content_type: pd`, every input is a named column of a DataFrame), and
// the output is `output-0` from predict, or from predict_proba when PREDICT_PROBA=true and the model has it.

import type { Model, ModelMetadata, PredictOptions, Tensor } from '../model.js';
import type { Estimator, Prediction } from './estimators/estimator.js';
import { checkFeatureNames } from './feature-names.js';
import { invalidInput, toFeatureMatrix } from './input-matrix.js';

export class SklearnModel implements Model {
  readonly name: string;
  readonly estimator: Estimator;
  readonly #useProba: boolean;

  constructor(name: string, estimator: Estimator, options: { predictProba: boolean }) {
    this.name = name;
    this.estimator = estimator;
    // KServe: PREDICT_PROBA=true and hasattr(model, "predict_proba"); otherwise predict.
    this.#useProba = options.predictProba && estimator.predictProba !== undefined;
  }

  /** KServe's sklearn server reports no tensor metadata. */
  metadata(): ModelMetadata {
    return { platform: '', inputs: [], outputs: [] };
  }

  predict(inputs: Tensor[], opts?: PredictOptions): Tensor[] {
    const tensor = opts?.parameters?.content_type === 'pd' ? columnsToMatrix(inputs, this.estimator) : inputs[0];
    if (!tensor) throw invalidInput('Expected at least one input tensor');
    const { x, rows } = toFeatureMatrix(tensor, this.estimator);
    const result: Prediction = this.#useProba ? this.estimator.predictProba!(x, rows) : this.estimator.predict(x, rows);
    return [{ name: 'output-0', datatype: result.datatype, shape: result.shape, data: result.data }];
  }
}

/** KServe's `as_dataframe()`: one column per input tensor, named after it, in request order. */
function columnsToMatrix(inputs: Tensor[], estimator: Estimator): Tensor | undefined {
  if (inputs.length === 0) return undefined;
  checkFeatureNames(
    estimator.featureNames,
    inputs.map((t) => t.name),
  );
  const rows = inputs[0]!.data.length;
  const cols = inputs.length;
  const data: unknown[] = new Array(rows * cols);
  inputs.forEach((column, c) => {
    if (column.data.length !== rows) throw invalidInput('All arrays must be of the same length');
    const values = column.data as ArrayLike<unknown>;
    for (let r = 0; r < rows; r++) data[r * cols + c] = values[r];
  });
  return { name: 'dataframe', datatype: 'BYTES', shape: [rows, cols], data: data as string[] };
}
