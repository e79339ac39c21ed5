// A hand-written protobuf codec for the messages of KServe's V2 gRPC service (grpc_predict_v2.proto), for
// the replica's node:http2 fast path (fast.ts). Decoding produces the same plain objects @grpc/proto-loader
// gives grpc-js (keepCase, defaults, oneofs; int64 as bigint where proto-loader gives a decimal string:
// every consumer goes through Number()/BigInt()), and encoding writes the same bytes protobufjs writes for
// the objects service.ts answers with (fields in number order, strings and bools that were set written
// even when empty/false, packed repeated scalars, empty repeated fields left out). A malformed message
// throws CodecError; the caller answers it as grpc-js does ("Error deserializing request").

import type { Tensor } from '../../runtimes/model.js';
import type { GrpcInputTensor, InferParameter, InferTensorContents } from './grpc-tensor.js';

export class CodecError extends Error {}

// ---------------------------------------------------------------------------------------------- reading

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** A varint as a number (exact up to 2^53; lengths, tags, 32-bit values). */
  varint(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new CodecError('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * mul;
      if (b < 0x80) return value;
      mul *= 128;
    }
    throw new CodecError('varint longer than 10 bytes');
  }

  /** A varint as a 64-bit value (bigint, two's complement when `signed`). */
  varint64(signed: boolean): bigint {
    const start = this.pos;
    // Fast path: up to 7 bytes (49 bits) fits a number exactly.
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new CodecError('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * mul;
      if (b < 0x80) return BigInt(value);
      mul *= 128;
    }
    this.pos = start;
    let big = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new CodecError('truncated varint');
      const b = this.buf[this.pos++]!;
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
      shift += 7n;
    }
    throw new CodecError('varint longer than 10 bytes');
  }

  /** int32 as protobufjs reads it (a negative value is sent as 10 bytes). */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varint64(false)));
  }

  uint32(): number {
    return Number(BigInt.asUintN(32, this.varint64(false)));
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** The [start, end) of a length-delimited field's payload; advances past it. */
  delimited(): number {
    const n = this.varint();
    const start = this.pos;
    if (n > this.end - start) throw new CodecError('length runs past the end of the message');
    this.pos = start + n;
    return start;
  }

  string(): string {
    const start = this.delimited();
    return this.buf.toString('utf8', start, this.pos);
  }

  bytes(): Buffer {
    const start = this.delimited();
    return this.buf.subarray(start, this.pos);
  }

  skip(wire: number, field: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.delimited();
        return;
      case 5:
        this.advance(4);
        return;
      case 3: {
        // A group: skip fields until its end tag. Nested groups are tracked here, not by recursion (a body of
        // nested start tags must not overflow the stack), and bounded as protobuf's parsers bound recursion.
        const open = [field];
        while (open.length > 0) {
          const key = this.varint();
          const w = key & 7;
          if (w === 4) {
            if (key >>> 3 !== open[open.length - 1]) throw new CodecError('mismatched end group');
            open.pop();
          } else if (w === 3) {
            if (open.length >= MAX_GROUP_DEPTH) throw new CodecError(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
            open.push(key >>> 3);
          } else {
            this.skip(w, key >>> 3);
          }
        }
        return;
      }
      default:
        throw new CodecError(`invalid wire type ${wire}`);
    }
  }

  advance(n: number): void {
    if (n > this.end - this.pos) throw new CodecError('truncated fixed-size field');
    this.pos += n;
  }
}

/** Nesting of unknown groups skipped (protobuf's own parsers stop at a recursion depth of 100). */
const MAX_GROUP_DEPTH = 100;

const expect = (wire: number, want: number) => {
  if (wire !== want) throw new CodecError(`wire type ${wire} where ${want} was expected`);
};

/** Repeated scalar, packed (wire 2) or not: calls `one` once per element. */
function repeated(r: Reader, wire: number, scalarWire: number, one: () => void): void {
  if (wire === 2) {
    const start = r.delimited();
    const after = r.pos;
    const outerEnd = r.end;
    r.pos = start;
    r.end = after;
    try {
      while (r.pos < after) one();
    } finally {
      r.end = outerEnd;
    }
    if (r.pos !== after) throw new CodecError('packed field runs past its length');
    return;
  }
  expect(wire, scalarWire);
  one();
}

