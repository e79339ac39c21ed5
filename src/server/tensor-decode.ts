// V2 JSON tensor data → a typed Tensor, the way KServe's `InferInput.as_numpy()` does
// (`np.array(data, dtype).reshape(shape)`), but strict: a value that does not fit the datatype is a 400
// naming the input and the element, where numpy would silently wrap, truncate or coerce.

import { InferdError } from '../errors.js';
import type { Datatype, Tensor, TensorData } from '../runtimes/model.js';
import { flattenNested, resolveShape } from './numpy-shape.js';

type Kind = 'float' | 'int' | 'bigint' | 'bool' | 'bytes';

interface DatatypeSpec {
  kind: Kind;
  min: number;
  max: number;
  alloc: (n: number) => TensorData;
}

const FP32_MAX = 3.4028234663852886e38;
const FP16_MAX = 65504;
const spec = (kind: Kind, min: number, max: number, alloc: (n: number) => TensorData): DatatypeSpec => ({
  kind,
  min,
  max,
  alloc,
});

/** Every V2 datatype the JSON form carries. INT64/UINT64 go to BigInt arrays; FP16 to Float32Array. */
export const DATATYPES: Readonly<Record<Datatype, DatatypeSpec>> = {
  BOOL: spec('bool', 0, 1, (n) => new Array<boolean>(n)),
  INT8: spec('int', -128, 127, (n) => new Int8Array(n)),
  INT16: spec('int', -32768, 32767, (n) => new Int16Array(n)),
  INT32: spec('int', -2147483648, 2147483647, (n) => new Int32Array(n)),
  INT64: spec('bigint', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, (n) => new BigInt64Array(n)),
  UINT8: spec('int', 0, 255, (n) => new Uint8Array(n)),
  UINT16: spec('int', 0, 65535, (n) => new Uint16Array(n)),
  UINT32: spec('int', 0, 4294967295, (n) => new Uint32Array(n)),
  UINT64: spec('bigint', 0, Number.MAX_SAFE_INTEGER, (n) => new BigUint64Array(n)),
  FP16: spec('float', -FP16_MAX, FP16_MAX, (n) => new Float32Array(n)),
  FP32: spec('float', -FP32_MAX, FP32_MAX, (n) => new Float32Array(n)),
  FP64: spec('float', -Number.MAX_VALUE, Number.MAX_VALUE, (n) => new Float64Array(n)),
  BYTES: spec('bytes', 0, 0, (n) => new Array<string>(n)),
};

const DATATYPE_NAMES = Object.keys(DATATYPES).join(', ');

export function isDatatype(name: string): name is Datatype {
  return Object.hasOwn(DATATYPES, name);
}

/** A client's value for an error message: JSON, cut at 40 characters; never throws (deep nesting). */
export function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[...]' : typeof v === 'object' && v !== null ? '{...}' : String(v);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * Decodes one V2 input. `data` may be flat or nested (numpy accepts both; only the element count has to
 * fit the shape, with one -1 dimension inferred). Throws InferdError('INVALID_INPUT').
 */
export function decodeV2Tensor(
  name: string,
  datatype: string,
  shape: readonly number[],
  data: readonly unknown[],
  parameters?: Record<string, unknown> | null,
): Tensor {
  if (!isDatatype(datatype)) {
    throw new InferdError(
      'INVALID_INPUT',
      `invalid datatype "${datatype}" for input "${name}"; expected one of ${DATATYPE_NAMES}`,
    );
  }
  if (datatype === 'FP32' || datatype === 'FP64') {
    const fast = decodeFloatRows(datatype, data);
    if (fast) {
      const tensor: Tensor = { name, datatype, shape: resolveShape(shape, fast.length, name), data: fast };
      if (parameters) tensor.parameters = parameters;
      return tensor;
    }
  }
  let flat: readonly unknown[] = data;
  if (data.length > 0 && Array.isArray(data[0])) flat = flattenNested(data).flat;
  // Values first, then the reshape: numpy's order (`np.array(data, dtype).reshape(shape)`).
  const out = convert(name, datatype, flat, data);
  const resolved = resolveShape(shape, flat.length, name);
  const tensor: Tensor = { name, datatype, shape: resolved, data: out };
  if (parameters) tensor.parameters = parameters;
  return tensor;
}

