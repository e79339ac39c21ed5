// A decoder for UBJSON (Universal Binary JSON, draft 12), the format xgboost writes for `.ubj` models: big-endian
// numbers, length-prefixed strings, and "optimized" containers (`[$d#L<n>` = n float32s) that we return as typed
// arrays so a million split conditions never become a million JS numbers. Decoding only; no encoder.

import { InferdError } from '../../errors.js';

export type UbjValue =
  | null
  | boolean
  | number
  | string
  | UbjValue[]
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | { [key: string]: UbjValue };

/** Nesting deeper than this is refused: xgboost models nest about 8 levels; a hostile file could nest millions. */
const MAX_DEPTH = 256;

const MARKER = {
  NULL: 0x5a, // Z
  NOOP: 0x4e, // N
  TRUE: 0x54, // T
  FALSE: 0x46, // F
  INT8: 0x69, // i
  UINT8: 0x55, // U
  INT16: 0x49, // I
  INT32: 0x6c, // l
  INT64: 0x4c, // L
  FLOAT32: 0x64, // d
  FLOAT64: 0x44, // D
  HIGH_PRECISION: 0x48, // H
  CHAR: 0x43, // C
  STRING: 0x53, // S
  ARRAY_START: 0x5b, // [
  ARRAY_END: 0x5d, // ]
  OBJECT_START: 0x7b, // {
  OBJECT_END: 0x7d, // }
  TYPE: 0x24, // $
  COUNT: 0x23, // #
} as const;

/** Byte size of each fixed-size number type, for bounds checks on optimized containers. */
const FIXED_SIZE: Record<number, number> = {
  [MARKER.INT8]: 1,
  [MARKER.UINT8]: 1,
  [MARKER.CHAR]: 1,
  [MARKER.INT16]: 2,
  [MARKER.INT32]: 4,
  [MARKER.FLOAT32]: 4,
  [MARKER.INT64]: 8,
  [MARKER.FLOAT64]: 8,
};

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #text = new TextDecoder('utf-8', { fatal: true });
  pos = 0;
  /**
   * Elements of typed containers whose type takes no bytes (`[$Z#`, `$T`, `$F`) the rest of the document may
   * still hold: a 9-byte `[$Z#l<1e8>` would otherwise build 100 million nulls. One per byte of the data, in all.
   */
  #sizeless: number;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#sizeless = bytes.length;
  }

  /** Takes `count` elements of a sizeless type from the document's allowance (see #sizeless). */
  sizeless(count: number, at: number): void {
    if (count > this.#sizeless)
      this.fail(`${count} elements of a type that takes no bytes is more than the data holds`, at);
    this.#sizeless -= count;
  }

  get remaining(): number {
    return this.#bytes.length - this.pos;
  }

  fail(message: string, at = this.pos): never {
    throw new InferdError('MODEL_LOAD_FAILED', `invalid UBJSON at byte ${at}: ${message}`, {
      reason: 'ModelLoadFailed',
    });
  }

  need(n: number): void {
    if (n > this.remaining) this.fail(`needs ${n} more byte(s), the data ends after ${this.remaining}`);
  }

  byte(): number {
    this.need(1);
    return this.#bytes[this.pos++]!;
  }

  peek(): number {
    this.need(1);
    return this.#bytes[this.pos]!;
  }

  /** A number of the given type (big-endian, as the spec says). */
  number(marker: number): number {
    const at = this.pos;
    const size = FIXED_SIZE[marker];
    if (size === undefined || marker === MARKER.CHAR) this.fail(`expected a number type, got ${describe(marker)}`);
    this.need(size);
    const v = this.#view;
    this.pos += size;
    switch (marker) {
      case MARKER.INT8:
        return v.getInt8(at);
      case MARKER.UINT8:
        return v.getUint8(at);
      case MARKER.INT16:
        return v.getInt16(at);
      case MARKER.INT32:
        return v.getInt32(at);
      case MARKER.FLOAT32:
        return v.getFloat32(at);
      case MARKER.FLOAT64:
        return v.getFloat64(at);
      default: {
        const big = v.getBigInt64(at);
        if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
          this.fail(`int64 ${big} does not fit a JavaScript number`, at);
        }
        return Number(big);
      }
    }
  }

  /** A length or count: any integer type, never negative. */
  length(): number {
    const at = this.pos;
    const n = this.number(this.byte());
    if (!Number.isInteger(n) || n < 0) this.fail(`invalid length ${n}`, at);
    return n;
  }

  string(): string {
    const n = this.length();
    this.need(n);
    const at = this.pos;
    this.pos += n;
    try {
      return this.#text.decode(this.#bytes.subarray(at, at + n));
    } catch {
      return this.fail('string is not valid UTF-8', at);
    }
  }

  /** `count` values of one fixed-size type, as a typed array (int64 and char as plain numbers/strings). */
  typedArray(marker: number, count: number): UbjValue {
    const size = FIXED_SIZE[marker]!;
    this.need(count * size);
    const at = this.pos;
    this.pos += count * size;
    const v = this.#view;
    switch (marker) {
      case MARKER.UINT8:
        return this.#bytes.slice(at, at + count);
      case MARKER.INT8:
        return new Int8Array(this.#bytes.slice(at, at + count).buffer);
      case MARKER.INT16: {
        const out = new Int16Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getInt16(at + 2 * i);
        return out;
      }
      case MARKER.INT32: {
        const out = new Int32Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getInt32(at + 4 * i);
        return out;
      }
      case MARKER.FLOAT32: {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getFloat32(at + 4 * i);
        return out;
      }
      case MARKER.FLOAT64: {
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getFloat64(at + 8 * i);
        return out;
      }
      case MARKER.INT64: {
        // Segments and sizes are int64 in xgboost; far below 2^53 in any model that fits in memory.
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++) {
          const big = v.getBigInt64(at + 8 * i);
          if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
            this.fail(`int64 ${big} does not fit a JavaScript number`, at + 8 * i);
          }
          out[i] = Number(big);
        }
        return out;
      }
      default: {
        // CHAR
        const out: string[] = [];
        for (let i = 0; i < count; i++) out.push(String.fromCharCode(this.#bytes[at + i]!));
        return out;
      }
    }
  }
}