function readParameter(r: Reader, end: number): InferParameter {
  const p: InferParameter = {};
  while (r.pos < end) {
    const key = r.varint();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1:
        expect(wire, 0);
        p.bool_param = r.bool();
        p.parameter_choice = 'bool_param';
        break;
      case 2:
        expect(wire, 0);
        p.int64_param = r.varint64(true).toString();
        p.parameter_choice = 'int64_param';
        break;
      case 3:
        expect(wire, 2);
        p.string_param = r.string();
        p.parameter_choice = 'string_param';
        break;
      default:
        r.skip(wire, key >>> 3);
    }
  }
  return p;
}

/** One map<string, InferParameter> entry into `into`. */
function readParameterEntry(r: Reader, into: Record<string, InferParameter>): void {
  const start = r.delimited();
  const end = r.pos;
  r.pos = start;
  let k = '';
  let v: InferParameter = {};
  while (r.pos < end) {
    const key = r.varint();
    const wire = key & 7;
    if (key >>> 3 === 1) {
      expect(wire, 2);
      k = r.string();
    } else if (key >>> 3 === 2) {
      expect(wire, 2);
      const s = r.delimited();
      const e = r.pos;
      r.pos = s;
      v = readParameter(r, e);
      r.pos = e;
    } else r.skip(wire, key >>> 3);
  }
  if (r.pos !== end) throw new CodecError('map entry runs past its length');
  into[k] = v;
}

function readContents(r: Reader, end: number): InferTensorContents {
  const c: Required<InferTensorContents> = {
    bool_contents: [],
    int_contents: [],
    int64_contents: [],
    uint_contents: [],
    uint64_contents: [],
    fp32_contents: [],
    fp64_contents: [],
    bytes_contents: [],
  };
  const buf = r.buf;
  while (r.pos < end) {
    const key = r.varint();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1:
        repeated(r, wire, 0, () => c.bool_contents.push(r.bool()));
        break;
      case 2:
        repeated(r, wire, 0, () => c.int_contents.push(r.int32()));
        break;
      case 3:
        repeated(r, wire, 0, () => (c.int64_contents as unknown[]).push(r.varint64(true)));
        break;
      case 4:
        repeated(r, wire, 0, () => c.uint_contents.push(r.uint32()));
        break;
      case 5:
        repeated(r, wire, 0, () => (c.uint64_contents as unknown[]).push(r.varint64(false)));
        break;
      case 6:
        repeated(r, wire, 5, () => {
          r.advance(4);
          c.fp32_contents.push(buf.readFloatLE(r.pos - 4));
        });
        break;
      case 7:
        repeated(r, wire, 1, () => {
          r.advance(8);
          c.fp64_contents.push(buf.readDoubleLE(r.pos - 8));
        });
        break;
      case 8:
        expect(wire, 2);
        c.bytes_contents.push(r.bytes());
        break;
      default:
        r.skip(wire, key >>> 3);
    }
  }
  return c;
}

function readShape(r: Reader, wire: number, shape: number[]): void {
  // proto-loader gives int64 as decimal strings; every consumer calls Number() on them.
  repeated(r, wire, 0, () => {
    const v = r.varint64(true);
    shape.push(v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : Number.NaN);
  });
}

/** Runs `fn` over the sub-message at the reader's position (a length-delimited field). */
function sub<T>(r: Reader, fn: (end: number) => T): T {
  const start = r.delimited();
  const end = r.pos;
  r.pos = start;
  const out = fn(end);
  if (r.pos !== end) throw new CodecError('sub-message runs past its length');
  return out;
}

function readInputTensor(r: Reader, end: number): GrpcInputTensor {
  const t: GrpcInputTensor = { name: '', datatype: '', shape: [], parameters: {}, contents: null };
  while (r.pos < end) {
    const key = r.varint();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1:
        expect(wire, 2);
        t.name = r.string();
        break;
      case 2:
        expect(wire, 2);
        t.datatype = r.string();
        break;
      case 3:
        readShape(r, wire, t.shape as number[]);
        break;
      case 4:
        expect(wire, 2);
        readParameterEntry(r, t.parameters!);
        break;
      case 5:
        expect(wire, 2);
        // A repeated occurrence of a message field merges; the last wins per repeated-field append.
        t.contents = mergeContents(
          t.contents,
          sub(r, (e) => readContents(r, e)),
        );
        break;
      default:
        r.skip(wire, key >>> 3);
    }
  }
  return t;
}

function mergeContents(a: InferTensorContents | null | undefined, b: InferTensorContents): InferTensorContents {
  if (!a) return b;
  for (const k in b) {
    const key = k as keyof InferTensorContents;
    (a[key] as unknown[]).push(...(b[key] as unknown[]));
  }
  return a;
}

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: GrpcInputTensor[];
  outputs: { name: string; parameters: Record<string, InferParameter> }[];
  raw_input_contents: Buffer[];
}

