// Naive Bayes classifiers (sklearn/naive_bayes.py): a joint log-likelihood per class, predict = its argmax,
// predict_proba = exp(jll - logsumexp(jll)). GaussianNB sums per-feature terms as numpy does (pairwise); the
// discrete ones (Multinomial, Complement, Bernoulli) are a dot product with feature_log_prob_ plus a class term.

import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { numpySum } from './numpy-sum.js';
import { argmax, logSumExp } from './special.js';

abstract class NaiveBayes implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly predictProba: (x: FeatureData, rows: number) => Prediction;
  protected readonly labels: ClassLabels;
  protected readonly k: number;
  readonly #scratch: Float64Array;

  constructor(state: EstimatorState, nFeaturesFallback: () => number) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(nFeaturesFallback);
    this.featureNames = state.featureNames();
    this.labels = new ClassLabels(state.array('classes_'), state);
    this.k = this.labels.count;
    this.#scratch = new Float64Array(this.k);
    this.predictProba = (x, rows) => this.#proba(x as Float64Array, rows);
  }

  /** The joint log-likelihood, rows × k. */
  protected abstract jointLogLikelihood(x: Float64Array, rows: number): Float64Array;

  predict(x: FeatureData, rows: number): Prediction {
    const jll = this.jointLogLikelihood(x as Float64Array, rows);
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) indices[r] = argmax(jll, r * this.k, this.k);
    return { datatype: this.labels.datatype, shape: [rows], data: this.labels.take(indices) };
  }

  #proba(x: Float64Array, rows: number): Prediction {
    const k = this.k;
    const jll = this.jointLogLikelihood(x, rows);
    for (let r = 0; r < rows; r++) {
      const lse = logSumExp(jll, r * k, k, this.#scratch);
      for (let c = 0; c < k; c++) jll[r * k + c] = Math.exp(jll[r * k + c]! - lse);
    }
    return { datatype: 'FP64', shape: [rows, k], data: jll };
  }
}

class GaussianNB extends NaiveBayes {
  readonly #theta: Float64Array;
  readonly #var: Float64Array;
  readonly #logPrior: Float64Array;
  readonly #logNorm: Float64Array; // -0.5 * sum(log(2π var)) per class
  readonly #terms: Float64Array;

  constructor(state: EstimatorState) {
    super(state, () => state.array('theta_').shape[1] ?? 0);
    const f = this.nFeatures;
    this.#theta = state.float64('theta_');
    this.#var = state.float64(state.firstOf('var_', 'sigma_'));
    const prior = state.float64('class_prior_');
    if (this.#theta.length !== this.k * f || this.#var.length !== this.k * f || prior.length !== this.k) {
      throw state.invalid('has theta_/var_/class_prior_ that do not match its classes and features');
    }
    this.#logPrior = prior.map(Math.log);
    this.#logNorm = new Float64Array(this.k);
    const logs = new Float64Array(f);
    for (let c = 0; c < this.k; c++) {
      for (let j = 0; j < f; j++) logs[j] = Math.log(2.0 * Math.PI * this.#var[c * f + j]!);
      this.#logNorm[c] = -0.5 * numpySum(logs, 0, f);
    }
    this.#terms = new Float64Array(f);
  }

  protected jointLogLikelihood(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const k = this.k;
    const out = new Float64Array(rows * k);
    const terms = this.#terms;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < f; j++) {
          const d = x[r * f + j]! - this.#theta[c * f + j]!;
          terms[j] = (d * d) / this.#var[c * f + j]!;
        }
        const nij = this.#logNorm[c]! - 0.5 * numpySum(terms, 0, f);
        out[r * k + c] = this.#logPrior[c]! + nij;
      }
    }
    return out;
  }
}

/** jll = X · weights.T + bias, where binarize (BernoulliNB) first maps X to 0/1. */
class DiscreteNB extends NaiveBayes {
  readonly #weights: Float64Array; // k × f
  readonly #bias: Float64Array | null;
  readonly #binarize: number | null;
  readonly #row: Float64Array;

  constructor(state: EstimatorState, kind: 'multinomial' | 'complement' | 'bernoulli') {
    const flp = state.array('feature_log_prob_');
    super(state, () => flp.shape[1] ?? 0);
    const f = this.nFeatures;
    const k = this.k;
    const featureLogProb = state.float64('feature_log_prob_');
    const classLogPrior = state.float64('class_log_prior_');
    if (featureLogProb.length !== k * f || classLogPrior.length !== k) {
      throw state.invalid('has feature_log_prob_/class_log_prior_ that do not match its classes and features');
    }
    this.#binarize = null;
    if (kind === 'bernoulli') {
      // neg_prob = log(1 - exp(flp)); jll = X · (flp - neg_prob).T + (class_log_prior_ + neg_prob.sum(1))
      const negProb = featureLogProb.map((v) => Math.log(1 - Math.exp(v)));
      this.#weights = featureLogProb.map((v, i) => v - negProb[i]!);
      this.#bias = classLogPrior.map((prior, c) => prior + numpySum(negProb, c * f, f));
      const threshold = state.has('binarize') ? state.number('binarize') : null;
      this.#binarize = threshold;
    } else {
      this.#weights = featureLogProb;
      // ComplementNB adds the prior only with a single class
      this.#bias = kind === 'multinomial' || k === 1 ? classLogPrior : null;
    }
    this.#row = new Float64Array(f);
  }

  protected jointLogLikelihood(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const k = this.k;
    const out = new Float64Array(rows * k);
    const row = this.#row;
    const threshold = this.#binarize;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < f; j++) {
        const v = x[r * f + j]!;
        row[j] = threshold === null ? v : v > threshold ? 1 : 0;
      }
      for (let c = 0; c < k; c++) {
        let sum = 0;
        for (let j = 0; j < f; j++) sum += row[j]! * this.#weights[c * f + j]!;
        out[r * k + c] = this.#bias ? sum + this.#bias[c]! : sum;
      }
    }
    return out;
  }
}

export const buildGaussianNB = (state: EstimatorState): Estimator => new GaussianNB(state);
export const buildMultinomialNB = (state: EstimatorState): Estimator => new DiscreteNB(state, 'multinomial');
export const buildComplementNB = (state: EstimatorState): Estimator => new DiscreteNB(state, 'complement');
export const buildBernoulliNB = (state: EstimatorState): Estimator => new DiscreteNB(state, 'bernoulli');
