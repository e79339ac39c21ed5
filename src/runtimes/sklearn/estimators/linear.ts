// Linear models: X @ coef_.T + intercept_, as sklearn's LinearModel/LinearClassifierMixin compute it.
// Regressors (LinearRegression, Ridge, Lasso, ElasticNet) return the scores; classifiers (LogisticRegression,
// LinearSVC) pick a class by sign (binary) or argmax, and LogisticRegression's predict_proba applies the
// logistic function (one-vs-rest, normalised) or softmax (multinomial) exactly as sklearn 1.x decides.

import { NdArray } from '../pickle/ndarray.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Prediction } from './estimator.js';
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
  compute(x: FeatureData, rows: number): Float64Array {
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

  /**
   * The class index of each row: the sign of the score (one target) or the first highest score, as `compute`
   * then an argmax would give, without the rows × t scores array. Four rows at a time: four independent sums
   * hide the floating-point add latency, and each row's sum still adds the same terms in the same order.
   */
  classify(x: FeatureData, rows: number): Int32Array {
    const f = this.nFeatures;
    const t = this.nTargets;
    const coef = this.#coef;
    const intercept = this.#intercept;
    const out = new Int32Array(rows);
    const whole = rows - (rows % 4);
    for (let r = 0; r < whole; r += 4) {
      const x0 = r * f;
      const x1 = x0 + f;
      const x2 = x1 + f;
      const x3 = x2 + f;
      let best0 = 0;
      let best1 = 0;
      let best2 = 0;
      let best3 = 0;
      let top0 = 0;
      let top1 = 0;
      let top2 = 0;
      let top3 = 0;
      for (let c = 0, co = 0; c < t; c++, co += f) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < f; j++) {
          const w = coef[co + j]!;
          s0 += x[x0 + j]! * w;
          s1 += x[x1 + j]! * w;
          s2 += x[x2 + j]! * w;
          s3 += x[x3 + j]! * w;
        }
        const b = intercept[c]!;
        s0 += b;
        s1 += b;
        s2 += b;
        s3 += b;
        if (c === 0) {
          top0 = s0;
          top1 = s1;
          top2 = s2;
          top3 = s3;
          continue;
        }
        if (s0 > top0) {
          top0 = s0;
          best0 = c;
        }
        if (s1 > top1) {
          top1 = s1;
          best1 = c;
        }
        if (s2 > top2) {
          top2 = s2;
          best2 = c;
        }
        if (s3 > top3) {
          top3 = s3;
          best3 = c;
        }
      }
      if (t === 1) {
        out[r] = top0 > 0 ? 1 : 0;
        out[r + 1] = top1 > 0 ? 1 : 0;
        out[r + 2] = top2 > 0 ? 1 : 0;
        out[r + 3] = top3 > 0 ? 1 : 0;
      } else {
        out[r] = best0;
        out[r + 1] = best1;
        out[r + 2] = best2;
        out[r + 3] = best3;
      }
    }
    for (let r = whole; r < rows; r++) {
      const xo = r * f;
      let best = 0;
      let top = 0;
      for (let c = 0, co = 0; c < t; c++, co += f) {
        let sum = 0;
        for (let j = 0; j < f; j++) sum += x[xo + j]! * coef[co + j]!;
        const score = sum + intercept[c]!;
        if (c === 0) top = score;
        else if (score > top) {
          top = score;
          best = c;
        }
      }
      out[r] = t === 1 ? (top > 0 ? 1 : 0) : best;
    }
    return out;
  }
}

class LinearRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly float32Exact = true;
  readonly #scores: LinearScores;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.#scores = new LinearScores(state);
    this.nFeatures = this.#scores.nFeatures;
    this.featureNames = state.featureNames();
  }

  predict(x: FeatureData, rows: number): Prediction {
    const data = this.#scores.compute(x, rows);
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
  readonly float32Exact = true;
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
    if (probability) this.predictProba = (x, rows) => this.#predictProba(x, rows, probability);
    this.decisionFunction = (x, rows) => ({
      datatype: 'FP64',
      shape: t === 1 ? [rows] : [rows, t],
      data: this.#scores.compute(x, rows),
    });
  }

  predict(x: FeatureData, rows: number): Prediction {
    const indices = this.#scores.classify(x, rows);
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }

  #predictProba(x: FeatureData, rows: number, kind: ProbabilityKind): Prediction {
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
