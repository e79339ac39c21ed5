// Decision trees as sklearn's Cython Tree stores them (sklearn/tree/_tree.pyx): parallel arrays of children,
// split feature, threshold and leaf values. sklearn casts X to float32 before walking a tree and goes left when
// `x <= threshold` (the float32 value widened to double against a double threshold); we do the same, with X
// arriving as a Float32Array.

import { sharedArray, sharedFrom } from '../../intra-op/kernel.js';
import type { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, Prediction } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { numpySum } from './numpy-sum.js';

const TREE_LEAF = -1;
/**
 * Trees up to this depth are walked level by level, 4 rows at once (see FlatTree.leaves); deeper ones (a forest
 * grown with max_depth=None) row by row, since the level walk costs the deepest path for every row.
 */
const MAX_LEVEL_WALK_DEPTH = 20;

/** A FlatTree's arrays (in SharedArrayBuffers) and sizes: what an intra-op worker thread rebuilds it from. */
export interface FlatTreeState {
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  values: Float64Array;
  nOutputs: number;
  maxClasses: number;
  depth: number;
  child: Int32Array;
  walkFeature: Int32Array;
}

/** One fitted `sklearn.tree._tree.Tree`, flattened and checked so that walking it always terminates. */
export class FlatTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** value[node * stride + output * maxClasses + class], stride = nOutputs * maxClasses. */
  readonly values: Float64Array;
  readonly nOutputs: number;
  readonly maxClasses: number;
  readonly nodeCount: number;
  /** Edges on the longest root-to-leaf path. */
  readonly depth: number;
  /**
   * child[2n] / child[2n + 1]: where node n sends `x <= threshold` / anything else (NaN included); a leaf
   * sends everything to itself, so a walk of `depth` steps ends on every row's leaf without testing for it.
   */
  readonly #child: Int32Array;
  /** feature with leaves (sklearn's -2, TREE_UNDEFINED) reading column 0: a leaf's test goes nowhere anyway. */
  readonly #walkFeature: Int32Array;

  /** From the pickled Tree (checked), or from a `state()` (an intra-op worker thread: the same arrays). */
  constructor(tree: PyObject | FlatTreeState, nFeatures: number, owner?: EstimatorState) {
    if (!owner) {
      const st = tree as FlatTreeState;
      this.left = st.left;
      this.right = st.right;
      this.feature = st.feature;
      this.threshold = st.threshold;
      this.values = st.values;
      this.nOutputs = st.nOutputs;
      this.maxClasses = st.maxClasses;
      this.nodeCount = st.left.length;
      this.depth = st.depth;
      this.#child = st.child;
      this.#walkFeature = st.walkFeature;
      return;
    }
    const state = new EstimatorState(tree as PyObject);
    const nodes = state.array('nodes');
    // Shared memory, so that intra-op worker threads walk the same arrays without a copy.
    this.left = toInt32(nodes.field('left_child').data, owner);
    this.right = toInt32(nodes.field('right_child').data, owner);
    this.feature = toInt32(nodes.field('feature').data, owner);
    this.threshold = sharedFrom(Float64Array, nodes.field('threshold').data as ArrayLike<number>);
    this.values = sharedFrom(Float64Array, state.float64('values'));
    const valueShape = state.array('values').shape;
    this.nodeCount = this.left.length;
    this.nOutputs = valueShape[1] ?? 0;
    this.maxClasses = valueShape[2] ?? 0;
    if (valueShape.length !== 3 || valueShape[0] !== this.nodeCount || this.nOutputs < 1 || this.nodeCount < 1) {
      throw owner.invalid('has a tree whose values do not match its nodes');
    }
    // sklearn numbers nodes depth-first, so children always come after their parent; checking that makes
    // every walk from the root end at a leaf, whatever the file says.
    for (let node = 0; node < this.nodeCount; node++) {
      const l = this.left[node]!;
      const r = this.right[node]!;
      if (l === TREE_LEAF && r === TREE_LEAF) continue;
      const f = this.feature[node]!;
      if (l <= node || r <= node || l >= this.nodeCount || r >= this.nodeCount || f < 0 || f >= nFeatures) {
        throw owner.invalid(`has a corrupt tree (node ${node})`);
      }
    }
    this.#child = sharedArray(Int32Array, 2 * this.nodeCount);
    this.#walkFeature = sharedArray(Int32Array, this.nodeCount);
    const level = new Int32Array(this.nodeCount);
    let depth = 0;
    for (let node = 0; node < this.nodeCount; node++) {
      const l = this.left[node]!;
      if (l === TREE_LEAF) {
        this.#child[2 * node] = node;
        this.#child[2 * node + 1] = node;
        continue;
      }
      this.#child[2 * node] = l;
      this.#walkFeature[node] = this.feature[node]!;
      this.#child[2 * node + 1] = this.right[node]!;
      // Children come after their parent (checked above), so their level is set before they are visited.
      level[l] = level[node]! + 1;
      level[this.right[node]!] = level[node]! + 1;
      if (level[node]! + 1 > depth) depth = level[node]! + 1;
    }
    this.depth = depth;
  }

  /** The arrays, for intra-op worker threads. */
  state(): FlatTreeState {
    return {
      left: this.left,
      right: this.right,
      feature: this.feature,
      threshold: this.threshold,
      values: this.values,
      nOutputs: this.nOutputs,
      maxClasses: this.maxClasses,
      depth: this.depth,
      child: this.#child,
      walkFeature: this.#walkFeature,
    };
  }

  /**
   * out[r] = the leaf row r of `x` lands in, for rows [0, rows). 4 rows walk down together, level by level:
   * their walks are independent, so the CPU overlaps them, and no row tests whether it has reached its leaf.
   */
  leaves(x: Float32Array, rows: number, nFeatures: number, out: Int32Array): void {
    let r = 0;
    if (this.depth <= MAX_LEVEL_WALK_DEPTH) {
      const child = this.#child;
      const feature = this.#walkFeature;
      const threshold = this.threshold;
      const depth = this.depth;
      const rows4 = rows - (rows % 4);
      for (; r < rows4; r += 4) {
        const a0 = r * nFeatures;
        const a1 = a0 + nFeatures;
        const a2 = a1 + nFeatures;
        const a3 = a2 + nFeatures;
        let n0 = 0;
        let n1 = 0;
        let n2 = 0;
        let n3 = 0;
        for (let d = 0; d < depth; d++) {
          n0 = child[2 * n0 + 1 - +(x[a0 + feature[n0]!]! <= threshold[n0]!)]!;
          n1 = child[2 * n1 + 1 - +(x[a1 + feature[n1]!]! <= threshold[n1]!)]!;
          n2 = child[2 * n2 + 1 - +(x[a2 + feature[n2]!]! <= threshold[n2]!)]!;
          n3 = child[2 * n3 + 1 - +(x[a3 + feature[n3]!]! <= threshold[n3]!)]!;
        }
        out[r] = n0;
        out[r + 1] = n1;
        out[r + 2] = n2;
        out[r + 3] = n3;
      }
    }
    for (; r < rows; r++) out[r] = this.leaf(x, r * nFeatures);
  }

  /** The leaf that row `row` of `x` (float32, row-major with `nFeatures` columns) lands in. */
  leaf(x: Float32Array, offset: number): number {
    const left = this.left;
    const feature = this.feature;
    const threshold = this.threshold;
    let node = 0;
    while (left[node] !== TREE_LEAF) {
      node = x[offset + feature[node]!]! <= threshold[node]! ? left[node]! : this.right[node]!;
    }
    return node;
  }
}

