// What every natively implemented scikit-learn transformer (a Pipeline step, a ColumnTransformer part) offers,
// and how data moves between steps: float64 matrices where sklearn would hold a float array, raw columns
// (Frame) where it would hold an object array or a DataFrame of strings.

import { checkFiniteness } from '../input-matrix.js';
import type { Estimator, Finiteness } from './estimator.js';
import { type Frame, frameToMatrix } from './frame.js';

/** Between steps: a row-major float64 matrix (its width is the previous step's nOutputs), or raw columns. */
export type StepData = Float64Array | Frame;

export interface Transformer {
  /** The class name sklearn uses in its error messages, e.g. `StandardScaler`. */
  readonly className: string;
  /** `n_features_in_`. */
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  /** Columns of `transform`'s output. */
  readonly nOutputs: number;
  /** Which non-finite values its input check accepts (absent: 'finite'). */
  readonly inputFinite?: Finiteness;
  /** Float64 rows × nFeatures in (checked), float64 rows × nOutputs out. */
  transform(x: Float64Array, rows: number): Float64Array;
  /**
   * Present on transformers that take raw columns (encoders, imputers, ColumnTransformer): they get the columns
   * as the request sent them, and answer floats, or raw columns again (an imputer of strings).
   */
  readonly transformFrame?: (frame: Frame) => StepData;
}

/** Runs one step on whatever the previous step produced, converting and checking its input as sklearn does. */
export function applyStep(step: Transformer, data: StepData, rows: number): StepData {
  if (!(data instanceof Float64Array)) {
    return step.transformFrame ? step.transformFrame(data) : step.transform(frameToMatrix(data, step), rows);
  }
  checkFiniteness(data, step.className, step.inputFinite ?? 'finite');
  return step.transform(data, rows);
}

/** The final estimator's X from the last step's output: floats, checked, in the estimator's dtype. */
export function estimatorInput(estimator: Estimator, data: StepData): Float64Array | Float32Array {
  const x = data instanceof Float64Array ? data : frameToMatrix(data, estimator);
  if (estimator.inputDType === 'float32') {
    const x32 = Float32Array.from(x);
    checkFiniteness(x32, estimator.className, estimator.inputFinite ?? 'finite', 'float32');
    return x32;
  }
  if (data instanceof Float64Array) checkFiniteness(x, estimator.className, estimator.inputFinite ?? 'finite');
  return x;
}
