// DummyClassifier and DummyRegressor (sklearn/dummy.py) for their deterministic strategies: the initial
// prediction of a GradientBoosting model, and servable on their own.

import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Finiteness, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { argmax } from './special.js';

class DummyClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number | null;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly inputFinite: Finiteness = 'any';
  readonly predictProba: (x: FeatureData, rows: number) => Prediction;
  readonly #labels: ClassLabels;
  readonly #proba: Float64Array; // one row, repeated
  readonly #predicted: number;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeaturesIfAny();
    this.featureNames = state.featureNames();
    if (state.has('n_outputs_') && state.number('n_outputs_') !== 1) throw state.unsupported('multiple outputs');
    this.#labels = new ClassLabels(state.array('classes_'), state);
    const k = this.#labels.count;
    const prior = state.float64('class_prior_');
    if (prior.length !== k) throw state.invalid('has class_prior_ that does not match classes_');
    const strategy = state.get(state.firstOf('_strategy', 'strategy'));
    this.#proba = new Float64Array(k);
    if (strategy === 'prior') {
      this.#proba.set(prior);
      this.#predicted = argmax(prior, 0, k);
    } else if (strategy === 'most_frequent') {
      this.#predicted = argmax(prior, 0, k);
      this.#proba[this.#predicted] = 1;
    } else if (strategy === 'constant') {
      const constant = state.get('constant');
      const classes = Array.from(state.array('classes_').data as ArrayLike<unknown>, (v) =>
        typeof v === 'bigint' ? Number(v) : v,
      );
      this.#predicted = classes.indexOf(Array.isArray(constant) ? constant[0] : constant);
      if (this.#predicted < 0) throw state.invalid('has a constant that is not one of its classes');
      this.#proba[this.#predicted] = 1;
    } else {
      throw state.unsupported(`strategy=${String(strategy)} (random predictions)`);
    }
    this.predictProba = (_x, rows) => {
      const out = new Float64Array(rows * k);
      for (let r = 0; r < rows; r++) out.set(this.#proba, r * k);
      return { datatype: 'FP64', shape: [rows, k], data: out };
    };
  }

  predict(_x: FeatureData, rows: number): Prediction {
    const indices = new Int32Array(rows).fill(this.#predicted);
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }
}

class DummyRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number | null;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly inputFinite: Finiteness = 'any';
  readonly #constant: Float64Array;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeaturesIfAny();
    this.featureNames = state.featureNames();
    this.#constant = state.float64('constant_');
  }

  predict(_x: FeatureData, rows: number): Prediction {
    const t = this.#constant.length;
    const out = new Float64Array(rows * t);
    for (let r = 0; r < rows; r++) out.set(this.#constant, r * t);
    return { datatype: 'FP64', shape: t === 1 ? [rows] : [rows, t], data: out };
  }
}

export const buildDummyClassifier = (state: EstimatorState): Estimator => new DummyClassifier(state);
export const buildDummyRegressor = (state: EstimatorState): Estimator => new DummyRegressor(state);
