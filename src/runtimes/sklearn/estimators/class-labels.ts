// A classifier's `classes_` and how KServe sends predicted labels back: the output tensor's datatype is the
// numpy dtype of `classes_` (KServe's from_np_dtype: int64 → INT64, float64 → FP64, bool → BOOL), and string
// labels (numpy '<U', bytes or object arrays) go out as BYTES.

import type { Datatype, TensorData } from '../../model.js';
import type { NdArray } from '../pickle/ndarray.js';
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
  readonly #numbers: Float64Array | null;
  readonly #values: readonly unknown[] | null;

  constructor(classes: NdArray, state: EstimatorState) {
    const { kind, itemSize } = classes.dtype;
    this.count = classes.size;
    if (classes.shape.length !== 1) throw state.unsupported('multi-output classes_');
    if (kind === 'b') {
      this.datatype = 'BOOL';
      this.#numbers = null;
      this.#values = Array.from(classes.data as Uint8Array, (v) => v !== 0);
    } else if (kind === 'i' || kind === 'u' || kind === 'f') {
      const datatype = NUMERIC_DATATYPES[`${kind}${itemSize}`];
      if (!datatype) throw state.unsupported(`classes_ of dtype ${classes.dtype.str}`);
      this.datatype = datatype;
      this.#numbers = Float64Array.from(classes.data as ArrayLike<number | bigint>, Number);
      this.#values = null;
    } else {
      // '<U' and object arrays of str: BYTES strings; numpy bytes ('S'): raw Buffers.
      this.datatype = 'BYTES';
      this.#numbers = null;
      this.#values = (classes.data as unknown[]).map((v) =>
        typeof v === 'string' || Buffer.isBuffer(v) ? v : String(v),
      );
    }
  }

  /** The labels at `indices` (one class index per row). */
  take(indices: Int32Array): TensorData {
    const n = indices.length;
    if (this.#numbers) {
      const numbers = this.#numbers;
      if (this.datatype === 'FP64' || this.datatype === 'FP32') {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = numbers[indices[i]!]!;
        return out;
      }
      // Integer labels as plain numbers: the server writes them as JSON integers.
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) out[i] = numbers[indices[i]!]!;
      return out;
    }
    const values = this.#values!;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = values[indices[i]!];
    return out as TensorData;
  }
}
