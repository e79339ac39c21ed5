// V2 request tensor contents → the typed data onnxruntime wants for one model input. Pure: no onnxruntime
// calls, so every rule here is unit-tested without a session.
//
// Conversions are made where they lose nothing or are what clients mean:
//   any numeric → FP32/FP64/FP16   (JSON clients often send FP64 or integers to a float32 model)
//   integers, and floats holding whole numbers → integer inputs, range-checked (INT64 → BigInt64Array)
//   BOOL, or integers that are all 0/1 → BOOL;  BYTES (strings or UTF-8 Buffers) → STRING
// Everything else (BYTES to a number, 2.5 to an integer, 300 to UINT8) is INVALID_INPUT naming the input.

import { InferdError } from '../../errors.js';
import type { Datatype, Tensor, TensorData } from '../model.js';
import { toFloat16Bits } from './float16.js';
import type { OnnxValueInfo, OrtType } from './tensor-types.js';

export type OrtData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

const INT_RANGES: Partial<Record<OrtType, [number | bigint, number | bigint]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const INT_ARRAYS = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;

const isNumeric = (d: Datatype) => d !== 'BYTES' && d !== 'BOOL';
const isFloat = (d: Datatype) => d === 'FP16' || d === 'FP32' || d === 'FP64';

/** `[2,3]`, the way messages print shapes. */
export const showShape = (shape: readonly number[]) => `[${shape.join(',')}]`;

/**
 * Checks `input`'s shape against the model's (fixed dims must match, -1 matches any size) and that its data
 * fills the shape. A model shape of [] may be an unknown rank, so it is left to onnxruntime.
 */
export function checkShape(input: Tensor, info: OnnxValueInfo): void {
  const got = input.shape;
  if (!got.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(`input "${info.name}": shape ${showShape(got)} has a negative or non-integer dimension`, info.name);
  }
  const want = info.shape;
  if (want.length > 0 && (got.length !== want.length || want.some((d, i) => d !== -1 && d !== got[i]))) {
    throw invalid(
      `input "${info.name}": expected shape ${showShape(want)} (-1: any size), got ${showShape(got)}`,
      info.name,
    );
  }
  const size = got.reduce((a, b) => a * b, 1);
  if (input.data.length !== size) {
    throw invalid(
      `input "${info.name}": shape ${showShape(got)} needs ${size} values, got ${input.data.length}`,
      info.name,
    );
  }
}

/**
 * Dimensions the model names alike ("batch") must have one size across all inputs: ONNX defines a dim_param
 * as one unknown size, and onnxruntime does not check it (it would broadcast a batch of 1 against 7).
 */
export function checkNamedDims(pairs: readonly (readonly [OnnxValueInfo, Tensor])[]): void {
  const seen = new Map<string, { size: number; input: string }>();
  for (const [info, input] of pairs) {
    info.dimNames.forEach((dimName, axis) => {
      if (!dimName) return;
      const size = input.shape[axis]!;
      const first = seen.get(dimName);
      if (!first) seen.set(dimName, { size, input: info.name });
      else if (first.size !== size) {
        throw invalid(
          `input "${info.name}": dimension ${axis} ("${dimName}") is ${size}, but input "${first.input}" has ` +
            `"${dimName}" = ${first.size}`,
          info.name,
        );
      }
    });
  }
}

/** The data of `input` converted for the model input `info`. */
export function toOrtData(input: Tensor, info: OnnxValueInfo): OrtData {
  const from = input.datatype;
  const to = info.ortType;
  const data = input.data;
  const refuse = (): never => {
    throw invalid(`input "${info.name}": model expects ${info.datatype}, got ${from}`, info.name);
  };
  switch (to) {
    case 'string':
      if (from !== 'BYTES') refuse();
      return Array.from(data as ArrayLike<unknown>, (v, i) => stringOf(v, info.name, i));
    case 'bool':
      if (from === 'BOOL') return Uint8Array.from(data as ArrayLike<unknown>, (v) => (v ? 1 : 0));
      if (!isNumeric(from)) refuse();
      return Uint8Array.from(data as ArrayLike<number | bigint>, (v, i) => {
        if (v === 0 || v === 1 || v === 0n || v === 1n) return Number(v);
        throw invalid(`input "${info.name}": element ${i} (${v}) is not 0 or 1 for BOOL`, info.name);
      });
    case 'float32':
      if (!isNumeric(from)) refuse();
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number | bigint>, Number);
    case 'float64':
      if (!isNumeric(from)) refuse();
      return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number | bigint>, Number);
    case 'float16':
      if (!isNumeric(from)) refuse();
      // A Uint16Array labelled FP16 is already half-precision bits (what a binary tensor decoder holds).
      if (from === 'FP16' && data instanceof Uint16Array) return data;
      return Uint16Array.from(data as ArrayLike<number | bigint>, (v) => toFloat16Bits(Number(v)));
    case 'int64':
    case 'uint64':
      if (!isNumeric(from)) refuse();
      return toBigInts(data, to, info.name, isFloat(from));
    default: {
      const Ctor = (INT_ARRAYS as unknown as Partial<Record<OrtType, typeof Int32Array>>)[to];
      if (!Ctor || !isNumeric(from)) refuse();
      if (data instanceof Ctor!) return data;
      const [min, max] = INT_RANGES[to] as [number, number];
      return Ctor!.from(data as ArrayLike<number | bigint>, (v, i) => {
        const n = Number(v);
        if (!Number.isInteger(n)) throw notInteger(info.name, i, v, info.datatype);
        if (n < min || n > max) throw outOfRange(info.name, i, v, info.datatype);
        return n;
      });
    }
  }
}

function toBigInts(data: TensorData, to: 'int64' | 'uint64', name: string, fromFloat: boolean): OrtData {
  if (to === 'int64' && data instanceof BigInt64Array) return data;
  if (to === 'uint64' && data instanceof BigUint64Array) return data;
  const [min, max] = INT_RANGES[to] as [bigint, bigint];
  const datatype = to === 'int64' ? 'INT64' : 'UINT64';
  const out = to === 'int64' ? new BigInt64Array(data.length) : new BigUint64Array(data.length);
  const values = data as ArrayLike<number | bigint>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let b: bigint;
    if (typeof v === 'bigint') b = v;
    else if (Number.isInteger(v)) {
      // A float past 2^53 is not a value the client wrote: refuse rather than pass on a rounded integer.
      if (fromFloat && !Number.isSafeInteger(v)) throw outOfRange(name, i, v, datatype);
      b = BigInt(v);
    } else throw notInteger(name, i, v, datatype);
    if (b < min || b > max) throw outOfRange(name, i, v, datatype);
    out[i] = b;
  }
  return out;
}

function stringOf(v: unknown, name: string, i: number): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  throw invalid(`input "${name}": element ${i} is not a string or bytes`, name);
}

const notInteger = (name: string, i: number, v: unknown, datatype: Datatype) =>
  invalid(`input "${name}": element ${i} (${v}) is not an integer, the model expects ${datatype}`, name);
const outOfRange = (name: string, i: number, v: unknown, datatype: Datatype) =>
  invalid(`input "${name}": element ${i} (${v}) is out of range for ${datatype}`, name);

/** INVALID_INPUT with `details.input` naming the model input, so callers and tests need not parse messages. */
export function invalid(message: string, input: string): InferdError {
  return new InferdError('INVALID_INPUT', message, { input });
}
