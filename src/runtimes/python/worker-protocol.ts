// The framed binary protocol between inferd and its Python fallback worker (worker.py), over the worker's
// stdin/stdout. No pickle crosses the pipe: a frame is two lengths, a JSON header and the tensors' raw bytes.
//
//   ┌──────────────┬──────────────┬──────────────────────┬───────────────────────────────────────┐
//   │ u32le  H     │ u32le  B     │ header: H bytes JSON │ body: B bytes, tensors at             │
//   │ header bytes │ body bytes   │ {id, op, tensors...} │ header.tensors[i].{offset, length}    │
//   └──────────────┴──────────────┴──────────────────────┴───────────────────────────────────────┘
//
// Numeric tensors are little-endian C-order arrays; BYTES tensors are, per element, a u32le length and that many
// bytes (the V2 binary extension's layout). Pure functions only: the process around it is python-worker.ts.

import { endianness } from 'node:os';
import { InferdError } from '../../errors.js';
import type { Datatype, Tensor, TensorData, TypedArray } from '../model.js';

export const PROTOCOL_VERSION = 1;
export const MAX_HEADER_BYTES = 16 * 1024 * 1024; // 16 MiB
export const MAX_BODY_BYTES = 1024 * 1024 * 1024; // 1 GiB
const PREFIX_BYTES = 8;

export type FrameHeader = Record<string, unknown>;

export interface Frame {
  header: FrameHeader;
  body: Buffer;
}

/** One tensor as the header describes it. `elements` says how BYTES elements decode: text or raw bytes. */
export interface WireTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  offset: number;
  length: number;
  elements?: 'str' | 'bytes';
}

/** The chunks to write for one frame; tensor bytes are passed through without copying. */
export function encodeFrame(header: FrameHeader, body: readonly Uint8Array[] = []): Buffer[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyBytes = body.reduce((n, chunk) => n + chunk.byteLength, 0);
  if (json.length > MAX_HEADER_BYTES || bodyBytes > MAX_BODY_BYTES) {
    throw new InferdError('PAYLOAD_TOO_LARGE', `a request of ${bodyBytes} bytes is too large for the Python fallback`);
  }
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefix.writeUInt32LE(json.length, 0);
  prefix.writeUInt32LE(bodyBytes, 4);
  return [
    prefix,
    json,
    ...body.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength))),
  ];
}

/** Cuts a byte stream into frames. Throws on a frame over the limits (the stream cannot be trusted after that). */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.#buffered < PREFIX_BYTES) break;
      const head = this.#peek(PREFIX_BYTES);
      const headerBytes = head.readUInt32LE(0);
      const bodyBytes = head.readUInt32LE(4);
      if (headerBytes > MAX_HEADER_BYTES || bodyBytes > MAX_BODY_BYTES) {
        throw new Error(`frame of ${headerBytes} + ${bodyBytes} bytes is over the protocol's limits`);
      }
      const total = PREFIX_BYTES + headerBytes + bodyBytes;
      if (this.#buffered < total) break;
      const frame = this.#take(total);
      const header = JSON.parse(frame.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes)) as unknown;
      if (typeof header !== 'object' || header === null || Array.isArray(header)) {
        throw new Error('frame header is not a JSON object');
      }
      frames.push({ header: header as FrameHeader, body: frame.subarray(PREFIX_BYTES + headerBytes) });
    }
    return frames;
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first;
    this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return all.subarray(0, n);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors → wire

const TYPED_ARRAYS: Partial<Record<Datatype, new (...args: never[]) => TypedArray>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array, // raw half-precision bits
  FP32: Float32Array,
  FP64: Float64Array,
};

const INTEGER_TYPES = new Set<Datatype>(['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64']);

export interface EncodedTensors {
  tensors: WireTensor[];
  chunks: Uint8Array[];
}

/**
 * Request tensors as wire tensors. A typed array that matches its datatype goes as it is; other numeric data
 * (plain arrays from JSON, with null for NaN) goes as INT64 when every value is an integer of an integer
 * datatype, else as FP64, which is what scikit-learn casts X to anyway.
 */
export function encodeTensors(inputs: readonly Tensor[]): EncodedTensors {
  if (endianness() !== 'LE') throw new InferdError('INTERNAL', 'the Python fallback needs a little-endian machine');
  const tensors: WireTensor[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of inputs) {
    const { datatype, chunk, elements } = encodeData(tensor);
    const wire: WireTensor = {
      name: tensor.name,
      datatype,
      shape: [...tensor.shape],
      offset,
      length: chunk.byteLength,
    };
    if (elements) wire.elements = elements;
    tensors.push(wire);
    chunks.push(chunk);
    offset += chunk.byteLength;
  }
  return { tensors, chunks };
}

