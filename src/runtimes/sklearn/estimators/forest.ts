// Random forests and extra-trees: sklearn averages the trees. A classifier sums each tree's normalised leaf
// probabilities in estimator order, divides by the number of trees and takes the first argmax; a regressor
// averages the leaf values. Same order, same operations, so ties between classes break as in sklearn.

import { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, Prediction } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { ClassifierLeaves, type FlatTree, singleOutputClasses, treeOf } from './tree.js';

function treesOf(state: EstimatorState, nFeatures: number): FlatTree[] {
  const estimators = state.list('estimators_');
  if (estimators.length === 0) throw state.invalid('has no trees');
  return estimators.map((entry) => {
    if (!(entry instanceof PyObject)) throw state.invalid('has an estimators_ entry that is not a decision tree');
    return treeOf(new EstimatorState(entry), nFeatures);
  });
}

class ForestClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float32' as const;
  readonly predictProba: (x: Float64Array | Float32Array, rows: number) => Prediction;
  readonly #trees: FlatTree[];
  readonly #leaves: ClassifierLeaves[];
  readonly #labels: ClassLabels;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    const nClasses = singleOutputClasses(state);
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#trees = treesOf(state, this.nFeatures);
    this.#leaves = this.#trees.map((tree) => {
      if (tree.maxClasses < nClasses) throw state.invalid('has a tree with fewer classes than classes_');
      return new ClassifierLeaves(tree, nClasses);
    });
    this.predictProba = (x, rows) => ({
      datatype: 'FP64',
      shape: [rows, this.#labels.count],
      data: this.#averageProba(x as Float32Array, rows),
    });
  }

  #averageProba(x: Float32Array, rows: number): Float64Array {
    const k = this.#labels.count;
    const out = new Float64Array(rows * k);
    const leaves = new Int32Array(rows);
    for (let t = 0; t < this.#trees.length; t++) {
      const tree = this.#trees[t]!;
      const proba = this.#leaves[t]!.proba;
      tree.leaves(x, rows, this.nFeatures, leaves);
      for (let r = 0; r < rows; r++) {
        const leaf = leaves[r]! * k;
        const o = r * k;
        for (let c = 0; c < k; c++) out[o + c]! += proba[leaf + c]!;
      }
    }
    const n = this.#trees.length;
    for (let i = 0; i < out.length; i++) out[i]! /= n;
    return out;
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const k = this.#labels.count;
    const proba = this.#averageProba(x as Float32Array, rows);
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (proba[r * k + c]! > proba[r * k + best]!) best = c;
      indices[r] = best;
    }
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }
}

class ForestRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float32' as const;
  readonly #trees: FlatTree[];
  readonly #nOutputs: number;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    this.#trees = treesOf(state, this.nFeatures);
    this.#nOutputs = this.#trees[0]!.nOutputs;
    if (this.#trees.some((tree) => tree.nOutputs !== this.#nOutputs))
      throw state.invalid('has trees with different outputs');
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const t = this.#nOutputs;
    const out = new Float64Array(rows * t);
    const leaves = new Int32Array(rows);
    for (const tree of this.#trees) {
      const stride = t * tree.maxClasses;
      tree.leaves(x as Float32Array, rows, this.nFeatures, leaves);
      for (let r = 0; r < rows; r++) {
        const v = leaves[r]! * stride;
        for (let o = 0; o < t; o++) out[r * t + o]! += tree.values[v + o * tree.maxClasses]!;
      }
    }
    const n = this.#trees.length;
    for (let i = 0; i < out.length; i++) out[i]! /= n;
    return { datatype: 'FP64', shape: t === 1 ? [rows] : [rows, t], data: out };
  }
}

export const buildForestClassifier = (state: EstimatorState): Estimator => new ForestClassifier(state);
export const buildForestRegressor = (state: EstimatorState): Estimator => new ForestRegressor(state);
