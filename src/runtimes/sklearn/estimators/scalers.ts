// sklearn.preprocessing's per-column scalers and the row Normalizer, dense path, with the same operations in the
// same order as sklearn/preprocessing/_data.py (subtract then divide, not multiply by a reciprocal), so results are
// bit-identical. Scalers let NaN through (force_all_finite='allow-nan'); Normalizer does not.

import type { Finiteness } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { numpySum } from './numpy-sum.js';
import type { Transformer } from './transformer.js';

/** The common part of every transformer: name, input width and names. */
export function transformerIdentity(state: EstimatorState, fallbackFeatures: () => number) {
  return {
    className: state.className,
    nFeatures: state.nFeatures(fallbackFeatures),
    featureNames: state.featureNames(),
  };
}

/** A float64 vector attribute of length n, or null when sklearn stored None (e.g. with_mean=False). */
function optionalVector(state: EstimatorState, name: string, n: number): Float64Array | null {
  if (!state.has(name)) return null;
  const v = state.float64(name);
  if (v.length !== n) throw state.invalid(`has ${name} of length ${v.length}, expected ${n}`);
  return v;
}

/** x → (x - shift) / divisor, column by column; either may be absent. */
class ShiftScale implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly inputFinite: Finiteness = 'allow-nan';
  readonly #shift: Float64Array | null;
  readonly #divisor: Float64Array | null;

  constructor(state: EstimatorState, shift: string, divisor: string) {
    const lengthOf = (name: string) => (state.has(name) ? state.array(name).size : 0);
    const id = transformerIdentity(state, () => lengthOf(divisor) || lengthOf(shift));
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    this.nOutputs = this.nFeatures;
    this.#shift = optionalVector(state, shift, this.nFeatures);
    this.#divisor = optionalVector(state, divisor, this.nFeatures);
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const out = Float64Array.from(x);
    const shift = this.#shift;
    const divisor = this.#divisor;
    for (let r = 0; r < rows; r++) {
      const o = r * f;
      if (shift) for (let j = 0; j < f; j++) out[o + j] = out[o + j]! - shift[j]!;
      if (divisor) for (let j = 0; j < f; j++) out[o + j] = out[o + j]! / divisor[j]!;
    }
    return out;
  }
}

/** StandardScaler: (x - mean_) / scale_. */
export const buildStandardScaler = (state: EstimatorState): Transformer =>
  new ShiftScale(state, state.get('with_mean') === false ? '' : 'mean_', 'scale_');

/** RobustScaler: (x - center_) / scale_. */
export const buildRobustScaler = (state: EstimatorState): Transformer => new ShiftScale(state, 'center_', 'scale_');

/** MaxAbsScaler: x / scale_. */
export const buildMaxAbsScaler = (state: EstimatorState): Transformer => new ShiftScale(state, '', 'scale_');

/** MinMaxScaler: x * scale_ + min_, clipped to feature_range when clip=True. */
class MinMaxScaler implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly inputFinite: Finiteness = 'allow-nan';
  readonly #scale: Float64Array;
  readonly #min: Float64Array;
  readonly #clip: [number, number] | null;

  constructor(state: EstimatorState) {
    const id = transformerIdentity(state, () => state.array('scale_').size);
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    this.nOutputs = this.nFeatures;
    this.#scale = optionalVector(state, 'scale_', this.nFeatures)!;
    this.#min = optionalVector(state, 'min_', this.nFeatures)!;
    if (!this.#scale || !this.#min) throw state.invalid('has no scale_/min_');
    const range = state.has('feature_range') ? state.get('feature_range') : [0, 1];
    const clip = state.has('clip') && state.get('clip') === true;
    if (clip) {
      if (!Array.isArray(range) || range.length !== 2) throw state.invalid('has a malformed feature_range');
      this.#clip = [Number(range[0]), Number(range[1])];
    } else {
      this.#clip = null;
    }
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const out = new Float64Array(rows * f);
    const clip = this.#clip;
    for (let r = 0; r < rows; r++) {
      const o = r * f;
      for (let j = 0; j < f; j++) {
        let v = x[o + j]! * this.#scale[j]! + this.#min[j]!;
        // np.clip keeps NaN
        if (clip) v = v < clip[0] ? clip[0] : v > clip[1] ? clip[1] : v;
        out[o + j] = v;
      }
    }
    return out;
  }
}

export const buildMinMaxScaler = (state: EstimatorState): Transformer => new MinMaxScaler(state);

type Norm = 'l1' | 'l2' | 'max';

/** Normalizer: each row divided by its l1, l2 or max norm (a zero norm left as 1). */
class Normalizer implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly #norm: Norm;
  readonly #scratch: Float64Array;

  constructor(state: EstimatorState) {
    const id = transformerIdentity(state, () => state.number('n_features_in_'));
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    this.nOutputs = this.nFeatures;
    const norm = state.has('norm') ? state.get('norm') : 'l2';
    if (norm !== 'l1' && norm !== 'l2' && norm !== 'max') throw state.unsupported(`norm=${String(norm)}`);
    this.#norm = norm;
    this.#scratch = new Float64Array(this.nFeatures);
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const out = new Float64Array(rows * f);
    const abs = this.#scratch;
    for (let r = 0; r < rows; r++) {
      const o = r * f;
      let norm = 0;
      if (this.#norm === 'l2') {
        // row_norms: sqrt(einsum('ij,ij->i'))
        for (let j = 0; j < f; j++) norm += x[o + j]! * x[o + j]!;
        norm = Math.sqrt(norm);
      } else if (this.#norm === 'l1') {
        for (let j = 0; j < f; j++) abs[j] = Math.abs(x[o + j]!);
        norm = numpySum(abs, 0, f);
      } else {
        for (let j = 0; j < f; j++) norm = Math.max(norm, Math.abs(x[o + j]!));
      }
      if (norm === 0) norm = 1;
      for (let j = 0; j < f; j++) out[o + j] = x[o + j]! / norm;
    }
    return out;
  }
}

export const buildNormalizer = (state: EstimatorState): Transformer => new Normalizer(state);