/**
 * The common case of big requests -- FP32/FP64 numbers, flat or one level of equal rows (`[[...], ...]`) --
 * written straight into the typed array: no intermediate flat array, one monomorphic loop per type. Anything
 * else (null, a non-number, ragged or deeper nesting, a value out of range) returns null and the general path
 * below decodes it, with its numpy-like messages.
 */
function decodeFloatRows(datatype: 'FP32' | 'FP64', data: readonly unknown[]): Float32Array | Float64Array | null {
  const rows = data.length;
  const first = data[0];
  const nested = Array.isArray(first);
  const width = nested ? (first as unknown[]).length : 1;
  if (nested && width === 0) return null;
  // Every row is checked before the allocation: rows × width must be what the body holds, not what a long first
  // row followed by many scalars would claim.
  if (nested) {
    for (let r = 1; r < rows; r++) {
      const row = data[r];
      if (!Array.isArray(row) || row.length !== width) return null;
    }
  }
  const max = datatype === 'FP32' ? FP32_MAX : Number.MAX_VALUE;
  const out = datatype === 'FP32' ? new Float32Array(rows * width) : new Float64Array(rows * width);
  if (!nested) return fillRow(out, 0, data, max) ? out : null;
  for (let r = 0, k = 0; r < rows; r++, k += width) {
    if (!fillRow(out, k, data[r] as unknown[], max)) return null;
  }
  return out;
}

function fillRow(out: Float32Array | Float64Array, at: number, row: readonly unknown[], max: number): boolean {
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (typeof v !== 'number' || v < -max || v > max) return false;
    out[at + j] = v;
  }
  return true;
}

function convert(name: string, datatype: Datatype, flat: readonly unknown[], original: readonly unknown[]): TensorData {
  const { kind, min, max, alloc } = DATATYPES[datatype];
  const n = flat.length;
  const out = alloc(n) as unknown as { [i: number]: unknown };
  const bad = (i: number, why: string): never => {
    // An array among flat values is a ragged list: numpy's own message says so best.
    if (Array.isArray(flat[i])) flattenNested(original);
    throw new InferdError('INVALID_INPUT', `input "${name}": element ${i} ${why}`);
  };
  switch (kind) {
    case 'float':
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v === 'number') {
          if (v < min || v > max) bad(i, `(${v}) is out of range for ${datatype}`);
          out[i] = datatype === 'FP16' ? roundToFp16(v) : v;
        } else if (v === null) {
          out[i] = Number.NaN; // np.array([None], dtype=float32) → nan
        } else {
          bad(i, `is ${show(v)}, expected a number for ${datatype}`);
        }
      }
      return out as unknown as TensorData;
    case 'int':
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isInteger(v)) bad(i, `is ${show(v)}, expected an integer for ${datatype}`);
        else if (v < min || v > max) bad(i, `(${v}) is out of range for ${datatype} (${min} to ${max})`);
        out[i] = v;
      }
      return out as unknown as TensorData;
    case 'bigint':
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isInteger(v)) bad(i, `is ${show(v)}, expected an integer for ${datatype}`);
        else if (v < min || v > max) {
          bad(i, `(${v}) is out of range: JSON numbers carry ${datatype} exactly only within ±(2^53-1)`);
        }
        out[i] = BigInt(v as number);
      }
      return out as unknown as TensorData;
    case 'bool':
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v === 'boolean') out[i] = v;
        else if (v === 0 || v === 1) out[i] = v === 1;
        else bad(i, `is ${show(v)}, expected true or false for BOOL`);
      }
      return out as unknown as TensorData;
    default:
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'string') bad(i, `is ${show(v)}, expected a string for BYTES`);
        out[i] = v;
      }
      return out as unknown as TensorData;
  }
}

/** Rounds to the nearest IEEE half-precision value (ties to even), as numpy's float16 cast does. */
export function roundToFp16(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const quantum = 2 ** (Math.max(e, -14) - 10);
  const r = a / quantum;
  let f = Math.floor(r);
  const diff = r - f;
  if (diff > 0.5 || (diff === 0.5 && f % 2 === 1)) f++;
  return Math.sign(x) * f * quantum;
}
