// KNeighborsClassifier and KNeighborsRegressor (sklearn/neighbors/_classification.py, _regression.py, _base.py)
// over the pickled KDTree/BallTree or, for algorithm='brute', the stored _fit_X; neighbour search in
// neighbor-search.ts. Uniform weights vote by count (ties: the smaller class, as scipy.stats.mode); 'distance'
// weights by 1/d (an exact match gets all the weight), as sklearn's weighted_mode and predict_proba sum them.

import { PyStateObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import {
  BruteForce,
  type Metric,
  minkowskiMetric,
  NeighborHeap,
  type NeighborSearch,
  TreeSearch,
  treeArrays,
} from './neighbor-search.js';
import { numpySum } from './numpy-sum.js';

function metricOf(state: EstimatorState): Metric {
  const name = state.get('effective_metric_');
  const params = state.has('effective_metric_params_') ? state.get('effective_metric_params_') : null;
  const extra = params instanceof Map ? params : new Map();
  if (extra.has('w') && extra.get('w') !== null) throw state.unsupported('a weighted Minkowski metric');
  switch (name) {
    case 'euclidean':
    case 'l2':
      return minkowskiMetric(2);
    case 'manhattan':
    case 'cityblock':
    case 'l1':
      return minkowskiMetric(1);
    case 'chebyshev':
    case 'infinity':
      return minkowskiMetric(Number.POSITIVE_INFINITY);
    case 'minkowski': {
      const p = Number(extra.get('p') ?? state.get('p'));
      if (!(p >= 1)) throw state.unsupported(`metric minkowski with p=${p}`);
      return minkowskiMetric(p);
    }
    default:
      throw state.unsupported(`metric=${String(name)}`);
  }
}

function searchOf(state: EstimatorState, nFeatures: number): { search: NeighborSearch; nSamples: number } {
  const metric = metricOf(state);
  const method = state.get('_fit_method');
  if (method === 'brute') {
    const fitX = state.array('_fit_X');
    if (fitX.shape.length !== 2 || fitX.shape[1] !== nFeatures) throw state.invalid('has a malformed _fit_X');
    return {
      search: new BruteForce(state.float64('_fit_X'), fitX.shape[0]!, nFeatures, metric),
      nSamples: fitX.shape[0]!,
    };
  }
  if (method !== 'kd_tree' && method !== 'ball_tree') throw state.unsupported(`algorithm ${String(method)}`);
  const tree = state.get('_tree');
  if (!(tree instanceof PyStateObject) || !Array.isArray(tree.state)) throw state.invalid('has no readable _tree');
  const arrays = treeArrays(method === 'kd_tree' ? 'kd' : 'ball', tree.state);
  if (typeof arrays === 'string') throw state.invalid(`has a damaged ${String(method)}: ${arrays}`);
  if (arrays.nFeatures !== nFeatures) throw state.invalid('has a tree of the wrong width');
  return { search: new TreeSearch(arrays, metric), nSamples: arrays.nSamples };
}

/** The k neighbours of every row, sorted: reduced distances turned into distances, and fitted-row indices. */
class Neighbors {
  readonly k: number;
  readonly #search: NeighborSearch;
  readonly #metric: Metric;
  readonly #heap: NeighborHeap;
  readonly #nFeatures: number;

  constructor(state: EstimatorState, nFeatures: number) {
    this.k = state.number('n_neighbors');
    const { search, nSamples } = searchOf(state, nFeatures);
    if (!Number.isInteger(this.k) || this.k < 1 || this.k > nSamples)
      throw state.invalid('has an n_neighbors it cannot answer');
    this.#search = search;
    this.#metric = metricOf(state);
    this.#heap = new NeighborHeap(this.k);
    this.#nFeatures = nFeatures;
  }

  /** Neighbours of row r into distances/indices at r * k. */
  find(x: Float64Array, r: number, distances: Float64Array, indices: Int32Array): void {
    const heap = this.#heap;
    heap.reset();
    this.#search.query(x, r * this.#nFeatures, heap);
    heap.sort();
    const o = r * this.k;
    for (let i = 0; i < this.k; i++) {
      distances[o + i] = this.#metric.rdistToDist(heap.distances[i]!);
      indices[o + i] = heap.indices[i]!;
    }
  }
}

type Weighting = 'uniform' | 'distance';

function weightingOf(state: EstimatorState): Weighting {
  const weights = state.get('weights');
  if (weights !== 'uniform' && weights !== 'distance' && weights !== null) {
    throw state.unsupported('a weights function');
  }
  return weights === 'distance' ? 'distance' : 'uniform';
}

/** _get_weights(dist, 'distance') for one row, into out: 1/d, or 1 for exact matches and 0 for the rest. */
function distanceWeights(distances: Float64Array, offset: number, k: number, out: Float64Array): void {
  let exact = false;
  for (let i = 0; i < k; i++) {
    out[i] = 1.0 / distances[offset + i]!;
    if (out[i] === Number.POSITIVE_INFINITY) exact = true;
  }
  if (exact) for (let i = 0; i < k; i++) out[i] = out[i] === Number.POSITIVE_INFINITY ? 1 : 0;
}

class KNeighborsClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly predictProba: (x: FeatureData, rows: number) => Prediction;
  readonly #neighbors: Neighbors;
  readonly #labels: ClassLabels;
  readonly #y: Int32Array;
  readonly #weighting: Weighting;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.array('_fit_X').shape[1] ?? 0);
    this.featureNames = state.featureNames();
    if (state.get('outputs_2d_') === true) throw state.unsupported('multiple outputs');
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#y = state.int32('_y');
    if (this.#y.some((v) => v < 0 || v >= this.#labels.count)) throw state.invalid('has _y outside its classes');
    this.#neighbors = new Neighbors(state, this.nFeatures);
    this.#weighting = weightingOf(state);
    this.predictProba = (x, rows) => this.#proba(x as Float64Array, rows);
  }

  #neighbours(x: Float64Array, rows: number): { distances: Float64Array; indices: Int32Array } {
    const k = this.#neighbors.k;
    const distances = new Float64Array(rows * k);
    const indices = new Int32Array(rows * k);
    for (let r = 0; r < rows; r++) this.#neighbors.find(x, r, distances, indices);
    return { distances, indices };
  }

  predict(x: FeatureData, rows: number): Prediction {
    const k = this.#neighbors.k;
    const nClasses = this.#labels.count;
    const { distances, indices } = this.#neighbours(x as Float64Array, rows);
    const out = new Int32Array(rows);
    const weights = new Float64Array(k);
    const template = new Float64Array(k);
    const counts = new Int32Array(nClasses);
    for (let r = 0; r < rows; r++) {
      if (this.#weighting === 'uniform') {
        // scipy.stats.mode: the most frequent label, the smallest on a tie
        counts.fill(0);
        for (let i = 0; i < k; i++) counts[this.#y[indices[r * k + i]!]!]!++;
        let best = 0;
        for (let c = 1; c < nClasses; c++) if (counts[c]! > counts[best]!) best = c;
        out[r] = best;
        continue;
      }
      // weighted_mode: labels in ascending order, a label replaces the best only with a larger weight sum
      distanceWeights(distances, r * k, k, weights);
      let best = 0;
      let bestCount = 0;
      for (let c = 0; c < nClasses; c++) {
        for (let i = 0; i < k; i++) template[i] = this.#y[indices[r * k + i]!] === c ? weights[i]! : 0;
        const count = numpySum(template, 0, k);
        if (count > bestCount) {
          best = c;
          bestCount = count;
        }
      }
      out[r] = best;
    }
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(out) };
  }

  #proba(x: Float64Array, rows: number): Prediction {
    const k = this.#neighbors.k;
    const nClasses = this.#labels.count;
    const { distances, indices } = this.#neighbours(x, rows);
    const proba = new Float64Array(rows * nClasses);
    const weights = new Float64Array(k).fill(1);
    for (let r = 0; r < rows; r++) {
      if (this.#weighting === 'distance') distanceWeights(distances, r * k, k, weights);
      const o = r * nClasses;
      for (let i = 0; i < k; i++) {
        const label = this.#y[indices[r * k + i]!]!;
        proba[o + label] = proba[o + label]! + weights[i]!;
      }
      let normalizer = numpySum(proba, o, nClasses);
      if (normalizer === 0) normalizer = 1;
      for (let c = 0; c < nClasses; c++) proba[o + c] = proba[o + c]! / normalizer;
    }
    return { datatype: 'FP64', shape: [rows, nClasses], data: proba };
  }
}

class KNeighborsRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly #neighbors: Neighbors;
  readonly #y: Float64Array;
  readonly #targets: number;
  readonly #weighting: Weighting;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.array('_fit_X').shape[1] ?? 0);
    this.featureNames = state.featureNames();
    const y = state.array('_y');
    this.#y = state.float64('_y');
    this.#targets = y.shape.length === 2 ? y.shape[1]! : 1;
    this.#neighbors = new Neighbors(state, this.nFeatures);
    this.#weighting = weightingOf(state);
  }

  predict(x: FeatureData, rows: number): Prediction {
    const k = this.#neighbors.k;
    const t = this.#targets;
    const distances = new Float64Array(rows * k);
    const indices = new Int32Array(rows * k);
    const out = new Float64Array(rows * t);
    const weights = new Float64Array(k);
    const terms = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      this.#neighbors.find(x as Float64Array, r, distances, indices);
      if (this.#weighting === 'distance') distanceWeights(distances, r * k, k, weights);
      const denominator = this.#weighting === 'distance' ? numpySum(weights, 0, k) : k;
      for (let j = 0; j < t; j++) {
        for (let i = 0; i < k; i++) {
          const y = this.#y[indices[r * k + i]! * t + j]!;
          terms[i] = this.#weighting === 'distance' ? y * weights[i]! : y;
        }
        out[r * t + j] = numpySum(terms, 0, k) / denominator;
      }
    }
    return { datatype: 'FP64', shape: t === 1 ? [rows] : [rows, t], data: out };
  }
}

export const buildKNeighborsClassifier = (state: EstimatorState): Estimator => new KNeighborsClassifier(state);
export const buildKNeighborsRegressor = (state: EstimatorState): Estimator => new KNeighborsRegressor(state);