function encodeData(tensor: Tensor): { datatype: Datatype; chunk: Uint8Array; elements?: 'str' | 'bytes' } {
  const { datatype, data } = tensor;
  if (datatype === 'BYTES') return encodeBytes(data);
  const Typed = TYPED_ARRAYS[datatype];
  if (Typed && data instanceof Typed) return { datatype, chunk: asBytes(data) };
  if (datatype === 'BOOL' && Array.isArray(data)) {
    return { datatype, chunk: Uint8Array.from(data as unknown[], (v) => (v ? 1 : 0)) };
  }
  const values = data as ArrayLike<unknown>;
  if (
    INTEGER_TYPES.has(datatype) &&
    Array.from(values).every((v) => Number.isSafeInteger(v) || typeof v === 'bigint')
  ) {
    return {
      datatype: 'INT64',
      chunk: asBytes(BigInt64Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v))),
    };
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat(values[i]);
  return { datatype: 'FP64', chunk: asBytes(out) };
}

function toFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

function encodeBytes(data: TensorData): { datatype: Datatype; chunk: Uint8Array; elements: 'str' | 'bytes' } {
  const items = Array.from(data as ArrayLike<unknown>);
  const allText = items.every((v) => !(v instanceof Uint8Array));
  const parts: Buffer[] = [];
  for (const item of items) {
    const bytes =
      item instanceof Uint8Array
        ? Buffer.from(item.buffer, item.byteOffset, item.byteLength)
        : Buffer.from(typeof item === 'string' ? item : String(item), 'utf8');
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32LE(bytes.length, 0);
    parts.push(length, bytes);
  }
  return { datatype: 'BYTES', chunk: Buffer.concat(parts), elements: allText ? 'str' : 'bytes' };
}

function asBytes(array: TypedArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

// ---------------------------------------------------------------------------------------------------------------
// Wire → tensors, in the native sklearn runtime's conventions: integer labels as plain numbers (the server writes
// JSON integers), floats as Float64Array/Float32Array, booleans as booleans, strings as strings.

export function decodeTensors(wires: readonly WireTensor[], body: Buffer): Tensor[] {
  return wires.map((wire) => decodeTensor(wire, body));
}

function decodeTensor(wire: WireTensor, body: Buffer): Tensor {
  const { name, datatype, shape, offset, length } = wire;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || offset + length > body.length) {
    throw new Error(`tensor ${JSON.stringify(name)} lies outside its frame`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = body.subarray(offset, offset + length);
  return { name, datatype, shape: [...shape], data: decodeData(datatype, bytes, count, wire.elements ?? 'str') };
}

function decodeData(datatype: Datatype, bytes: Buffer, count: number, elements: 'str' | 'bytes'): TensorData {
  if (datatype === 'BYTES') {
    const out: (string | Buffer)[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const n = bytes.readUInt32LE(pos);
      pos += 4;
      if (pos + n > bytes.length) throw new Error('truncated BYTES element');
      const item = bytes.subarray(pos, pos + n);
      out.push(elements === 'str' ? item.toString('utf8') : Buffer.from(item));
      pos += n;
    }
    if (out.length !== count) throw new Error(`BYTES tensor has ${out.length} elements, expected ${count}`);
    return out as string[] | Buffer[];
  }
  const Typed = TYPED_ARRAYS[datatype];
  if (!Typed) throw new Error(`unknown datatype ${datatype}`);
  // Copy into a fresh, aligned buffer: the frame's bytes start anywhere.
  const aligned = new Uint8Array(bytes).buffer;
  const typed = new (Typed as unknown as new (b: ArrayBuffer) => TypedArray)(aligned);
  if (typed.length !== count) throw new Error(`${datatype} tensor has ${typed.length} elements, expected ${count}`);
  if (datatype === 'BOOL') return Array.from(typed as Uint8Array, (v) => v !== 0);
  if (datatype === 'FP64' || datatype === 'FP32' || datatype === 'FP16') return typed;
  if (typed instanceof BigInt64Array || typed instanceof BigUint64Array) {
    const numbers = Array.from(typed as ArrayLike<bigint>, Number);
    return numbers.every(Number.isSafeInteger) ? numbers : typed;
  }
  return Array.from(typed as ArrayLike<number>);
}
