// Tensor → JSON text, written directly (no intermediate arrays), with numbers spelled the way KServe's
// Python server spells `ndarray.tolist()`: floats as Python's repr (`1.0`, `0.1`, `1e-05`), integers
// plain, NaN/Infinity as null (orjson), BYTES as strings. V1 nests by shape, V2 stays flat.

import { InferdError } from '../errors.js';
import type { Tensor } from '../runtimes/model.js';

type Format = (v: unknown) => string;

/** Python's repr() of a float, which orjson and json.dumps both print for numpy float outputs. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return Object.is(x, -0) ? '-0.0' : `${x}.0`;
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e16) return String(x);
  const s = x.toExponential(); // shortest round-trip digits: "1e-5", "1.5e+16"
  const e = s.indexOf('e');
  const sign = s[e + 1];
  const digits = s.slice(e + 2);
  return `${s.slice(0, e)}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

const formatBool: Format = (v) => (v ? 'true' : 'false');
const formatBytes: Format = (v) =>
  JSON.stringify(typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

type Kind = 'float' | 'int' | 'bool' | 'bytes';

function kindOf(t: Tensor): Kind {
  switch (t.datatype) {
    case 'FP16':
    case 'FP32':
    case 'FP64':
      return 'float';
    case 'BOOL':
      return 'bool';
    case 'BYTES':
      return 'bytes';
    default:
      return 'int';
  }
}

type Values = ArrayLike<unknown> & { join(sep: string): string; slice(a: number, b: number): Values };

const CHUNK = 1024;

/** `[...]` for data[start, end): JSON.stringify's native number path where it spells numbers as Python does. */
function listRange(kind: Kind, data: Values, start: number, end: number): string {
  if (kind === 'int') {
    const part = start === 0 && end === data.length ? data : data.slice(start, end);
    if (part instanceof BigInt64Array || part instanceof BigUint64Array) return bigIntList(part);
    return JSON.stringify(Array.isArray(part) ? part : Array.from(part as ArrayLike<number>));
  }
  if (kind === 'float') {
    if (end - start <= CHUNK) return `[${floatChunk(data, start, end)}]`;
    const parts: string[] = [];
    for (let i = start; i < end; i += CHUNK) parts.push(floatChunk(data, i, Math.min(end, i + CHUNK)));
    return `[${parts.join(',')}]`;
  }
  const fmt = kind === 'bool' ? formatBool : formatBytes;
  const out = new Array<string>(end - start);
  for (let i = start; i < end; i++) out[i - start] = fmt(data[i]);
  return `[${out.join(',')}]`;
}

/**
 * `[...]` of 64-bit integers. When every value fits in 32 bits (class labels, counts), the digits are written
 * from the low words straight into one buffer: no BigInt and no intermediate array per value (BigInt's join,
 * or an Array built from the words, cost several times more). Wider values keep BigInt's exact digits.
 */
function bigIntList(data: BigInt64Array | BigUint64Array): string {
  const n = data.length;
  const words = new Int32Array(data.buffer, data.byteOffset, 2 * n);
  const signed = data instanceof BigInt64Array;
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    if (words[2 * i + 1] !== (signed ? lo >> 31 : 0) || (!signed && lo < 0)) return `[${data.join(',')}]`;
  }
  const out = Buffer.allocUnsafe(2 + 12 * n); // "-2147483648," at most per value
  let p = 0;
  out[p++] = 0x5b; // [
  for (let i = 0; i < n; i++) {
    if (i > 0) out[p++] = 0x2c; // ,
    let v = words[2 * i]!;
    if (v < 0) {
      out[p++] = 0x2d; // -
      v = -v; // a double: -(-2^31) is 2^31
    }
    if (v < 10) {
      out[p++] = 0x30 + v;
      continue;
    }
    let digits = 1;
    for (let rest = v; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    for (let q = p + digits - 1; q >= p; q--) {
      const d = v % 10;
      out[q] = 0x30 + d;
      v = (v - d) / 10;
    }
    p += digits;
  }
  out[p++] = 0x5d; // ]
  return out.toString('latin1', 0, p);
}

/**
 * Floats without brackets. JavaScript and Python agree on the shortest digits; they differ only for
 * integral values (1 vs 1.0), |x| < 1e-4, |x| >= 1e16 and non-finite values. A chunk without any is
 * stringified natively (~3× faster than one string per number).
 */
function floatChunk(data: Values, start: number, end: number): string {
  let clean = true;
  for (let i = start; i < end; i++) {
    const x = data[i] as number;
    const a = x < 0 ? -x : x;
    if (!(a >= 1e-4 && a < 1e16) || Number.isInteger(x)) {
      clean = false;
      break;
    }
  }
  if (clean) {
    const part = data.slice(start, end);
    const s = JSON.stringify(Array.isArray(part) ? part : Array.from(part as ArrayLike<number>));
    return s.slice(1, -1);
  }
  const out = new Array<string>(end - start);
  for (let i = start; i < end; i++) out[i - start] = pyFloat(Number(data[i]));
  return out.join(',');
}

function checkSize(t: Tensor): void {
  let size = 1;
  for (const d of t.shape) size *= d;
  if (size !== t.data.length) {
    throw new InferdError(
      'INTERNAL',
      `model output "${t.name}" has shape [${t.shape.join(',')}] but ${t.data.length} values`,
    );
  }
}

/** `[v0,v1,...]`: V2's flat `data`. */
export function encodeFlat(t: Tensor): string {
  checkSize(t);
  const data = t.data as unknown as Values;
  return listRange(kindOf(t), data, 0, data.length);
}

/** Nested lists by shape (`ndarray.tolist()`): V1's `predictions`. A rank-0 tensor is a bare value. */
export function encodeNested(t: Tensor): string {
  checkSize(t);
  const kind = kindOf(t);
  const data = t.data as unknown as Values;
  const shape = t.shape;
  if (shape.length === 0) return listRange(kind, data, 0, 1).slice(1, -1);
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d]!;
  }
  const last = shape.length - 1;
  const write = (dim: number, offset: number): string => {
    const len = shape[dim]!;
    if (dim === last) return listRange(kind, data, offset, offset + len);
    if (len === 0) return '[]';
    const step = strides[dim]!;
    let s = `[${write(dim + 1, offset)}`;
    for (let i = 1; i < len; i++) s += `,${write(dim + 1, offset + i * step)}`;
    return `${s}]`;
  };
  return write(0, 0);
}