function describe(marker: number): string {
  const c = String.fromCharCode(marker);
  return /[ -~]/.test(c) ? `'${c}'` : `0x${marker.toString(16).padStart(2, '0')}`;
}

/** The value starting with `marker` (already consumed). */
function value(r: Reader, marker: number, depth: number): UbjValue {
  switch (marker) {
    case MARKER.NULL:
      return null;
    case MARKER.TRUE:
      return true;
    case MARKER.FALSE:
      return false;
    case MARKER.INT8:
    case MARKER.UINT8:
    case MARKER.INT16:
    case MARKER.INT32:
    case MARKER.INT64:
    case MARKER.FLOAT32:
    case MARKER.FLOAT64:
      return r.number(marker);
    case MARKER.HIGH_PRECISION: {
      const at = r.pos;
      const text = r.string();
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) r.fail(`high-precision number ${JSON.stringify(text)}`, at);
      return n;
    }
    case MARKER.CHAR:
      return String.fromCharCode(r.byte());
    case MARKER.STRING:
      return r.string();
    case MARKER.ARRAY_START:
      return array(r, depth + 1);
    case MARKER.OBJECT_START:
      return object(r, depth + 1);
    default:
      return r.fail(`unknown type marker ${describe(marker)}`, r.pos - 1);
  }
}

/** Reads the optional `$type` and `#count` of an optimized container. */
function containerHeader(r: Reader): { type: number | undefined; count: number | undefined } {
  let type: number | undefined;
  if (r.peek() === MARKER.TYPE) {
    r.pos++;
    type = r.byte();
    if (type === MARKER.NOOP || type === MARKER.ARRAY_END || type === MARKER.OBJECT_END) {
      r.fail(`invalid container type ${describe(type)}`, r.pos - 1);
    }
    if (r.peek() !== MARKER.COUNT) r.fail('a typed container must have a count (#)');
  }
  let count: number | undefined;
  if (r.peek() === MARKER.COUNT) {
    r.pos++;
    count = r.length();
  }
  return { type, count };
}

function array(r: Reader, depth: number): UbjValue {
  if (depth > MAX_DEPTH) r.fail(`nesting deeper than ${MAX_DEPTH}`);
  const start = r.pos - 1; // the '['
  const { type, count } = containerHeader(r);
  if (count !== undefined && type !== undefined && FIXED_SIZE[type] !== undefined) return r.typedArray(type, count);
  const out: UbjValue[] = [];
  if (count !== undefined) {
    if (type === MARKER.NULL || type === MARKER.TRUE || type === MARKER.FALSE) r.sizeless(count, start);
    // Each element takes at least one byte unless its type is given and sizeless (null/true/false).
    if (type === undefined && count > r.remaining) r.fail(`array of ${count} elements is longer than the data`);
    if (count > 100_000_000) r.fail(`array of ${count} elements is too long`);
    for (let i = 0; i < count; i++) out.push(value(r, type ?? r.byte(), depth));
    return out;
  }
  for (;;) {
    const marker = r.byte();
    if (marker === MARKER.ARRAY_END) return out;
    if (marker === MARKER.NOOP) continue;
    out.push(value(r, marker, depth));
  }
}

function object(r: Reader, depth: number): UbjValue {
  if (depth > MAX_DEPTH) r.fail(`nesting deeper than ${MAX_DEPTH}`);
  const { type, count } = containerHeader(r);
  // A null-prototype object: keys such as "__proto__" from a model file stay plain data.
  const out: { [key: string]: UbjValue } = Object.create(null);
  if (count !== undefined) {
    if (count > r.remaining) r.fail(`object of ${count} entries is longer than the data`);
    for (let i = 0; i < count; i++) {
      const key = r.string();
      out[key] = value(r, type ?? r.byte(), depth);
    }
    return out;
  }
  for (;;) {
    const next = r.peek();
    if (next === MARKER.OBJECT_END) {
      r.pos++;
      return out;
    }
    if (next === MARKER.NOOP) {
      r.pos++;
      continue;
    }
    const key = r.string(); // keys carry no 'S' marker: an integer length, then UTF-8 bytes
    out[key] = value(r, r.byte(), depth);
  }
}

/** Decodes one UBJSON value that fills `bytes` exactly. Throws MODEL_LOAD_FAILED naming the byte offset. */
export function decodeUbjson(bytes: Uint8Array): UbjValue {
  const r = new Reader(bytes);
  const result = value(r, r.byte(), 0);
  while (r.remaining > 0 && r.peek() === MARKER.NOOP) r.pos++;
  if (r.remaining > 0) r.fail(`${r.remaining} byte(s) after the end of the value`);
  return result;
}