interface InferHeader {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
}

/** Fields 1-4, numbered alike in ModelInferRequest and ModelInferResponse; false for any other field. */
function readInferHeaderField(r: Reader, field: number, wire: number, into: InferHeader): boolean {
  switch (field) {
    case 1:
      expect(wire, 2);
      into.model_name = r.string();
      return true;
    case 2:
      expect(wire, 2);
      into.model_version = r.string();
      return true;
    case 3:
      expect(wire, 2);
      into.id = r.string();
      return true;
    case 4:
      expect(wire, 2);
      readParameterEntry(r, into.parameters);
      return true;
    default:
      return false;
  }
}

/** Decodes a ModelInferRequest from `buf` (the whole buffer is the message). */
export function decodeModelInferRequest(buf: Buffer): ModelInferRequest {
  const r = new Reader(buf, 0, buf.length);
  const req: ModelInferRequest = {
    model_name: '',
    model_version: '',
    id: '',
    parameters: {},
    inputs: [],
    outputs: [],
    raw_input_contents: [],
  };
  while (r.pos < r.end) {
    const key = r.varint();
    const wire = key & 7;
    if (readInferHeaderField(r, key >>> 3, wire, req)) continue;
    switch (key >>> 3) {
      case 5:
        expect(wire, 2);
        req.inputs.push(sub(r, (e) => readInputTensor(r, e)));
        break;
      case 6:
        expect(wire, 2);
        req.outputs.push(
          sub(r, (e) => {
            const o = { name: '', parameters: {} as Record<string, InferParameter> };
            while (r.pos < e) {
              const k = r.varint();
              const w = k & 7;
              if (k >>> 3 === 1) {
                expect(w, 2);
                o.name = r.string();
              } else if (k >>> 3 === 2) {
                expect(w, 2);
                readParameterEntry(r, o.parameters);
              } else r.skip(w, k >>> 3);
            }
            return o;
          }),
        );
        break;
      case 7:
        expect(wire, 2);
        req.raw_input_contents.push(r.bytes());
        break;
      default:
        r.skip(wire, key >>> 3);
    }
  }
  return req;
}

/** `{name=1, version=2}`: ModelReadyRequest and ModelMetadataRequest. */
export function decodeNameVersion(buf: Buffer): { name: string; version: string } {
  const r = new Reader(buf, 0, buf.length);
  const out = { name: '', version: '' };
  while (r.pos < r.end) {
    const key = r.varint();
    const wire = key & 7;
    if (key >>> 3 === 1) {
      expect(wire, 2);
      out.name = r.string();
    } else if (key >>> 3 === 2) {
      expect(wire, 2);
      out.version = r.string();
    } else r.skip(wire, key >>> 3);
  }
  return out;
}

/** `{model_name=1}`: the repository requests. */
export function decodeModelName(buf: Buffer): { model_name: string } {
  const r = new Reader(buf, 0, buf.length);
  const out = { model_name: '' };
  while (r.pos < r.end) {
    const key = r.varint();
    const wire = key & 7;
    if (key >>> 3 === 1) {
      expect(wire, 2);
      out.model_name = r.string();
    } else r.skip(wire, key >>> 3);
  }
  return out;
}

/** A message with no fields (ServerLive/Ready/Metadata requests): anything well-formed is accepted. */
export function decodeEmpty(buf: Buffer): void {
  const r = new Reader(buf, 0, buf.length);
  while (r.pos < r.end) {
    const key = r.varint();
    r.skip(key & 7, key >>> 3);
  }
}

// ---------------------------------------------------------------------------------------------- writing

/**
 * A growing buffer that starts with the 5-byte gRPC message prefix. Nested messages reserve one length
 * byte and move their payload only when it is 128 bytes or longer.
 */
