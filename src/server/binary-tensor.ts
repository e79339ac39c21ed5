// Raw tensor bytes ↔ Tensor, the layout of the binary tensor extension (Triton's and KServe's REST
// `binary_data_size` bodies) and of gRPC `raw_input_contents`/`raw_output_contents`: little-endian
// elements in row-major order, BOOL one byte each, FP16 IEEE half, BYTES elements each prefixed with
// a 4-byte little-endian length. Not here: where the bytes sit in a body (rest/v2-binary.ts).

import { isUtf8 } from 'node:buffer';
import { InferdError } from '../errors.js';
import type { Datatype, Tensor, TensorData, TypedArray } from '../runtimes/model.js';
import { resolveShape } from './numpy-shape.js';
import { isDatatype } from './tensor-decode.js';

// Typed arrays use the host's byte order; every platform Node ships for is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error('inferd needs a little-endian host for raw tensor bytes');

type TypedArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** Element size in bytes and the typed array a runtime receives; FP16 is widened to Float32Array. */
const FIXED: Readonly<Record<Exclude<Datatype, 'BYTES' | 'BOOL' | 'FP16'>, TypedArrayCtor>> = {
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** Bytes per element, or 0 for BYTES (variable). */
export function elementSize(datatype: Datatype): number {
  if (datatype === 'BYTES') return 0;
  if (datatype === 'BOOL') return 1;
  if (datatype === 'FP16') return 2;
  return FIXED[datatype].BYTES_PER_ELEMENT;
}

function invalid(message: string): InferdError {
  return new InferdError('INVALID_INPUT', message);
}

/** A typed-array view of `bytes` when aligned (no copy), else an aligned copy. */
function typedView(Ctor: TypedArrayCtor, bytes: Uint8Array, count: number): TypedArray {
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Ctor(copy.buffer, 0, count);
}

/**
 * Decodes one tensor's raw bytes. `shape` may hold one -1, inferred from the element count. BYTES
 * elements become strings when all are valid UTF-8 (as KServe hands them to a model), else Buffers.
 * Throws INVALID_INPUT naming the tensor when the byte count does not fit the shape or datatype.
 */
export function decodeRawTensor(name: string, datatype: string, shape: readonly number[], bytes: Uint8Array): Tensor {
  if (!isDatatype(datatype)) {
    throw invalid(`invalid datatype "${datatype}" for input "${name}"`);
  }
  let data: TensorData;
  let count: number;
  if (datatype === 'BYTES') {
    data = decodeBytesElements(name, bytes);
    count = data.length;
  } else {
    const size = elementSize(datatype);
    if (bytes.length % size !== 0) {
      throw invalid(
        `input "${name}": ${bytes.length} bytes of raw data is not a whole number of ${datatype} elements (${size} bytes each)`,
      );
    }
    count = bytes.length / size;
    if (datatype === 'BOOL') {
      const out = new Array<boolean>(count);
      for (let i = 0; i < count; i++) out[i] = bytes[i] !== 0;
      data = out;
    } else if (datatype === 'FP16') {
      const halves = typedView(Uint16Array, bytes, count) as Uint16Array;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]!);
      data = out;
    } else {
      data = typedView(FIXED[datatype], bytes, count);
    }
  }
  const resolved = resolveRawShape(name, shape, count, datatype, bytes.length);
  return { name, datatype, shape: resolved, data };
}

function resolveRawShape(
  name: string,
  shape: readonly number[],
  count: number,
  datatype: Datatype,
  byteLength: number,
): number[] {
  try {
    return resolveShape(shape, count, name);
  } catch (err) {
    if (err instanceof InferdError && err.message.startsWith('cannot reshape')) {
      throw invalid(
        `input "${name}": shape [${shape.join(',')}] does not fit ${count} ${datatype} element(s) (${byteLength} bytes of raw data)`,
      );
    }
    throw err;
  }
}

/**
 * `<u32 len><bytes>` repeated; a length that runs past the end is a truncated tensor. Strings when every
 * element is UTF-8 (the common case: text), else Buffers for all (one type per tensor).
 */
