// Typed access to a fitted estimator's pickled attributes, with load errors that name the estimator and the
// attribute instead of failing later with `undefined` in the middle of a prediction.

import { InferdError } from '../../../errors.js';
import { NdArray } from '../pickle/ndarray.js';
import { PyObject } from '../pickle/py-values.js';

export class EstimatorState {
  readonly className: string;
  readonly #object: PyObject;

  constructor(object: PyObject) {
    this.#object = object;
    this.className = object.className.slice(object.className.lastIndexOf('.') + 1);
  }

  has(name: string): boolean {
    return this.#object.attributes.has(name) && this.#object.attributes.get(name) !== null;
  }

  get(name: string): unknown {
    if (!this.#object.attributes.has(name)) {
      throw this.invalid(`has no attribute '${name}'; was it fitted before it was saved?`);
    }
    return this.#object.attributes.get(name);
  }

  array(name: string): NdArray {
    const value = this.get(name);
    if (!(value instanceof NdArray)) throw this.invalid(`has an attribute '${name}' that is not a numpy array`);
    return value;
  }

  /** A numeric array (any dtype) as float64, C order, flattened. */
  float64(name: string): Float64Array {
    return toFloat64(this.array(name), () => this.invalid(`has a non-numeric '${name}'`));
  }

  /** An integer array as int32 (indices, counts), flattened. */
  int32(name: string): Int32Array {
    const values = this.float64(name);
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw this.invalid(`has an out-of-range '${name}'`);
      out[i] = v;
    }
    return out;
  }

  /** A Python or numpy scalar number. */
  number(name: string): number {
    const value = this.get(name);
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof NdArray && value.size === 1) return this.float64(name)[0]!;
    throw this.invalid(`has a non-numeric '${name}'`);
  }

  /** The first of `names` that is present: attributes renamed across sklearn versions (`_probA` was `probA_`). */
  firstOf(...names: string[]): string {
    return names.find((name) => this.#object.attributes.has(name)) ?? names[0]!;
  }

  /**
   * `n_features_in_`, or null without it: sklearn's check_n_features skips the check when the attribute is
   * absent (a DummyClassifier pickled by 1.2 has none), so inferd checks no feature count either.
   */
  nFeaturesIfAny(): number | null {
    return this.has('n_features_in_') ? this.number('n_features_in_') : null;
  }

  /** `n_features_in_` (sklearn >= 0.24), or what older versions stored instead. */
  nFeatures(fallback: () => number): number {
    return this.has('n_features_in_') ? this.number('n_features_in_') : fallback();
  }

  string(name: string): string {
    const value = this.get(name);
    if (typeof value !== 'string') throw this.invalid(`has a non-string '${name}'`);
    return value;
  }

  object(name: string): PyObject {
    const value = this.get(name);
    if (!(value instanceof PyObject)) throw this.invalid(`has an attribute '${name}' that is not an object`);
    return value;
  }

  list(name: string): readonly unknown[] {
    const value = this.get(name);
    if (!Array.isArray(value)) throw this.invalid(`has an attribute '${name}' that is not a list`);
    return value;
  }

  /** `feature_names_in_`, present when fitted on a pandas DataFrame with string column names. */
  featureNames(): string[] | null {
    if (!this.has('feature_names_in_')) return null;
    const names = this.array('feature_names_in_').data;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
    return names as string[];
  }

  invalid(detail: string): InferdError {
    return new InferdError('MODEL_LOAD_FAILED', `the ${this.className} model ${detail}`, { reason: 'ModelLoadFailed' });
  }

  unsupported(detail: string): InferdError {
    return new InferdError(
      'UNSUPPORTED',
      `the native sklearn runtime does not support ${this.className} with ${detail}`,
      { reason: 'UnsupportedModel', className: this.className },
    );
  }
}

export function toFloat64(array: NdArray, onError: () => Error): Float64Array {
  const data = array.data;
  if (data instanceof Float64Array) return data;
  if (Array.isArray(data)) throw onError();
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}
