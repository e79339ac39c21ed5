// A classifier's `classes_` and how KServe sends predicted labels back: the output tensor's datatype is the
// numpy dtype of `classes_` (KServe's from_np_dtype: int64 → INT64, float64 → FP64, bool → BOOL), and string
// labels (numpy '<U', bytes or object arrays) go out as BYTES. Numeric labels are a typed array of the class
// dtype (BigInt64Array for int64), so the binary extension and gRPC raw outputs send their bytes as they are.

import type { Datatype, TensorData, TypedArray } from '../../model.js';
import type { NdArray, NumericData } from '../pickle/ndarray.js';
import type { EstimatorState } from './estimator-state.js';

const NUMERIC_DATATYPES: Record<string, Datatype> = {
  i1: 'INT8',
  i2: 'INT16',
  i4: 'INT32',
  i8: 'INT64',
  u1: 'UINT8',
  u2: 'UINT16',
  u4: 'UINT32',
  u8: 'UINT64',
  f4: 'FP32',
  f8: 'FP64',
};

export class ClassLabels {
  readonly count: number;
  readonly datatype: Datatype;
  /** Numeric classes in their dtype: the table `take` gathers from. */
  readonly #numbers: NumericData | null;
  /** The same bytes as 32-bit words when the dtype is 8 bytes wide (int64, uint64, float64). */
  readonly #words: Int32Array | null;
  readonly #values: readonly unknown[] | null;

  constructor(classes: NdArray, state: EstimatorState) {
    const { kind, itemSize } = classes.dtype;
    this.count = classes.size;
    if (classes.shape.length !== 1) throw state.unsupported('multi-output classes_');
    if (kind === 'b') {
      this.datatype = 'BOOL';
      this.#numbers = null;
      this.#words = null;
      this.#values = Array.from(classes.data as Uint8Array, (v) => v !== 0);
    } else if (kind === 'i' || kind === 'u' || kind === 'f') {
      const datatype = NUMERIC_DATATYPES[`${kind}${itemSize}`];
      if (!datatype) throw state.unsupported(`classes_ of dtype ${classes.dtype.str}`);
      this.datatype = datatype;
      this.#numbers = numericTable(classes.data, datatype);
      this.#words =
        this.#numbers.BYTES_PER_ELEMENT === 8
          ? new Int32Array(this.#numbers.buffer, this.#numbers.byteOffset, 2 * this.count)
          : null;
      this.#values = null;
    } else {
      // '<U' and object arrays of str: BYTES strings; numpy bytes ('S'): raw Buffers.
      this.datatype = 'BYTES';
      this.#numbers = null;
      this.#words = null;
      this.#values = (classes.data as unknown[]).map((v) =>
        typeof v === 'string' || Buffer.isBuffer(v) ? v : String(v),
      );
    }
  }

  /** The labels at `indices` (one class index per row): a typed array of the class dtype for numeric classes. */
  take(indices: Int32Array): TensorData {
    const n = indices.length;
    const numbers = this.#numbers;
    if (numbers) {
      const words = this.#words;
      if (words) {
        // 8-byte labels copied as two 32-bit words: no BigInt (or double conversion) per row.
        const out = new (numbers.constructor as new (n: number) => TypedArray)(n);
        const outWords = new Int32Array(out.buffer, 0, 2 * n);
        for (let i = 0; i < n; i++) {
          const k = 2 * indices[i]!;
          outWords[2 * i] = words[k]!;
          outWords[2 * i + 1] = words[k + 1]!;
        }
        return out;
      }
      return gather(numbers as Exclude<NumericData, BigInt64Array | BigUint64Array | Float64Array>, indices);
    }
    const values = this.#values!;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = values[indices[i]!];
    return out as TensorData;
  }
}

type NarrowData = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array;

/** table[indices[i]] into a typed array of the table's type. */
function gather(table: NarrowData, indices: Int32Array): TypedArray {
  const n = indices.length;
  const out = new (table.constructor as new (n: number) => NarrowData)(n);
  for (let i = 0; i < n; i++) out[i] = table[indices[i]!]!;
  return out;
}

const TABLES: Record<string, new (values: ArrayLike<number>) => NarrowData | Float64Array> = {
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** `classes_` as a typed array of its datatype (a copy: the estimator's arrays stay as loaded). */
function numericTable(data: NdArray['data'], datatype: Datatype): NumericData {
  if (datatype === 'INT64' || datatype === 'UINT64') {
    const Big = datatype === 'INT64' ? BigInt64Array : BigUint64Array;
    const out = new Big((data as ArrayLike<unknown>).length);
    const items = data as ArrayLike<number | bigint>;
    for (let i = 0; i < out.length; i++) {
      const v = items[i]!;
      out[i] = typeof v === 'bigint' ? v : BigInt(v);
    }
    return out;
  }
  return new TABLES[datatype]!(Array.from(data as ArrayLike<number | bigint>, Number));
}
