// OneHotEncoder and OrdinalEncoder (sklearn/preprocessing/_encoders.py): each column's value is looked up in that
// column's fitted `categories_`; unknown values raise sklearn's error, or (handle_unknown) become all-zero one-hot
// columns / `unknown_value`. NaN and None are categories like any other when they were seen at fit. Numbers in a
// string-valued request (V1 rows that mix numbers and strings arrive as strings) match numeric categories.

import { invalidInput } from '../input-matrix.js';
import type { NdArray } from '../pickle/ndarray.js';
import { parsePythonFloat, pythonFloatRepr, pythonStrRepr } from '../python-text.js';
import type { Finiteness } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { type Column, checkFrameNames, type Frame, matrixToFrame } from './frame.js';
import { transformerIdentity } from './scalers.js';
import type { Transformer } from './transformer.js';

const UNKNOWN = -1;

/** A category value as a Map key: Python ints/bools as numbers, bytes as text, None as null. */
function keyOf(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array) return Buffer.from(value).toString();
  if (value === undefined) return null;
  return value;
}

/** One column's categories: value → index, plus how to write the unknown ones into sklearn's message. */
class Categories {
  readonly size: number;
  readonly #index = new Map<unknown, number>();
  readonly #numeric: boolean;
  readonly #integer: boolean;
  readonly #none: number;
  readonly #nan: number;

