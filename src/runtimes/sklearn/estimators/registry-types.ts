// How builders of composite estimators (Pipeline, ColumnTransformer, Voting, Stacking, AdaBoost) build the
// estimators they hold without importing the registry (which imports them).

import type { Estimator } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import type { Transformer } from './transformer.js';

export interface BuildContext {
  /** The native estimator for a nested pickled object; `owner` names the composite in load errors. */
  estimator(object: unknown, owner: EstimatorState): Estimator;
  /** The native transformer for a nested pickled object. */
  transformer(object: unknown, owner: EstimatorState): Transformer;
}

export type EstimatorBuilder = (state: EstimatorState, context: BuildContext) => Estimator;
export type TransformerBuilder = (state: EstimatorState, context: BuildContext) => Transformer;
