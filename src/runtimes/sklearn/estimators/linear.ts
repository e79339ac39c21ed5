// Linear models: X @ coef_.T + intercept_, as sklearn's LinearModel/LinearClassifierMixin compute it.
// Regressors (LinearRegression, Ridge, Lasso, ElasticNet) return the scores; classifiers (LogisticRegression,
// LinearSVC) pick a class by sign (binary) or argmax, and LogisticRegression's predict_proba applies the
// logistic function (one-vs-rest, normalised) or softmax (multinomial) exactly as sklearn 1.x decides.

import { NdArray } from '../pickle/ndarray.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { numpySum } from './numpy-sum.js';
import { expit, softmaxInPlace } from './special.js';

/** coef_ (t × f, or f for one target) and intercept_ (t, or a scalar). */
class LinearScores {
  readonly nFeatures: number;
  readonly nTargets: number;
  readonly oneDimensional: boolean;
  readonly #coef: Float64Array;
  readonly #intercept: Float64Array;

  constructor(state: EstimatorState) {
    const coef = state.array('coef_');
    this.#coef = state.float64('coef_');
    this.nFeatures = state.nFeatures(() => coef.shape[coef.shape.length - 1] ?? 0);
    this.oneDimensional = coef.shape.length === 1;
    this.nTargets = this.oneDimensional ? 1 : coef.shape[0]!;
    if (this.#coef.length !== this.nTargets * this.nFeatures) throw state.invalid('has coef_ of the wrong shape');
    const intercept = state.get('intercept_');
    this.#intercept =
      intercept instanceof NdArray
        ? state.float64('intercept_')
        : new Float64Array(this.nTargets).fill(state.number('intercept_'));
    if (this.#intercept.length !== this.nTargets) throw state.invalid('has intercept_ of the wrong shape');
  }

  /** scores[r * t + c] for every row. */
  compute(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const t = this.nTargets;
    const coef = this.#coef;
    const out = new Float64Array(rows * t);
    for (let r = 0; r < rows; r++) {
      const xo = r * f;
      for (let c = 0; c < t; c++) {
        const co = c * f;
        let sum = 0;
        for (let j = 0; j < f; j++) sum += x[xo + j]! * coef[co + j]!;
        out[r * t + c] = sum + this.#intercept[c]!;
      }
    }
    return out;
  }
}

class LinearRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly #scores: LinearScores;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.#scores = new LinearScores(state);
    this.nFeatures = this.#scores.nFeatures;
    this.featureNames = state.featureNames();
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const data = this.#scores.compute(x as Float64Array, rows);
    const shape = this.#scores.oneDimensional ? [rows] : [rows, this.#scores.nTargets];
    return { datatype: 'FP64', shape, data };
  }
}

/** ovr: expit then normalise (liblinear style); multinomial: softmax; modified_huber: SGD's clipped scores. */
type ProbabilityKind = 'ovr' | 'multinomial' | 'modified_huber';

class LinearClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly predictProba?: (x: Float64Array | Float32Array, rows: number) => Prediction;
  readonly decisionFunction: (x: Float64Array | Float32Array, rows: number) => Prediction;
  readonly #scores: LinearScores;
  readonly #labels: ClassLabels;

  constructor(state: EstimatorState, probability: ProbabilityKind | null) {
    this.className = state.className;
    this.#scores = new LinearScores(state);
    this.nFeatures = this.#scores.nFeatures;
    this.featureNames = state.featureNames();
    this.#labels = new ClassLabels(state.array('classes_'), state);
    const t = this.#scores.nTargets;
    if (t !== (this.#labels.count === 2 ? 1 : this.#labels.count))
      throw state.invalid('has coef_ that does not match classes_');
    if (probability) this.predictProba = (x, rows) => this.#predictProba(x as Float64Array, rows, probability);
    this.decisionFunction = (x, rows) => ({
      datatype: 'FP64',
      shape: t === 1 ? [rows] : [rows, t],
      data: this.#scores.compute(x as Float64Array, rows),
    });
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const scores = this.#scores.compute(x as Float64Array, rows);
    const t = this.#scores.nTargets;
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      if (t === 1) {
        indices[r] = scores[r]! > 0 ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let c = 1; c < t; c++) if (scores[r * t + c]! > scores[r * t + best]!) best = c;
      indices[r] = best;
    }
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }

  #predictProba(x: Float64Array, rows: number, kind: ProbabilityKind): Prediction {
    const scores = this.#scores.compute(x, rows);
    const t = this.#scores.nTargets;
    const k = this.#labels.count;
    const out = new Float64Array(rows * k);
    if (kind === 'modified_huber') return { datatype: 'FP64', shape: [rows, k], data: modifiedHuber(scores, rows, k) };
    for (let r = 0; r < rows; r++) {
      const o = r * k;
      if (t === 1) {
        const d = scores[r]!;
        if (kind === 'ovr') {
          const p = expit(d);
          out[o] = 1 - p;
          out[o + 1] = p;
        } else {
          // multinomial with two classes: softmax([-d, d])
          out[o] = -d;
          out[o + 1] = d;
          softmaxInPlace(out, o, 2);
        }
        continue;
      }
      for (let c = 0; c < k; c++) out[o + c] = kind === 'ovr' ? expit(scores[r * t + c]!) : scores[r * t + c]!;
      if (kind === 'ovr') {
        const sum = numpySum(out, o, k); // LibLinear-style one-vs-rest normalisation
        for (let c = 0; c < k; c++) out[o + c]! /= sum;
      } else {
        softmaxInPlace(out, o, k);
      }
    }
    return { datatype: 'FP64', shape: [rows, k], data: out };
  }
}

/** SGDClassifier(loss='modified_huber').predict_proba: (clip(score, -1, 1) + 1) / 2, normalised per row. */
function modifiedHuber(scores: Float64Array, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  const halfClip = (v: number) => ((v < -1 ? -1 : v > 1 ? 1 : v) + 1.0) / 2.0;
  for (let r = 0; r < rows; r++) {
    if (k === 2) {
      const p = halfClip(scores[r]!);
      out[2 * r] = 1 - p;
      out[2 * r + 1] = p;
      continue;
    }
    for (let c = 0; c < k; c++) out[r * k + c] = halfClip(scores[r * k + c]!);
    let sum = numpySum(out, r * k, k);
    if (sum === 0) {
      // all classes clipped to zero: uniform, as sklearn works around it
      for (let c = 0; c < k; c++) out[r * k + c] = 1;
      sum = k;
    }
    for (let c = 0; c < k; c++) out[r * k + c] = out[r * k + c]! / sum;
  }
  return out;
}

/** Which predict_proba sklearn's LogisticRegression uses (sklearn/linear_model/_logistic.py, 1.0-1.4). */
function logisticProbability(state: EstimatorState, nClasses: number): ProbabilityKind {
  const multiClass = state.has('multi_class') ? state.get('multi_class') : 'auto';
  const solver = state.has('solver') ? state.get('solver') : 'lbfgs';
  if (multiClass === 'ovr' || multiClass === 'warn') return 'ovr';
  if (multiClass === 'auto' && (nClasses <= 2 || solver === 'liblinear')) return 'ovr';
  return 'multinomial';
}

export const buildLinearRegressor = (state: EstimatorState): Estimator => new LinearRegressor(state);
export const buildLinearSVC = (state: EstimatorState): Estimator => new LinearClassifier(state, null);
export const buildLogisticRegression = (state: EstimatorState): Estimator =>
  new LinearClassifier(state, logisticProbability(state, state.array('classes_').size));

/** SGDClassifier: predict_proba only for the log and modified Huber losses (sklearn's _check_proba). */
export function buildSGDClassifier(state: EstimatorState): Estimator {
  const loss = state.get('loss');
  const kind: ProbabilityKind | null =
    loss === 'log_loss' || loss === 'log' ? 'ovr' : loss === 'modified_huber' ? 'modified_huber' : null;
  return new LinearClassifier(state, kind);
}

/** Perceptron (and other linear classifiers without predict_proba). */
export const buildLinearClassifier = (state: EstimatorState): Estimator => new LinearClassifier(state, null);
