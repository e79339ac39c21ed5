// AdaBoostClassifier (SAMME and SAMME.R) and AdaBoostRegressor (sklearn/ensemble/_weight_boosting.py).
// The classifier's decision sums its members' votes (SAMME: weight where the member predicts the class;
// SAMME.R: (K-1)(log p - mean log p)) in member order, divides by the sum of estimator_weights_, and turns that
// into probabilities with a softmax; the regressor answers the weighted median of its members' predictions.

import { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { numpySum } from './numpy-sum.js';
import { labelIndices, MemberInputs, valuesOf } from './prediction-values.js';
import type { BuildContext } from './registry-types.js';
import { argmax, softmaxInPlace } from './special.js';

const FLOAT64_EPS = 2 ** -52;

function members(state: EstimatorState, context: BuildContext): Estimator[] {
  const estimators = state.list('estimators_');
  if (estimators.length === 0) throw state.invalid('has no estimators');
  return estimators.map((e) => {
    if (!(e instanceof PyObject)) throw state.invalid('has an estimators_ entry that is not an estimator');
    return context.estimator(e, state);
  });
}

class AdaBoostClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly predictProba: (x: FeatureData, rows: number) => Prediction;
  readonly decisionFunction: (x: FeatureData, rows: number) => Prediction;
  readonly #members: Estimator[];
  readonly #weights: Float64Array;
  readonly #weightSum: number;
  readonly #samme: boolean;
  readonly #labels: ClassLabels;
  readonly #classes: readonly unknown[];

  constructor(state: EstimatorState, context: BuildContext) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#classes = Array.from(state.array('classes_').data as ArrayLike<unknown>);
    this.#members = members(state, context);
    this.#weights = state.float64('estimator_weights_');
    this.#weightSum = numpySum(this.#weights, 0, this.#weights.length);
    const algorithm = state.get('algorithm');
    if (algorithm !== 'SAMME' && algorithm !== 'SAMME.R') throw state.unsupported(`algorithm=${String(algorithm)}`);
    this.#samme = algorithm === 'SAMME';
    if (!this.#samme && this.#members.some((m) => !m.predictProba)) {
      throw state.unsupported('SAMME.R members without predict_proba');
    }
    const k = this.#labels.count;
    if (k < 2) throw state.unsupported('a single class');
    this.decisionFunction = (x, rows) => ({
      datatype: 'FP64',
      shape: k === 2 ? [rows] : [rows, k],
      data: this.#decision(x as Float64Array, rows),
    });
    this.predictProba = (x, rows) => ({
      datatype: 'FP64',
      shape: [rows, k],
      data: this.#proba(x as Float64Array, rows),
    });
  }

  /** decision_function: rows (binary) or rows × k. */
  #decision(x: Float64Array, rows: number): Float64Array {
    const k = this.#labels.count;
    const pred = new Float64Array(rows * k);
    const logs = new Float64Array(k);
    const inputs = new MemberInputs(x);
    this.#members.forEach((member, m) => {
      const input = inputs.for(member);
      if (this.#samme) {
        const w = this.#weights[m]!;
        const votes = labelIndices(member.predict(input, rows), this.#classes);
        for (let r = 0; r < rows; r++) {
          // (predict == classes).T * w, summed: the predicted class gets w, the others 0
          for (let c = 0; c < k; c++) pred[r * k + c] = pred[r * k + c]! + (votes[r] === c ? w : 0);
        }
        return;
      }
      const proba = valuesOf(member.predictProba!(input, rows));
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < k; c++) {
          const p = proba[r * k + c]!;
          logs[c] = Math.log(p < FLOAT64_EPS ? FLOAT64_EPS : p);
        }
        const mean = (1.0 / k) * numpySum(logs, 0, k);
        for (let c = 0; c < k; c++) pred[r * k + c] = pred[r * k + c]! + (k - 1) * (logs[c]! - mean);
      }
    });
    for (let i = 0; i < pred.length; i++) pred[i] = pred[i]! / this.#weightSum;
    if (k !== 2) return pred;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) out[r] = -pred[2 * r]! + pred[2 * r + 1]!;
    return out;
  }

  #proba(x: Float64Array, rows: number): Float64Array {
    const k = this.#labels.count;
    const decision = this.#decision(x, rows);
    if (k === 2) {
      const out = new Float64Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        out[2 * r] = -decision[r]! / 2;
        out[2 * r + 1] = decision[r]! / 2;
        softmaxInPlace(out, 2 * r, 2);
      }
      return out;
    }
    for (let i = 0; i < decision.length; i++) decision[i] = decision[i]! / (k - 1);
    for (let r = 0; r < rows; r++) softmaxInPlace(decision, r * k, k);
    return decision;
  }

  predict(x: FeatureData, rows: number): Prediction {
    const k = this.#labels.count;
    const decision = this.#decision(x as Float64Array, rows);
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) indices[r] = k === 2 ? (decision[r]! > 0 ? 1 : 0) : argmax(decision, r * k, k);
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }
}

class AdaBoostRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly #members: Estimator[];
  readonly #weights: Float64Array;

  constructor(state: EstimatorState, context: BuildContext) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    this.#members = members(state, context);
    this.#weights = state.float64('estimator_weights_');
    if (this.#weights.length < this.#members.length) throw state.invalid('has fewer weights than estimators');
  }

  /** _get_median_predict: sort the members' predictions, the first whose weight CDF reaches half the total. */
  predict(x: FeatureData, rows: number): Prediction {
    const n = this.#members.length;
    const inputs = new MemberInputs(x);
    const predictions = this.#members.map((m) => valuesOf(m.predict(inputs.for(m), rows)));
    const out = new Float64Array(rows);
    const order = Array.from({ length: n }, (_, i) => i);
    const cdf = new Float64Array(n);
    for (let r = 0; r < rows; r++) {
      // Which of several equal predictions sorts first cannot change the value picked (see docs/runtimes.md).
      order.sort((a, b) => predictions[a]![r]! - predictions[b]![r]! || a - b);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += this.#weights[order[i]!]!;
        cdf[i] = sum;
      }
      const half = 0.5 * cdf[n - 1]!;
      let median = 0;
      while (median < n - 1 && !(cdf[median]! >= half)) median++;
      out[r] = predictions[order[median]!]![r]!;
    }
    return { datatype: 'FP64', shape: [rows], data: out };
  }
}

export const buildAdaBoostClassifier = (state: EstimatorState, context: BuildContext): Estimator =>
  new AdaBoostClassifier(state, context);
export const buildAdaBoostRegressor = (state: EstimatorState, context: BuildContext): Estimator =>
  new AdaBoostRegressor(state, context);