function decodeBytesElements(name: string, bytes: Uint8Array): string[] | Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Buffer[] = [];
  let text = true;
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) {
      throw invalid(`input "${name}": BYTES element ${out.length} has a truncated 4-byte length prefix`);
    }
    const len = buf.readUInt32LE(offset);
    offset += 4;
    if (offset + len > buf.length) {
      throw invalid(
        `input "${name}": BYTES element ${out.length} declares ${len} bytes but only ${buf.length - offset} remain`,
      );
    }
    const el = buf.subarray(offset, offset + len);
    text &&= isUtf8(el);
    out.push(el);
    offset += len;
  }
  return text ? out.map((b) => b.toString('utf8')) : out.map((b) => Buffer.from(b));
}

/** The raw bytes of an output tensor, without copying when its data already has the datatype's layout. */
export function encodeRawTensor(t: Tensor): Buffer {
  const { datatype, data } = t;
  if (datatype === 'BYTES') return encodeBytesElements(data as ArrayLike<unknown>);
  if (datatype === 'BOOL') {
    const out = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
    return out;
  }
  if (datatype === 'FP16') {
    const out = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = floatToHalf(Number(data[i]));
    return Buffer.from(out.buffer, 0, out.byteLength);
  }
  const Ctor = FIXED[datatype];
  if (!Ctor) throw new InferdError('INTERNAL', `output "${t.name}" has unknown datatype ${datatype}`);
  if (data instanceof Ctor) {
    const typed = data as TypedArray;
    return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  if (Ctor === BigInt64Array || Ctor === BigUint64Array) return encodeInt64(data, Ctor === BigUint64Array);
  const typed = new Ctor(data.length) as Float64Array;
  if (!copyNumbers(typed, data)) {
    for (let i = 0; i < data.length; i++) typed[i] = Number(data[i]);
  }
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
}

/**
 * Converts `data` into `out` natively (TypedArray#set: a typed-array source is converted in C++, a plain
 * array of numbers by V8's fast path) with the same element conversion as `Number()`; false when it
 * cannot (BigInt elements or a BigInt typed array), and the caller converts element by element.
 */
function copyNumbers(out: Float64Array, data: TensorData): boolean {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return false;
  try {
    out.set(data as ArrayLike<number>);
    return true;
  } catch {
    return false; // a BigInt among plain values: TypeError
  }
}

const TWO_32 = 4294967296;

/**
 * INT64/UINT64 bytes from any values without a BigInt per element: an integral number is written as its
 * two 32-bit halves (hi = floor(v / 2^32), lo = v - hi * 2^32: the two's complement of v modulo 2^64, what
 * BigInt64Array/BigUint64Array store for BigInt(v)). Anything else (BigInt, non-integral, strings) goes
 * through BigInt() as before, with its errors.
 */
function encodeInt64(data: TensorData, unsigned: boolean): Buffer {
  const n = data.length;
  const bytes = new ArrayBuffer(n * 8);
  const words = new Int32Array(bytes);
  let big: BigInt64Array | BigUint64Array | undefined;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    // The other signedness: same bits.
    new Uint8Array(bytes).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return Buffer.from(bytes);
  }
  const items = data as ArrayLike<unknown>;
  for (let i = 0; i < n; i++) {
    const v = items[i];
    if (typeof v === 'number' && (v | 0) === v) {
      words[2 * i] = v;
      words[2 * i + 1] = v >> 31; // sign extension
    } else if (typeof v === 'number' && Number.isInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      words[2 * i] = v - hi * TWO_32;
      words[2 * i + 1] = hi;
    } else {
      big ??= unsigned ? new BigUint64Array(bytes) : new BigInt64Array(bytes);
      big[i] = BigInt(v as number | bigint);
    }
  }
  return Buffer.from(bytes);
}

function encodeBytesElements(data: ArrayLike<unknown>): Buffer {
  const parts = new Array<Buffer>(data.length);
  let total = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const b = Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v), 'utf8');
    parts[i] = b;
    total += 4 + b.length;
  }
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const b of parts) {
    out.writeUInt32LE(b.length, offset);
    b.copy(out, offset + 4);
    offset += 4 + b.length;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half → float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float → IEEE 754 half, rounding to nearest even (numpy's `astype(float16)`). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the right answer (0x7bff + 1 = Inf).
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
