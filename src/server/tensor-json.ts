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

const formatFloat: Format = (v) => pyFloat(Number(v));
const formatInt: Format = (v) => String(v);
const formatBool: Format = (v) => (v ? 'true' : 'false');
const formatBytes: Format = (v) =>
  JSON.stringify(typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

function formatterFor(t: Tensor): Format {
  switch (t.datatype) {
    case 'FP16':
    case 'FP32':
    case 'FP64':
      return formatFloat;
    case 'BOOL':
      return formatBool;
    case 'BYTES':
      return formatBytes;
    default:
      return formatInt;
  }
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
  const fmt = formatterFor(t);
  const data = t.data as ArrayLike<unknown>;
  const n = data.length;
  if (n === 0) return '[]';
  let s = `[${fmt(data[0])}`;
  for (let i = 1; i < n; i++) s += `,${fmt(data[i])}`;
  return `${s}]`;
}

/** Nested lists by shape (`ndarray.tolist()`): V1's `predictions`. A rank-0 tensor is a bare value. */
export function encodeNested(t: Tensor): string {
  if (t.shape.length <= 1) {
    if (t.shape.length === 1) return encodeFlat(t);
    checkSize(t);
    return formatterFor(t)((t.data as ArrayLike<unknown>)[0]);
  }
  checkSize(t);
  const fmt = formatterFor(t);
  const data = t.data as ArrayLike<unknown>;
  const shape = t.shape;
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d]!;
  }
  const write = (dim: number, offset: number): string => {
    const len = shape[dim]!;
    if (len === 0) return '[]';
    let s = '[';
    if (dim === shape.length - 1) {
      for (let i = 0; i < len; i++) s += (i ? ',' : '') + fmt(data[offset + i]);
    } else {
      const step = strides[dim]!;
      for (let i = 0; i < len; i++) s += (i ? ',' : '') + write(dim + 1, offset + i * step);
    }
    return `${s}]`;
  };
  return write(0, 0);
}
