// HistGradientBoostingClassifier/Regressor (sklearn/ensemble/_hist_gradient_boosting): each TreePredictor is a
// structured `nodes` array walked on raw float64 X (_predictor.pyx, _predict_one_from_raw_data): NaN follows
// missing_go_to_left; a categorical split goes left when the category (cast to uint8 as C does) is in the
// node's raw_left_cat_bitsets, right when it is a known category, and the missing way when unknown. Raw
// scores start at _baseline_prediction and add every iteration's tree in order.

import type { NdArray } from '../pickle/ndarray.js';
import { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Finiteness, Prediction } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { argmax, expit, softmaxInPlace } from './special.js';

/** C's (unsigned char) of a double, as x86 compilers do it: truncate to int32, keep the low byte. */
function toUint8(v: number): number {
  const t = Math.trunc(v);
  return (t >= -2147483648 && t <= 2147483647 ? t : -2147483648) & 0xff;
}

function inBitset(bitsets: Uint32Array, row: number, value: number): boolean {
  return ((bitsets[row * 8 + (value >>> 5)]! >>> (value & 31)) & 1) === 1;
}

class TreePredictor {
  readonly #value: Float64Array;
  readonly #feature: Int32Array;
  readonly #threshold: Float64Array;
  readonly #missingLeft: Uint8Array;
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  readonly #isLeaf: Uint8Array;
  readonly #isCategorical: Uint8Array;
  readonly #bitsetIndex: Int32Array;
  readonly #leftCategories: Uint32Array; // raw_left_cat_bitsets, rows of 8 words

  constructor(predictor: PyObject, nFeatures: number, owner: EstimatorState) {
    const state = new EstimatorState(predictor);
    const nodes = state.array('nodes');
    const column = (name: string) => Array.from(nodes.field(name).data as ArrayLike<number | bigint>, Number);
    this.#value = Float64Array.from(column('value'));
    this.#feature = Int32Array.from(column('feature_idx'));
    this.#threshold = Float64Array.from(column('num_threshold'));
    this.#missingLeft = Uint8Array.from(column('missing_go_to_left'));
    this.#left = Int32Array.from(column('left'));
    this.#right = Int32Array.from(column('right'));
    this.#isLeaf = Uint8Array.from(column('is_leaf'));
    const n = this.#value.length;
    const hasCategories = nodes.dtype.fields?.some((f) => f.name === 'is_categorical') ?? false;
    this.#isCategorical = hasCategories ? Uint8Array.from(column('is_categorical')) : new Uint8Array(n);
    this.#bitsetIndex = hasCategories ? Int32Array.from(column('bitset_idx')) : new Int32Array(n);
    this.#leftCategories = state.has('raw_left_cat_bitsets')
      ? Uint32Array.from(state.float64('raw_left_cat_bitsets'))
      : new Uint32Array(0);
    const nBitsets = this.#leftCategories.length / 8;
    // Children come after their parent (the grower numbers nodes as it splits), so every walk ends at a leaf.
    for (let node = 0; node < n; node++) {
      if (this.#isLeaf[node]) continue;
      const l = this.#left[node]!;
      const r = this.#right[node]!;
      const f = this.#feature[node]!;
      if (l <= node || r <= node || l >= n || r >= n || f < 0 || f >= nFeatures) {
        throw owner.invalid(`has a corrupt histogram tree (node ${node})`);
      }
      if (this.#isCategorical[node] && this.#bitsetIndex[node]! >= nBitsets) {
        throw owner.invalid(`has a categorical split without its bitset (node ${node})`);
      }
    }
    if (n === 0) throw owner.invalid('has an empty histogram tree');
  }

  predict(x: Float64Array, offset: number, knownCategories: Uint32Array, categoryRow: Int32Array): number {
    let node = 0;
    while (!this.#isLeaf[node]) {
      const feature = this.#feature[node]!;
      const v = x[offset + feature]!;
      const missingWay = this.#missingLeft[node] ? this.#left[node]! : this.#right[node]!;
      if (Number.isNaN(v)) {
        node = missingWay;
      } else if (this.#isCategorical[node]) {
        if (v < 0) {
          node = missingWay;
        } else {
          const category = toUint8(v);
          if (inBitset(this.#leftCategories, this.#bitsetIndex[node]!, category)) node = this.#left[node]!;
          else if (inBitset(knownCategories, categoryRow[feature]!, category)) node = this.#right[node]!;
          else node = missingWay;
        }
      } else {
        node = v <= this.#threshold[node]! ? this.#left[node]! : this.#right[node]!;
      }
    }
    return this.#value[node]!;
  }
}

/** Every iteration's predictors plus the bin mapper's known categories; sums raw scores. */
class Boosting {
  readonly k: number;
  readonly #iterations: TreePredictor[][];
  readonly #baseline: Float64Array;
  readonly #known: Uint32Array; // known_cat_bitsets: one row of 8 words per categorical feature
  readonly #categoryRow: Int32Array; // f_idx_map
  readonly #nFeatures: number;

  constructor(state: EstimatorState, nFeatures: number) {
    this.#nFeatures = nFeatures;
    this.k = state.number('n_trees_per_iteration_');
    this.#baseline = state.float64('_baseline_prediction');
    if (this.#baseline.length !== this.k) throw state.invalid('has a _baseline_prediction of the wrong size');
    this.#iterations = state.list('_predictors').map((iteration) => {
      if (!Array.isArray(iteration) || iteration.length !== this.k) throw state.invalid('has a malformed _predictors');
      return iteration.map((p) => {
        if (!(p instanceof PyObject)) throw state.invalid('has a _predictors entry that is not a TreePredictor');
        return new TreePredictor(p, nFeatures, state);
      });
    });
    [this.#known, this.#categoryRow] = knownCategories(state, nFeatures);
  }

  /** raw[r * K + k]: baseline, then every iteration's tree, in order. */
  raw(x: Float64Array, rows: number): Float64Array {
    const k = this.k;
    const f = this.#nFeatures;
    const raw = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) raw.set(this.#baseline, r * k);
    for (const iteration of this.#iterations) {
      for (let c = 0; c < k; c++) {
        const tree = iteration[c]!;
        for (let r = 0; r < rows; r++) {
          raw[r * k + c] = raw[r * k + c]! + tree.predict(x, r * f, this.#known, this.#categoryRow);
        }
      }
    }
    return raw;
  }
}

/** _BinMapper.make_known_categories_bitsets: a bitset of the fitted categories of each categorical feature. */
function knownCategories(state: EstimatorState, nFeatures: number): [Uint32Array, Int32Array] {
  const categoryRow = new Int32Array(nFeatures);
  const mapper = state.get('_bin_mapper');
  if (!(mapper instanceof PyObject)) throw state.invalid('has no _bin_mapper');
  const mapperState = new EstimatorState(mapper);
  const isCategorical = mapperState.has('is_categorical_')
    ? Array.from(mapperState.float64('is_categorical_'), (v) => v !== 0)
    : new Array<boolean>(nFeatures).fill(false);
  const categorical = isCategorical.flatMap((is, f) => (is ? [f] : []));
  const known = new Uint32Array(categorical.length * 8);
  if (categorical.length === 0) return [known, categoryRow];
  const thresholds = mapperState.list('bin_thresholds_');
  categorical.forEach((f, row) => {
    categoryRow[f] = row;
    const values = thresholds[f] as NdArray | undefined;
    if (!values || !('data' in values)) throw state.invalid('has no known categories for a categorical feature');
    for (const value of Array.from(values.data as ArrayLike<number>)) {
      const category = toUint8(value);
      known[row * 8 + (category >>> 5)]! |= 1 << (category & 31);
    }
  });
  return [known, categoryRow];
}

function lossName(state: EstimatorState): string {
  const loss = state.get('_loss');
  if (!(loss instanceof PyObject)) throw state.unsupported('a model without its _loss object (sklearn < 1.1)');
  return loss.className.slice(loss.className.lastIndexOf('.') + 1);
}

class HistGradientBoostingClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly inputFinite: Finiteness = 'any';
  readonly predictProba: (x: FeatureData, rows: number) => Prediction;
  readonly decisionFunction: (x: FeatureData, rows: number) => Prediction;
  readonly #boosting: Boosting;
  readonly #labels: ClassLabels;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('_n_features'));
    this.featureNames = state.featureNames();
    this.#labels = new ClassLabels(state.array('classes_'), state);
    const loss = lossName(state);
    if (loss !== 'HalfBinomialLoss' && loss !== 'HalfMultinomialLoss') throw state.unsupported(`loss ${loss}`);
    this.#boosting = new Boosting(state, this.nFeatures);
    const k = this.#labels.count;
    if (this.#boosting.k !== (k === 2 ? 1 : k))
      throw state.invalid('has trees per iteration that do not match classes_');
    this.predictProba = (x, rows) => ({
      datatype: 'FP64',
      shape: [rows, k],
      data: this.#proba(x as Float64Array, rows),
    });
    this.decisionFunction = (x, rows) => ({
      datatype: 'FP64',
      shape: this.#boosting.k === 1 ? [rows] : [rows, this.#boosting.k],
      data: this.#boosting.raw(x as Float64Array, rows),
    });
  }

  #proba(x: Float64Array, rows: number): Float64Array {
    const raw = this.#boosting.raw(x, rows);
    const k = this.#labels.count;
    if (this.#boosting.k === 1) {
      const out = new Float64Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        const p = expit(raw[r]!);
        out[2 * r + 1] = p;
        out[2 * r] = 1 - p;
      }
      return out;
    }
    for (let r = 0; r < rows; r++) softmaxInPlace(raw, r * k, k);
    return raw;
  }

  predict(x: FeatureData, rows: number): Prediction {
    const k = this.#labels.count;
    const proba = this.#proba(x as Float64Array, rows);
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) indices[r] = argmax(proba, r * k, k);
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }
}

