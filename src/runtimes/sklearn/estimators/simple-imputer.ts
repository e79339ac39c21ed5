// SimpleImputer (and the MissingIndicator it appends with add_indicator=True), as sklearn/impute/_base.py
// transforms: missing cells of each column get that column's fitted statistic, columns whose statistic is NaN
// (all missing at fit) are dropped unless strategy='constant' or keep_empty_features, indicator columns follow.
// Fitted on strings (object dtype), it takes and returns raw columns; None counts as NaN there, as a missing
// key in a V1 record does for pandas.

import { invalidInput } from '../input-matrix.js';
import { NdArray } from '../pickle/ndarray.js';
import { PyObject } from '../pickle/py-values.js';
import type { Finiteness } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { type Column, checkFrameNames, type Frame } from './frame.js';
import { transformerIdentity } from './scalers.js';
import type { StepData, Transformer } from './transformer.js';

type Missing = { kind: 'nan' } | { kind: 'value'; value: unknown };

function missingOf(value: unknown): Missing {
  return typeof value === 'number' && Number.isNaN(value) ? { kind: 'nan' } : { kind: 'value', value };
}

function isMissingNumber(v: number, missing: Missing): boolean {
  return missing.kind === 'nan' ? Number.isNaN(v) : v === missing.value;
}

function isMissingCell(v: unknown, missing: Missing): boolean {
  if (missing.kind === 'nan') return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
  if (missing.value === null) return v === null || v === undefined;
  return v === missing.value;
}

class SimpleImputer implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly inputFinite: Finiteness;
  readonly transformFrame?: (frame: Frame) => StepData;
  readonly #missing: Missing;
  readonly #strategy: string;
  /** Kept input columns, and the value each one's missing cells get. */
  readonly #kept: Int32Array;
  readonly #numbers: Float64Array | null;
  readonly #objects: readonly unknown[] | null;
  /** Input columns whose missing-mask is appended (MissingIndicator.features_). */
  readonly #indicator: Int32Array;

  constructor(state: EstimatorState) {
    const statistics = state.array('statistics_');
    const id = transformerIdentity(state, () => statistics.size);
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    this.#missing = missingOf(state.get('missing_values'));
    this.#strategy = String(state.get('strategy'));
    if (statistics.size !== this.nFeatures) throw state.invalid('has statistics_ of the wrong length');
    const isObject = statistics.dtype.kind === 'O' || statistics.dtype.kind === 'U';
    const values: unknown[] = isObject
      ? Array.from(statistics.data as ArrayLike<unknown>)
      : Array.from(state.float64('statistics_'));
    const keepAll =
      this.#strategy === 'constant' || (state.has('keep_empty_features') && state.get('keep_empty_features') === true);
    const kept: number[] = [];
    values.forEach((v, j) => {
      if (keepAll || !(typeof v === 'number' && Number.isNaN(v))) kept.push(j);
    });
    this.#kept = Int32Array.from(kept);
    this.#numbers = isObject ? null : Float64Array.from(kept, (j) => values[j] as number);
    this.#objects = isObject ? kept.map((j) => values[j]) : null;
    this.#indicator = indicatorFeatures(state, this.nFeatures);
    this.nOutputs = kept.length + this.#indicator.length;
    this.inputFinite = this.#missing.kind === 'nan' ? 'allow-nan' : 'finite';
    // Fitted on numbers, it takes floats like any numeric step (a frame is converted first, by its rules).
    if (isObject) this.transformFrame = (frame) => this.#imputeFrame(frame);
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const k = this.nOutputs;
    const kept = this.#kept;
    const fill = this.#numbers;
    if (!fill) throw invalidInput(`${this.className} was fitted on strings and cannot impute a numeric array`);
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const o = r * k;
      for (let c = 0; c < kept.length; c++) {
        const v = x[r * f + kept[c]!]!;
        out[o + c] = isMissingNumber(v, this.#missing) ? fill[c]! : v;
      }
      for (let c = 0; c < this.#indicator.length; c++) {
        out[o + kept.length + c] = isMissingNumber(x[r * f + this.#indicator[c]!]!, this.#missing) ? 1 : 0;
      }
    }
    return out;
  }

  #imputeFrame(frame: Frame): Frame {
    checkFrameNames(this, frame);
    if (frame.columns.length !== this.nFeatures) {
      throw invalidInput(
        `X has ${frame.columns.length} features, but ${this.className} is expecting ${this.nFeatures} features as input.`,
      );
    }
    const rows = frame.rows;
    const columns: Column[] = [];
    this.#kept.forEach((j, c) => {
      const source = frame.columns[j]!;
      const fill = this.#objects![c];
      const column = new Array<unknown>(rows);
      for (let r = 0; r < rows; r++) column[r] = isMissingCell(source[r], this.#missing) ? fill : source[r];
      columns.push(column);
    });
    for (const j of this.#indicator) {
      const source = frame.columns[j]!;
      const column = new Array<boolean>(rows);
      for (let r = 0; r < rows; r++) column[r] = isMissingCell(source[r], this.#missing);
      columns.push(column);
    }
    return { rows, names: null, columns };
  }
}

function indicatorFeatures(state: EstimatorState, nFeatures: number): Int32Array {
  if (!state.has('add_indicator') || state.get('add_indicator') !== true) return new Int32Array(0);
  const indicator = state.get('indicator_');
  if (!(indicator instanceof PyObject)) throw state.invalid('has add_indicator=True but no indicator_');
  const indicatorState = new EstimatorState(indicator);
  if (indicatorState.get('features') !== 'missing-only' && indicatorState.get('features') !== 'all') {
    throw state.invalid('has an indicator_ with unknown features');
  }
  const features = indicatorState.get('features_');
  const out = features instanceof NdArray ? indicatorState.int32('features_') : new Int32Array(0);
  if (out.some((j) => j < 0 || j >= nFeatures)) throw state.invalid('has indicator_ features out of range');
  return out;
}

export const buildSimpleImputer = (state: EstimatorState): Transformer => new SimpleImputer(state);
