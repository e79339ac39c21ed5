// What every natively implemented scikit-learn estimator offers the model wrapper. Estimators receive X already
// validated and converted the way sklearn's check_array would (C order, float64, or float32 for tree models),
// and answer with the tensor KServe's sklearn server would send back.

import type { Datatype, TensorData } from '../../model.js';

export interface Prediction {
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

export interface Estimator {
  /** The class name sklearn uses in its error messages, e.g. `SVC`. */
  readonly className: string;
  /** `n_features_in_`. */
  readonly nFeatures: number;
  /** `feature_names_in_`, when the estimator was fitted on a DataFrame. */
  readonly featureNames: readonly string[] | null;
  /** The dtype sklearn casts X to before predicting: float32 for trees and forests, float64 otherwise. */
  readonly inputDType: 'float64' | 'float32';
  predict(x: Float64Array | Float32Array, rows: number): Prediction;
  /** Present only when the fitted sklearn estimator has `predict_proba` (KServe checks `hasattr`). */
  readonly predictProba?: (x: Float64Array | Float32Array, rows: number) => Prediction;
}
