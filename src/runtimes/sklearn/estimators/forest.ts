// Random forests and extra-trees: sklearn averages the trees. A classifier sums each tree's normalised leaf
// probabilities in estimator order, divides by the number of trees and takes the first argmax; a regressor
// averages the leaf values. Same order, same operations, so ties between classes break as in sklearn.

import { type KernelJob, type RowKernel, sharedArray, sharedFrom } from '../../intra-op/kernel.js';
import { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Prediction, PredictMethod, RowParallel } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { ClassifierLeaves, FlatTree, type FlatTreeState, singleOutputClasses, treeOf } from './tree.js';

/** Rows a thread takes at a time when a large batch is split (runtimes/intra-op). */
const BLOCK_ROWS = 64;
const MODULE = import.meta.url;

/**
 * Classifier: out[r * k + c] = the mean of the trees' leaf probabilities, summed in tree order (sklearn's).
 * The single-thread predict and every intra-op block run this same function.
 */
function averageProba(
  trees: readonly FlatTree[],
  probas: readonly Float64Array[],
  k: number,
  nFeatures: number,
  x: Float32Array,
  rows: number,
  out: Float64Array,
): void {
  const leaves = new Int32Array(rows);
  for (let t = 0; t < trees.length; t++) {
    const proba = probas[t]!;
    trees[t]!.leaves(x, rows, nFeatures, leaves);
    for (let r = 0; r < rows; r++) {
      const leaf = leaves[r]! * k;
      const o = r * k;
      for (let c = 0; c < k; c++) out[o + c]! += proba[leaf + c]!;
    }
  }
  const n = trees.length;
  for (let i = 0; i < rows * k; i++) out[i]! /= n;
}

/** Regressor: out[r * t + o] = the mean of the trees' leaf values, in tree order. */
function averageValues(
  trees: readonly FlatTree[],
  t: number,
  nFeatures: number,
  x: Float32Array,
  rows: number,
  out: Float64Array,
): void {
  const leaves = new Int32Array(rows);
  for (const tree of trees) {
    const stride = t * tree.maxClasses;
    tree.leaves(x, rows, nFeatures, leaves);
    for (let r = 0; r < rows; r++) {
      const v = leaves[r]! * stride;
      for (let o = 0; o < t; o++) out[r * t + o]! += tree.values[v + o * tree.maxClasses]!;
    }
  }
  const n = trees.length;
  for (let i = 0; i < rows * t; i++) out[i]! /= n;
}

interface ForestState {
  trees: FlatTreeState[];
  /** Classifier: each tree's normalised leaf probabilities; regressor: none. */
  probas: Float64Array[] | null;
  /** Classes (classifier) or outputs (regressor). */
  k: number;
  nFeatures: number;
}

/** The intra-op kernel: job.arrays `x` (float32 rows) and `out` (rows × k float64, zeroed). */
export function forestKernel(state: ForestState): RowKernel {
  const trees = state.trees.map((s) => new FlatTree(s, state.nFeatures));
  const { k, nFeatures, probas } = state;
  return (job: KernelJob, begin: number, end: number) => {
    const x = (job.arrays.x as Float32Array).subarray(begin * nFeatures, end * nFeatures);
    const out = (job.arrays.out as Float64Array).subarray(begin * k, end * k);
    if (probas) averageProba(trees, probas, k, nFeatures, x, end - begin, out);
    else averageValues(trees, k, nFeatures, x, end - begin, out);
  };
}

/** Splitting a forest's rows across threads: the state, the cost, and the answer from the kernel's output. */
function forestParallel(
  state: () => ForestState,
  trees: readonly FlatTree[],
  k: number,
  answer: (method: PredictMethod, out: Float64Array, rows: number) => Prediction,
): RowParallel {
  return {
    kernelSpec: () => ({ module: MODULE, exportName: 'forestKernel', state: state() }),
    stepsPerRow: trees.reduce((n, t) => n + t.depth, 0),
    blockRows: BLOCK_ROWS,
    async predictWith(method: PredictMethod, x: FeatureData, rows: number, run: (job: KernelJob) => Promise<void>) {
      const out = sharedArray(Float64Array, rows * k);
      await run({ arrays: { x: sharedFrom(Float32Array, x), out }, params: {} });
      return answer(method, out.slice(), rows);
    },
  };
}

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
  readonly rowParallel: RowParallel;
  readonly #trees: FlatTree[];
  readonly #probas: Float64Array[];
  readonly #labels: ClassLabels;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    const nClasses = singleOutputClasses(state);
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#trees = treesOf(state, this.nFeatures);
    this.#probas = this.#trees.map((tree) => {
      if (tree.maxClasses < nClasses) throw state.invalid('has a tree with fewer classes than classes_');
      return new ClassifierLeaves(tree, nClasses).proba;
    });
    this.predictProba = (x, rows) => this.#answer('predict_proba', this.#averageProba(x as Float32Array, rows), rows);
    const k = this.#labels.count;
    this.rowParallel = forestParallel(
      () => ({
        trees: this.#trees.map((t) => t.state()),
        probas: this.#probas,
        k,
        nFeatures: this.nFeatures,
      }),
      this.#trees,
      k,
      (method, out, rows) => this.#answer(method, out, rows),
    );
  }

  #averageProba(x: Float32Array, rows: number): Float64Array {
    const k = this.#labels.count;
    const out = new Float64Array(rows * k);
    averageProba(this.#trees, this.#probas, k, this.nFeatures, x, rows, out);
    return out;
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    return this.#answer('predict', this.#averageProba(x as Float32Array, rows), rows);
  }

  /** predict_proba is the mean probabilities; predict their first argmax's label. */
  #answer(method: PredictMethod, proba: Float64Array, rows: number): Prediction {
    const k = this.#labels.count;
    if (method === 'predict_proba') return { datatype: 'FP64', shape: [rows, k], data: proba };
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
  readonly rowParallel: RowParallel;
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
    const t = this.#nOutputs;
    this.rowParallel = forestParallel(
      () => ({ trees: this.#trees.map((tree) => tree.state()), probas: null, k: t, nFeatures: this.nFeatures }),
      this.#trees,
      t,
      (_method, out, rows) => ({ datatype: 'FP64', shape: t === 1 ? [rows] : [rows, t], data: out }),
    );
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const t = this.#nOutputs;
    const out = new Float64Array(rows * t);
    averageValues(this.#trees, t, this.nFeatures, x as Float32Array, rows, out);
    return { datatype: 'FP64', shape: t === 1 ? [rows] : [rows, t], data: out };
  }
}

export const buildForestClassifier = (state: EstimatorState): Estimator => new ForestClassifier(state);
export const buildForestRegressor = (state: EstimatorState): Estimator => new ForestRegressor(state);