/** The regressor's inverse link: identity for squared/absolute/quantile losses, exp for Poisson and Gamma. */
const REGRESSION_LINKS: Readonly<Record<string, ((v: number) => number) | null>> = {
  HalfSquaredError: null,
  AbsoluteError: null,
  PinballLoss: null,
  HalfPoissonLoss: Math.exp,
  HalfGammaLoss: Math.exp,
};

class HistGradientBoostingRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly inputFinite: Finiteness = 'any';
  readonly #boosting: Boosting;
  readonly #link: ((v: number) => number) | null;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('_n_features'));
    this.featureNames = state.featureNames();
    const loss = lossName(state);
    if (!(loss in REGRESSION_LINKS)) throw state.unsupported(`loss ${loss}`);
    this.#link = REGRESSION_LINKS[loss]!;
    this.#boosting = new Boosting(state, this.nFeatures);
    if (this.#boosting.k !== 1) throw state.invalid('has more than one tree per iteration');
  }

  predict(x: FeatureData, rows: number): Prediction {
    const raw = this.#boosting.raw(x as Float64Array, rows);
    if (this.#link) for (let i = 0; i < raw.length; i++) raw[i] = this.#link(raw[i]!);
    return { datatype: 'FP64', shape: [rows], data: raw };
  }
}

export const buildHistGradientBoostingClassifier = (state: EstimatorState): Estimator =>
  new HistGradientBoostingClassifier(state);
export const buildHistGradientBoostingRegressor = (state: EstimatorState): Estimator =>
  new HistGradientBoostingRegressor(state);