function toInt32(data: unknown, owner: EstimatorState): Int32Array {
  if (!(data instanceof BigInt64Array) && !(data instanceof Int32Array))
    throw owner.invalid('has tree nodes of an unexpected dtype');
  const out = sharedArray(Int32Array, data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
  return out;
}

/** Per-leaf class index (argmax of the leaf's values) and normalised probabilities, computed once at load. */
export class ClassifierLeaves {
  readonly classIndex: Int32Array;
  readonly proba: Float64Array; // node × nClasses

  constructor(tree: FlatTree, nClasses: number) {
    const stride = tree.nOutputs * tree.maxClasses;
    this.classIndex = new Int32Array(tree.nodeCount);
    this.proba = sharedArray(Float64Array, tree.nodeCount * nClasses); // shared with intra-op threads
    for (let node = 0; node < tree.nodeCount; node++) {
      const v = node * stride;
      let best = 0;
      for (let c = 1; c < tree.maxClasses; c++) if (tree.values[v + c]! > tree.values[v + best]!) best = c;
      this.classIndex[node] = best;
      // DecisionTreeClassifier.predict_proba: value / value.sum(), a zero sum left as 1.
      let normalizer = numpySum(tree.values, v, nClasses);
      if (normalizer === 0) normalizer = 1;
      for (let c = 0; c < nClasses; c++) this.proba[node * nClasses + c] = tree.values[v + c]! / normalizer;
    }
  }
}

export function treeOf(estimator: EstimatorState, nFeatures: number): FlatTree {
  const tree = estimator.object('tree_');
  if (!tree.className.endsWith('._tree.Tree')) throw estimator.invalid('has a tree_ that is not a sklearn Tree');
  return new FlatTree(tree, nFeatures, estimator);
}

/** The number of classes of a single-output classifier; multi-output classification is not supported. */
export function singleOutputClasses(state: EstimatorState): number {
  if (state.has('n_outputs_') && state.number('n_outputs_') !== 1) throw state.unsupported('multiple outputs');
  return state.array('classes_').size;
}

class DecisionTreeClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float32' as const;
  readonly predictProba: (x: Float64Array | Float32Array, rows: number) => Prediction;
  readonly #tree: FlatTree;
  readonly #leaves: ClassifierLeaves;
  readonly #labels: ClassLabels;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    const nClasses = singleOutputClasses(state);
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#tree = treeOf(state, this.nFeatures);
    if (this.#tree.maxClasses < nClasses) throw state.invalid('has a tree with fewer classes than classes_');
    this.#leaves = new ClassifierLeaves(this.#tree, nClasses);
    this.predictProba = (x, rows) => this.#predictProba(x as Float32Array, rows);
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++)
      indices[r] = this.#leaves.classIndex[this.#tree.leaf(x as Float32Array, r * this.nFeatures)]!;
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }

  #predictProba(x: Float32Array, rows: number): Prediction {
    const k = this.#labels.count;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const leaf = this.#tree.leaf(x, r * this.nFeatures);
      out.set(this.#leaves.proba.subarray(leaf * k, leaf * k + k), r * k);
    }
    return { datatype: 'FP64', shape: [rows, k], data: out };
  }
}

class DecisionTreeRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float32' as const;
  readonly #tree: FlatTree;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    this.#tree = treeOf(state, this.nFeatures);
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const tree = this.#tree;
    const t = tree.nOutputs;
    const out = new Float64Array(rows * t);
    for (let r = 0; r < rows; r++) {
      const v = tree.leaf(x as Float32Array, r * this.nFeatures) * t * tree.maxClasses;
      for (let o = 0; o < t; o++) out[r * t + o] = tree.values[v + o * tree.maxClasses]!;
    }
    return { datatype: 'FP64', shape: t === 1 ? [rows] : [rows, t], data: out };
  }
}

export const buildDecisionTreeClassifier = (state: EstimatorState): Estimator => new DecisionTreeClassifier(state);
export const buildDecisionTreeRegressor = (state: EstimatorState): Estimator => new DecisionTreeRegressor(state);