export class Writer {
  buf: Buffer;
  pos = 5;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(n: number): void {
    this.ensure(10);
    const b = this.buf;
    while (n > 0x7f) {
      b[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    b[this.pos++] = n;
  }

  /** A 64-bit varint (two's complement for negatives, 10 bytes). */
  varint64(v: bigint): void {
    if (v >= 0n && v <= 0x1fffffffffffffn) {
      this.varint(Number(v));
      return;
    }
    let u = BigInt.asUintN(64, v);
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** int32 as protobufjs writes it: negatives sign-extended to 10 bytes. */
  int32(n: number): void {
    if (n >= 0) this.varint(n);
    else this.varint64(BigInt(n));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  string(field: number, s: string): void {
    this.tag(field, 2);
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  bool(field: number, v: boolean): void {
    this.tag(field, 0);
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /** Starts a length-delimited field; returns the mark `end` needs. */
  fork(field: number): number {
    this.tag(field, 2);
    this.ensure(1);
    return this.pos++;
  }

  /** Ends what `fork` started, writing its length (moving the payload when the length needs >1 byte). */
  ldelim(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    let extra = 0;
    for (let n = len; n > 0x7f; n = Math.floor(n / 128)) extra++;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    let n = len;
    let p = mark;
    while (n > 0x7f) {
      this.buf[p++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[p] = n;
    this.pos += extra;
  }

  /** The framed message (prefix filled in). */
  finish(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    out[0] = 0;
    out.writeUInt32BE(this.pos - 5, 1);
    return out;
  }
}

/** InferParameter map entries (plain values, as toGrpcParameters maps them). */
function writeParameters(w: Writer, field: number, p: Record<string, unknown> | null | undefined): void {
  if (!p) return;
  for (const k in p) {
    const v = p[k];
    if (v === undefined || v === null) continue;
    const entry = w.fork(field);
    w.string(1, k);
    const param = w.fork(2);
    if (typeof v === 'boolean') w.bool(1, v);
    else if (typeof v === 'number' && Number.isInteger(v)) {
      w.tag(2, 0);
      w.varint64(BigInt(v));
    } else if (typeof v === 'bigint') {
      w.tag(2, 0);
      w.varint64(BigInt.asIntN(64, v));
    } else w.string(3, typeof v === 'string' ? v : JSON.stringify(v));
    w.ldelim(param);
    w.ldelim(entry);
  }
}

function writeShape(w: Writer, field: number, shape: readonly number[]): void {
  if (shape.length === 0) return;
  const mark = w.fork(field);
  for (const d of shape) w.varint64(BigInt(Math.trunc(d)));
  w.ldelim(mark);
}

/** Which InferTensorContents field carries a datatype (FP16 has none). */
const CONTENTS_FIELD: Readonly<Record<string, number>> = {
  BOOL: 1,
  INT8: 2,
  INT16: 2,
  INT32: 2,
  INT64: 3,
  UINT8: 4,
  UINT16: 4,
  UINT32: 4,
  UINT64: 5,
  FP32: 6,
  FP64: 7,
  BYTES: 8,
};

const toBigInt = (v: unknown): bigint =>
  typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(Math.trunc(v)) : BigInt(String(v).split('.')[0]!);

/** Typed contents of an output tensor (service.ts's encodeGrpcOutput, written directly). */
function writeContents(w: Writer, t: Tensor): void {
  const field = CONTENTS_FIELD[t.datatype];
  if (field === undefined) {
    throw new CodecError(`output "${t.name}" has datatype ${t.datatype}, which has no contents field`);
  }
  const d = t.data as ArrayLike<unknown>;
  const n = d.length;
  const contents = w.fork(5);
  if (n > 0) {
    if (field === 8) {
      for (let i = 0; i < n; i++) {
        const v = d[i];
        if (Buffer.isBuffer(v)) w.bytes(8, v);
        else w.string(8, String(v));
      }
    } else {
      const run = w.fork(field);
      switch (field) {
        case 1:
          w.ensure(n);
          for (let i = 0; i < n; i++) w.buf[w.pos++] = d[i] ? 1 : 0;
          break;
        case 2:
          for (let i = 0; i < n; i++) w.int32(Number(d[i]) | 0);
          break;
        case 3:
          for (let i = 0; i < n; i++) w.varint64(BigInt.asIntN(64, toBigInt(d[i])));
          break;
        case 4:
          for (let i = 0; i < n; i++) w.varint(Number(d[i]) >>> 0);
          break;
        case 5:
          for (let i = 0; i < n; i++) w.varint64(BigInt.asUintN(64, toBigInt(d[i])));
          break;
        case 6:
          w.ensure(4 * n);
          for (let i = 0; i < n; i++) {
            w.buf.writeFloatLE(Number(d[i]), w.pos);
            w.pos += 4;
          }
          break;
        default:
          w.ensure(8 * n);
          for (let i = 0; i < n; i++) {
            w.buf.writeDoubleLE(Number(d[i]), w.pos);
            w.pos += 8;
          }
      }
      w.ldelim(run);
    }
  }
  w.ldelim(contents);
}

/**
 * A framed ModelInferResponse: typed contents per output, or (raw) each output's bytes in
 * raw_output_contents. `rawBytes` are the encoded raw outputs (binary-tensor.ts) when `raw`.
 */
export function encodeModelInferResponse(
  modelName: string,
  id: string,
  outputs: readonly Tensor[],
  rawBytes: readonly Buffer[] | null,
): Buffer {
  let size = 256;
  if (rawBytes) for (const b of rawBytes) size += b.length + 8;
  const w = new Writer(size);
  w.string(1, modelName);
  w.string(2, '');
  w.string(3, id);
  for (const t of outputs) {
    const mark = w.fork(5);
    w.string(1, t.name);
    w.string(2, t.datatype);
    writeShape(w, 3, t.shape);
    writeParameters(w, 4, t.parameters);
    if (!rawBytes) writeContents(w, t);
    w.ldelim(mark);
  }
  if (rawBytes) for (const b of rawBytes) w.bytes(6, b);
  return w.finish();
}

/** `{field 1: bool}`: the live/ready answers. */
export function encodeBool(v: boolean): Buffer {
  const w = new Writer(8);
  w.bool(1, v);
  return w.finish();
}

export interface TensorMeta {
  name: string;
  datatype: string;
  shape: readonly number[];
}

/** A framed ModelMetadataResponse (`versions` empty, as inferd answers). */
export function encodeModelMetadata(
  name: string,
  platform: string,
  inputs: readonly TensorMeta[],
  outputs: readonly TensorMeta[],
): Buffer {
  const w = new Writer();
  w.string(1, name);
  w.string(3, platform);
  for (const [field, list] of [
    [4, inputs],
    [5, outputs],
  ] as const) {
    for (const t of list) {
      const mark = w.fork(field);
      w.string(1, t.name);
      w.string(2, t.datatype);
      writeShape(w, 3, t.shape);
      w.ldelim(mark);
    }
  }
  return w.finish();
}

/** A framed ServerMetadataResponse. */
export function encodeServerMetadata(name: string, version: string, extensions: readonly string[]): Buffer {
  const w = new Writer();
  w.string(1, name);
  w.string(2, version);
  for (const e of extensions) w.string(3, e);
  return w.finish();
}

/** A framed RepositoryModelLoad/UnloadResponse: `{model_name=1, isLoaded|isUnloaded=2}`. */
export function encodeRepositoryAnswer(modelName: string, done: boolean): Buffer {
  const w = new Writer();
  w.string(1, modelName);
  w.bool(2, done);
  return w.finish();
}

// ------------------------------------------------------------------------------ the client's side (the SDK)

/**
 * A framed ModelInferRequest with raw input contents, for a transformer's call straight to a replica
 * (sdk/predictor-client.ts). `raw[i]` is input i's bytes (binary-tensor.ts).
 */
export function encodeModelInferRequest(
  modelName: string,
  id: string,
  parameters: Record<string, unknown> | null | undefined,
  inputs: readonly Tensor[],
  raw: readonly Buffer[],
  outputs: readonly string[] | undefined,
): Buffer {
  let size = 256;
  for (const b of raw) size += b.length + 8;
  const w = new Writer(size);
  w.string(1, modelName);
  w.string(2, '');
  w.string(3, id);
  writeParameters(w, 4, parameters);
  for (const t of inputs) {
    const mark = w.fork(5);
    w.string(1, t.name);
    w.string(2, t.datatype);
    writeShape(w, 3, t.shape);
    writeParameters(w, 4, t.parameters);
    w.ldelim(mark);
  }
  for (const name of outputs ?? []) {
    const mark = w.fork(6);
    w.string(1, name);
    w.ldelim(mark);
  }
  for (const b of raw) w.bytes(7, b);
  return w.finish();
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  /** InferOutputTensor has InferInputTensor's fields and numbers. */
  outputs: GrpcInputTensor[];
  raw_output_contents: Buffer[];
}

/** Decodes a ModelInferResponse (the message without its 5-byte gRPC prefix). */
export function decodeModelInferResponse(buf: Buffer): ModelInferResponse {
  const r = new Reader(buf, 0, buf.length);
  const res: ModelInferResponse = {
    model_name: '',
    model_version: '',
    id: '',
    parameters: {},
    outputs: [],
    raw_output_contents: [],
  };
  while (r.pos < r.end) {
    const key = r.varint();
    const wire = key & 7;
    if (readInferHeaderField(r, key >>> 3, wire, res)) continue;
    switch (key >>> 3) {
      case 5:
        expect(wire, 2);
        res.outputs.push(sub(r, (e) => readInputTensor(r, e)));
        break;
      case 6:
        expect(wire, 2);
        res.raw_output_contents.push(r.bytes());
        break;
      default:
        r.skip(wire, key >>> 3);
    }
  }
  return res;
}
