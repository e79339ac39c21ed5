// An ONNX ModelProto writer for the small graphs inferd compiles itself at load time (scikit-learn MLPs, see
// runtimes/sklearn/estimators/mlp-graph.ts): float tensors as raw little-endian initializers, nodes with integer
// attributes, one default-domain opset. Not a general ONNX serializer: it writes only the fields those graphs
// use, with onnx.proto's field numbers, and never loads onnxruntime itself.

/** Element types the writer knows (TensorProto.DataType). */
export type OnnxFloatType = 'float32' | 'float64';
const DATA_TYPE: Record<OnnxFloatType, number> = { float32: 1, float64: 11 };

/** A graph input or output: a tensor of `type` whose dims are numbers or symbolic names ('N'). */
export interface OnnxValue {
  name: string;
  type: OnnxFloatType;
  dims: readonly (number | string)[];
}

/** A constant tensor (weights, biases). */
export interface OnnxInitializer {
  name: string;
  type: OnnxFloatType;
  dims: readonly number[];
  values: ArrayLike<number>;
}

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** INT attributes (e.g. Gemm's transB, Softmax's axis). */
  ints?: Readonly<Record<string, number>>;
}

export interface OnnxGraph {
  name: string;
  inputs: readonly OnnxValue[];
  outputs: readonly OnnxValue[];
  initializers: readonly OnnxInitializer[];
  nodes: readonly OnnxNode[];
  /** The default domain's opset version the nodes are written against. */
  opset: number;
}

/** IR version 8 (ONNX 1.10+): what opsets 13-17 are read with; onnxruntime-node 1.30 reads up to 10. */
const IR_VERSION = 8;

/** Protobuf fields appended to a list of chunks; nested messages are encoded first and written as bytes. */
class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  #varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`protobuf varint out of range: ${n}`);
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    this.#push(Uint8Array.from(out));
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  int(field: number, n: number): this {
    this.#tag(field, 0);
    this.#varint(n);
    return this;
  }

  bytes(field: number, bytes: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(bytes.length);
    this.#push(bytes);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Little-endian bytes of `values` as `type` (TensorProto.raw_data is always little-endian). */
function rawData(type: OnnxFloatType, values: ArrayLike<number>): Uint8Array {
  const size = type === 'float64' ? 8 : 4;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (type === 'float64') view.setFloat64(i * size, values[i]!, true);
    else view.setFloat32(i * size, values[i]!, true);
  }
  return out;
}

function tensorProto(t: OnnxInitializer): ProtoWriter {
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (expected !== t.values.length) {
    throw new RangeError(`initializer ${t.name}: ${t.values.length} values for dims [${t.dims.join(', ')}]`);
  }
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d); // dims (unpacked repeated int64 parses as packed's equal)
  w.int(2, DATA_TYPE[t.type]);
  w.string(8, t.name);
  w.bytes(9, rawData(t.type, t.values));
  return w;
}

function valueInfo(v: OnnxValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensor = new ProtoWriter().int(1, DATA_TYPE[v.type]).message(2, shape);
  const type = new ProtoWriter().message(1, tensor);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function nodeProto(n: OnnxNode, index: number): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op}_${index}`);
  w.string(4, n.op);
  for (const [name, value] of Object.entries(n.ints ?? {})) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`attribute ${name}: ${value}`);
    // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
    w.message(5, new ProtoWriter().string(1, name).int(3, value).int(20, 2));
  }
  return w;
}

/** The serialized ModelProto of `graph`, ready for `InferenceSession.create(bytes)`. */
export function encodeModel(graph: OnnxGraph, producer = 'inferd'): Uint8Array {
  const g = new ProtoWriter();
  graph.nodes.forEach((n, i) => {
    g.message(1, nodeProto(n, i));
  });
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensorProto(t));
  for (const v of graph.inputs) g.message(11, valueInfo(v));
  for (const v of graph.outputs) g.message(12, valueInfo(v));
  const model = new ProtoWriter();
  model.int(1, IR_VERSION);
  model.string(2, producer);
  model.message(7, g);
  model.message(8, new ProtoWriter().string(1, '').int(2, graph.opset));
  return model.finish();
}
