// numpy arrays rebuilt from pickled bytes, always held in C (row-major) order with native byte order so that
// estimator code can index them directly. Fortran-ordered and big-endian arrays are converted once, at load.

import { DType, unsupportedDType } from './numpy-dtype.js';
import { type Buildable, corrupt, isTuple, pyInt } from './py-values.js';

export type NumericData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** Numbers for numeric/bool dtypes; strings ('U'), Buffers ('S') or any Python values ('O') otherwise. */
export type NdData = NumericData | unknown[];

export class NdArray implements Buildable {
  dtype: DType;
  shape: number[];
  data: NdData;
  /** The raw C-ordered records of a structured dtype (read them with `field`). */
  records: Uint8Array | null = null;

  constructor(dtype: DType, shape: number[], data: NdData) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  /** What `numpy.core.multiarray._reconstruct` returns: an empty array that BUILD fills in. */
  static pending(): NdArray {
    return new NdArray(new DType('|b1'), [0], new Uint8Array(0));
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** numpy's `ndarray.__setstate__`: ([version,] shape, dtype, is_fortran, rawdata-or-list). */
  setState(state: unknown): void {
    if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4))
      throw corrupt('malformed numpy array state');
    const [shape, dtype, isFortran, raw] = state.length === 5 ? state.slice(1) : state;
    if (!(dtype instanceof DType)) throw corrupt('a numpy array state has no dtype');
    const dims = checkShape(shape);
    let built: NdArray;
    if (dtype.kind === 'O') {
      if (!Array.isArray(raw) || raw.length !== product(dims))
        throw corrupt('a numpy object array has the wrong length');
      built = new NdArray(dtype, dims, [...raw]); // numpy pickles object arrays as a list in logical C order
    } else {
      built = decodeArray(bytesOf(raw), dtype, dims, isFortran === true ? 'F' : 'C');
    }
    this.dtype = built.dtype;
    this.shape = built.shape;
    this.data = built.data;
    this.records = built.records;
  }

  /** One column of a structured (record) array, e.g. a tree's `nodes['threshold']`. */
  field(name: string): NdArray {
    const field = this.dtype.fields?.find((f) => f.name === name);
    if (!field || !this.records) throw corrupt(`the numpy record array has no field '${name}'`);
    const n = this.size;
    const size = field.dtype.itemSize;
    const column = new Uint8Array(n * size);
    for (let i = 0; i < n; i++) {
      const start = i * this.dtype.itemSize + field.offset;
      column.set(this.records.subarray(start, start + size), i * size);
    }
    return decodeArray(column, field.dtype, [...this.shape], 'C');
  }
}

export function checkShape(shape: unknown): number[] {
  if (!isTuple(shape) && !Array.isArray(shape)) throw corrupt('a numpy array shape is not a tuple');
  return shape.map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw corrupt('a numpy array shape is invalid');
    return d;
  });
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Python bytes arrive as Uint8Array; Python 2 `str` payloads arrive as latin-1 strings. */
export function bytesOf(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return Buffer.from(raw, 'latin1');
  throw corrupt('numpy array data is not bytes');
}

/** Decodes `product(shape)` items of `dtype` from `raw` (which must hold exactly that many bytes). */
export function decodeArray(raw: Uint8Array, dtype: DType, shape: number[], order: 'C' | 'F'): NdArray {
  const count = product(shape);
  if (count * dtype.itemSize !== raw.length) {
    throw corrupt(`numpy array data has ${raw.length} bytes, expected ${count * dtype.itemSize} for shape (${shape})`);
  }
  const array = new NdArray(dtype, shape, decodeItems(raw, dtype, count));
  if (dtype.kind === 'V') {
    if (!dtype.fields) throw unsupportedDType(dtype.str);
    if (order === 'F' && shape.length > 1) throw unsupportedDType(`${dtype.str} in Fortran order`);
    array.records = new Uint8Array(raw);
    return array;
  }
  if (order === 'F' && shape.length > 1) array.data = fortranToC(array.data, shape);
  return array;
}

function decodeItems(raw: Uint8Array, dtype: DType, count: number): NdData {
  const size = dtype.itemSize;
  switch (dtype.kind) {
    case 'f':
    case 'i':
    case 'u':
    case 'b': {
      const copy = new Uint8Array(raw); // a fresh, aligned buffer we own (Buffer#slice would not copy)
      if (dtype.byteOrder === '>' && size > 1) swapBytes(copy, size);
      return numericView(dtype, copy.buffer, count);
    }
    case 'U': {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out: string[] = new Array(count);
      const chars = size / 4;
      for (let i = 0; i < count; i++) {
        let s = '';
        for (let c = 0; c < chars; c++) {
          const cp = view.getUint32(i * size + c * 4, dtype.byteOrder !== '>');
          if (cp === 0) break; // numpy pads fixed-width strings with NULs
          s += String.fromCodePoint(cp);
        }
        out[i] = s;
      }
      return out;
    }
    case 'S': {
      const out: Buffer[] = new Array(count);
      for (let i = 0; i < count; i++) {
        let end = (i + 1) * size;
        while (end > i * size && raw[end - 1] === 0) end--;
        out[i] = Buffer.from(raw.subarray(i * size, end));
      }
      return out;
    }
    case 'V':
      return [];
    default:
      throw unsupportedDType(dtype.str);
  }
}

function numericView(dtype: DType, buffer: ArrayBufferLike, count: number): NumericData {
  const key = `${dtype.kind}${dtype.itemSize}`;
  switch (key) {
    case 'f8':
      return new Float64Array(buffer, 0, count);
    case 'f4':
      return new Float32Array(buffer, 0, count);
    case 'i8':
      return new BigInt64Array(buffer, 0, count);
    case 'i4':
      return new Int32Array(buffer, 0, count);
    case 'i2':
      return new Int16Array(buffer, 0, count);
    case 'i1':
      return new Int8Array(buffer, 0, count);
    case 'u8':
      return new BigUint64Array(buffer, 0, count);
    case 'u4':
      return new Uint32Array(buffer, 0, count);
    case 'u2':
      return new Uint16Array(buffer, 0, count);
    case 'u1':
    case 'b1':
      return new Uint8Array(buffer, 0, count);
    default:
      throw unsupportedDType(dtype.str);
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let start = 0; start < bytes.length; start += size) {
    for (let a = start, b = start + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Reorders items stored in Fortran (column-major) order into C (row-major) order. */
function fortranToC(data: NdData, shape: readonly number[]): NdData {
  const n = product(shape);
  const rank = shape.length;
  const fStrides = new Array<number>(rank);
  let stride = 1;
  for (let d = 0; d < rank; d++) {
    fStrides[d] = stride;
    stride *= shape[d]!;
  }
  const out = (Array.isArray(data) ? new Array(n) : new (data.constructor as new (n: number) => NumericData)(n)) as {
    [i: number]: unknown;
  };
  const source = data as unknown as { [i: number]: unknown };
  const index = new Array<number>(rank).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += index[d]! * fStrides[d]!;
    out[c] = source[f];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out as NdData;
}

/** A numpy scalar (`numpy.core.multiarray.scalar(dtype, bytes)`) as a plain JavaScript value. */
export function decodeScalar(dtype: DType, raw: unknown): unknown {
  if (dtype.kind === 'O') return raw;
  const value = decodeArray(bytesOf(raw), dtype, [], 'C').data[0];
  if (typeof value === 'bigint') return pyInt(value);
  if (dtype.kind === 'b') return value !== 0;
  return value;
}