  constructor(array: NdArray) {
    const kind = array.dtype.kind;
    this.#numeric = kind === 'f' || kind === 'i' || kind === 'u' || kind === 'b';
    this.#integer = kind === 'i' || kind === 'u' || kind === 'b';
    const values = Array.from(array.data as ArrayLike<unknown>, keyOf);
    this.size = values.length;
    values.forEach((v, i) => {
      if (!this.#index.has(v)) this.#index.set(v, i);
    });
    this.#none = this.#index.get(null) ?? UNKNOWN;
    this.#nan = this.#index.get(Number.NaN) ?? UNKNOWN;
  }

  /** The index of `value`, or UNKNOWN. A request's null (None, a missing record key) is missing: None or NaN. */
  lookup(value: unknown): number {
    let key = keyOf(value);
    if (key === null) return this.#none !== UNKNOWN ? this.#none : this.#nan;
    if (this.#numeric && typeof key === 'string') key = parsePythonFloat(key) ?? key;
    if (typeof key === 'number' && Number.isNaN(key)) return this.#nan !== UNKNOWN ? this.#nan : this.#none;
    return this.#index.get(key) ?? UNKNOWN;
  }

  /** `Found unknown categories [...]`: sorted, as Python writes the list. */
  describe(unknown: unknown[]): string {
    const keys = [...new Set(unknown.map(keyOf))];
    const numbers = keys.filter((k): k is number => typeof k === 'number').sort((a, b) => a - b);
    const others = keys
      .filter((k) => typeof k !== 'number')
      .map(String)
      .sort();
    const shown = [
      ...numbers.map((n) => (this.#integer || !this.#numeric ? String(n) : pythonFloatRepr(n))),
      ...others.map((s) => (s === 'null' ? 'None' : pythonStrRepr(s))),
    ];
    return `[${shown.join(', ')}]`;
  }
}

type UnknownPolicy = 'error' | 'ignore' | 'use_encoded_value';

abstract class CategoricalEncoder implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  abstract readonly nOutputs: number;
  readonly inputFinite: Finiteness = 'allow-nan';
  readonly transformFrame: (frame: Frame) => Float64Array;
  protected readonly categories: readonly Categories[];
  protected readonly policy: UnknownPolicy;

  constructor(state: EstimatorState) {
    const categories = state.list('categories_');
    const id = transformerIdentity(state, () => categories.length);
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    if (categories.length !== this.nFeatures) throw state.invalid('has categories_ for the wrong number of columns');
    this.categories = categories.map((c) => {
      if (!(c && typeof c === 'object' && 'dtype' in c)) throw state.invalid('has categories_ that are not arrays');
      return new Categories(c as NdArray);
    });
    if (state.has('_infrequent_enabled') && state.get('_infrequent_enabled') === true) {
      throw state.unsupported('infrequent categories (min_frequency/max_categories)');
    }
    const policy = state.get('handle_unknown');
    // 'infrequent_if_exist' without infrequent categories is 'ignore' (sklearn 1.1+).
    this.policy = policy === 'infrequent_if_exist' ? 'ignore' : (policy as UnknownPolicy);
    if (!['error', 'ignore', 'use_encoded_value'].includes(this.policy)) {
      throw state.unsupported(`handle_unknown=${String(policy)}`);
    }
    this.transformFrame = (frame) => this.#transformColumns(frame);
  }

  /** Category index of every cell (row-major, rows × nFeatures), UNKNOWN where not found and not an error. */
  protected codes(frame: Frame): Int32Array {
    const f = this.nFeatures;
    const rows = frame.rows;
    const codes = new Int32Array(rows * f);
    for (let j = 0; j < f; j++) {
      const column: Column = frame.columns[j]!;
      const categories = this.categories[j]!;
      const unknown: unknown[] = [];
      for (let r = 0; r < rows; r++) {
        const code = categories.lookup(column[r]);
        codes[r * f + j] = code;
        if (code === UNKNOWN && this.policy === 'error') unknown.push(column[r]);
      }
      if (unknown.length > 0) {
        throw invalidInput(`Found unknown categories ${categories.describe(unknown)} in column ${j} during transform`);
      }
    }
    return codes;
  }

  #transformColumns(frame: Frame): Float64Array {
    checkFrameNames(this, frame);
    if (frame.columns.length !== this.nFeatures) {
      throw invalidInput(
        `X has ${frame.columns.length} features, but ${this.className} is expecting ${this.nFeatures} features as input.`,
      );
    }
    return this.encode(this.codes(frame), frame.rows);
  }

  transform(x: Float64Array, rows: number): Float64Array {
    return this.encode(this.codes(matrixToFrame(x, rows, this.nFeatures)), rows);
  }

  protected abstract encode(codes: Int32Array, rows: number): Float64Array;
}

class OneHotEncoder extends CategoricalEncoder {
  readonly nOutputs: number;
  /** Per column: first output column, and the category index dropped (-1: none). */
  readonly #offset: Int32Array;
  readonly #drop: Int32Array;

  constructor(state: EstimatorState) {
    super(state);
    if (this.policy === 'use_encoded_value') throw state.unsupported("handle_unknown='use_encoded_value'");
    this.#drop = new Int32Array(this.nFeatures).fill(-1);
    if (state.has('drop_idx_')) {
      const dropIdx = state.array('drop_idx_');
      const values = Array.from(dropIdx.data as ArrayLike<unknown>);
      if (values.length !== this.nFeatures) throw state.invalid('has drop_idx_ of the wrong length');
      values.forEach((v, j) => {
        if (v !== null) this.#drop[j] = Number(v);
      });
    }
    this.#offset = new Int32Array(this.nFeatures);
    let width = 0;
    for (let j = 0; j < this.nFeatures; j++) {
      this.#offset[j] = width;
      width += this.categories[j]!.size - (this.#drop[j]! >= 0 ? 1 : 0);
    }
    this.nOutputs = width;
  }

  protected encode(codes: Int32Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const k = this.nOutputs;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < f; j++) {
        let code = codes[r * f + j]!;
        const drop = this.#drop[j]!;
        if (code === UNKNOWN || code === drop) continue; // all zeros
        if (drop >= 0 && code > drop) code--;
        out[r * k + this.#offset[j]! + code] = 1;
      }
    }
    return out;
  }
}

class OrdinalEncoder extends CategoricalEncoder {
  readonly nOutputs: number;
  readonly #unknownValue: number;
  /** Per column: the index of the NaN/None category (-1: none), encoded as encoded_missing_value. */
  readonly #missingIndex: Int32Array;
  readonly #encodedMissing: number;

  constructor(state: EstimatorState) {
    super(state);
    this.nOutputs = this.nFeatures;
    this.#unknownValue = this.policy === 'use_encoded_value' ? Number(state.get('unknown_value') ?? Number.NaN) : 0;
    this.#encodedMissing = state.has('encoded_missing_value') ? Number(state.get('encoded_missing_value')) : Number.NaN;
    this.#missingIndex = new Int32Array(this.nFeatures).fill(-1);
    const missing = state.has('_missing_indices') ? state.get('_missing_indices') : null;
    if (missing instanceof Map) {
      for (const [column, index] of missing) this.#missingIndex[Number(column)] = Number(index);
    }
  }

  protected encode(codes: Int32Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const out = new Float64Array(rows * f);
    for (let i = 0; i < rows * f; i++) {
      const code = codes[i]!;
      if (code === UNKNOWN) out[i] = this.#unknownValue;
      else out[i] = code === this.#missingIndex[i % f] ? this.#encodedMissing : code;
    }
    return out;
  }
}

export const buildOneHotEncoder = (state: EstimatorState): Transformer => new OneHotEncoder(state);
export const buildOrdinalEncoder = (state: EstimatorState): Transformer => new OrdinalEncoder(state);
