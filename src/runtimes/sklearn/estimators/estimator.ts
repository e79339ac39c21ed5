// What every natively implemented scikit-learn estimator offers the model wrapper. Estimators receive X already
// validated and converted the way sklearn's check_array would (C order, float64, or float32 for tree models),
// and answer with the tensor KServe's sklearn server would send back.

import type { KernelJob, KernelSpec } from '../../intra-op/kernel.js';
import type { Datatype, TensorData } from '../../model.js';
import type { Frame } from './frame.js';

export interface Prediction {
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

/** X as an estimator receives it: row-major, `rows × nFeatures`, in the estimator's `inputDType`. */
export type FeatureData = Float64Array | Float32Array;

/** What sklearn's check_array lets through: finite values only (the default), NaN too, or anything. */
export type Finiteness = 'finite' | 'allow-nan' | 'any';

/** The methods a client can ask for. */
export type PredictMethod = 'predict' | 'predict_proba';

export interface Estimator {
  /** The class name sklearn uses in its error messages, e.g. `SVC`. */
  readonly className: string;
  /** `n_features_in_`; null when the fitted estimator has none (sklearn then checks no feature count). */
  readonly nFeatures: number | null;
  /** `feature_names_in_`, when the estimator was fitted on a DataFrame. */
  readonly featureNames: readonly string[] | null;
  /** The dtype sklearn casts X to before predicting: float32 for trees and forests, float64 otherwise. */
  readonly inputDType: 'float64' | 'float32';
  /** Which non-finite values its input check accepts (absent: 'finite'). */
  readonly inputFinite?: Finiteness;
  /**
   * A float64 estimator that may be handed a request's float32 X as it is: it only reads elements into float64
   * arithmetic, which widens each exactly as numpy's cast would (saves a copy of X per request).
   */
  readonly float32Exact?: boolean;
  predict(x: FeatureData, rows: number): Prediction;
  /** Present only when the fitted sklearn estimator has `predict_proba` (KServe checks `hasattr`). */
  readonly predictProba?: (x: FeatureData, rows: number) => Prediction;
  /** `decision_function` (rows × k, or rows for binary), where a StackingClassifier needs it. */
  readonly decisionFunction?: (x: FeatureData, rows: number) => Prediction;
  /**
   * Present when the first step takes raw columns (strings, None) rather than a float matrix: a Pipeline or
   * ColumnTransformer starting with an encoder or imputer. The model then hands it the request's columns.
   */
  readonly predictFrame?: (frame: Frame, method: PredictMethod) => Prediction;
  /** Present when large batches can be split across intra-op threads (forests, gradient boosting). */
  readonly rowParallel?: RowParallel;
  /** Present when large batches can run as an ONNX graph in onnxruntime (MLPs; runtimes/sklearn/ort-kernel.ts). */
  readonly onnxOffload?: OnnxOffload;
}

/**
 * An estimator whose arithmetic compiles to an ONNX graph (one input, rows × nInputs; one output, rows ×
 * nOutputs) that onnxruntime runs for large batches; what comes before the graph (a Pipeline's transformers)
 * and after it (decoding labels) stays in TypeScript.
 */
export interface OnnxOffload {
  /** The serialized ModelProto, computing in `type`. */
  graph(type: 'float64' | 'float32'): Uint8Array;
  readonly nInputs: number;
  readonly nOutputs: number;
  /** Multiply-adds per row: with the row count, decides whether a call goes to onnxruntime. */
  readonly stepsPerRow: number;
  /** `method` on `rows` rows of `x`, the graph's part computed by `run` (rows × nOutputs, float64). */
  predictWith(
    method: PredictMethod,
    x: FeatureData,
    rows: number,
    run: (input: Float64Array, rows: number) => Promise<Float64Array>,
  ): Promise<Prediction>;
}

/**
 * An estimator whose rows are independent, with a kernel the intra-op pool can run (runtimes/intra-op): the
 * same code computes the rows on every thread, so a split call answers exactly what the single-thread one does.
 */
export interface RowParallel {
  kernelSpec(): KernelSpec;
  /** A row's cost in node steps (trees × depth): with the row count, decides whether a call is split. */
  readonly stepsPerRow: number;
  /** Rows handed to a thread at a time. */
  readonly blockRows: number;
  /** `method` on `rows` rows of `x`, the kernel's part computed by `run` (on the pool's threads). */
  predictWith(
    method: PredictMethod,
    x: FeatureData,
    rows: number,
    run: (job: KernelJob) => Promise<void>,
  ): Promise<Prediction>;
}

/** `x` as `estimator` wants it: float64 stays, float32 estimators (trees) get a rounded copy, as numpy's astype. */
export function asInputOf(estimator: Pick<Estimator, 'inputDType'>, x: FeatureData): FeatureData {
  if (estimator.inputDType === 'float32') return x instanceof Float32Array ? x : Float32Array.from(x);
  return x instanceof Float64Array ? x : Float64Array.from(x);
}
