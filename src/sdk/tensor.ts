// The SDK's V2 request/response types (KServe's InferInput, InferRequest, InferResponse) and tensor
// helpers over typed arrays. Helpers return views of the same memory: nothing here copies tensor data
// unless the datatype has to change (then the name says so: `toFloat64`).

import { InferdError } from '../errors.js';
import type { Datatype, Tensor, TensorData, TypedArray } from '../runtimes/model.js';

export type { Datatype, Tensor, TensorData, TypedArray };

/** The V2 datatype a typed array carries. */
export function datatypeOf(data: TypedArray): Datatype {
  if (data instanceof Float32Array) return 'FP32';
  if (data instanceof Float64Array) return 'FP64';
  if (data instanceof Int32Array) return 'INT32';
  if (data instanceof BigInt64Array) return 'INT64';
  if (data instanceof Uint8Array) return 'UINT8';
  if (data instanceof Int8Array) return 'INT8';
  if (data instanceof Int16Array) return 'INT16';
  if (data instanceof Uint16Array) return 'UINT16';
  if (data instanceof Uint32Array) return 'UINT32';
  return 'UINT64';
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * A tensor over `data` as given (no copy). The datatype follows the typed array unless named; plain arrays
 * need it named (`'BYTES'` for strings, `'BOOL'` for booleans, a numeric type for numbers).
 */
export function tensor(name: string, shape: readonly number[], data: TensorData, datatype?: Datatype): InferTensor {
  const dt = datatype ?? (ArrayBuffer.isView(data) ? datatypeOf(data as TypedArray) : undefined);
  if (!dt) {
    throw new InferdError('INVALID_INPUT', `tensor "${name}": name its datatype when its data is a plain array`);
  }
  if (elements(shape) !== data.length) {
    throw new InferdError(
      'INVALID_INPUT',
      `tensor "${name}": shape [${shape.join(',')}] holds ${elements(shape)} values but data has ${data.length}`,
    );
  }
  return new InferTensor(name, dt, [...shape], data);
}

/** One named tensor of a V2 request or response (KServe's InferInput / InferOutput). */
export class InferTensor implements Tensor {
  parameters?: Record<string, unknown> | null;
  constructor(
    public name: string,
    public datatype: Datatype,
    public shape: number[],
    public data: TensorData,
    parameters?: Record<string, unknown> | null,
  ) {
    if (parameters) this.parameters = parameters;
  }

  static from(t: Tensor): InferTensor {
    return t instanceof InferTensor ? t : new InferTensor(t.name, t.datatype, t.shape, t.data, t.parameters);
  }

  /** The data as a Float32Array: the same memory when it is one, else INVALID_INPUT naming the datatype. */
  asFloat32(): Float32Array {
    if (this.data instanceof Float32Array) return this.data;
    throw new InferdError('INVALID_INPUT', `tensor "${this.name}" is ${this.datatype}, expected FP32`);
  }

  /** The data as a Float64Array: the same memory when FP64, else a converted copy of a numeric tensor. */
  toFloat64(): Float64Array {
    if (this.data instanceof Float64Array) return this.data;
    if (this.datatype === 'BYTES' || this.datatype === 'BOOL') {
      throw new InferdError('INVALID_INPUT', `tensor "${this.name}" is ${this.datatype}, expected a numeric tensor`);
    }
    const d = this.data as ArrayLike<number | bigint>;
    const out = new Float64Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    return out;
  }

  /** Row `i` of a tensor with 2 or more dimensions: a view (`subarray`) of a typed array, a slice otherwise. */
  row(i: number): TensorData {
    const width = elements(this.shape.slice(1));
    const rows = this.shape[0] ?? 0;
    if (!Number.isInteger(i) || i < 0 || i >= rows) {
      throw new InferdError('INVALID_INPUT', `tensor "${this.name}" has ${rows} rows, no row ${i}`);
    }
    const d = this.data;
    return ArrayBuffer.isView(d)
      ? ((d as TypedArray).subarray(i * width, (i + 1) * width) as TensorData)
      : (d.slice(i * width, (i + 1) * width) as TensorData);
  }

  /** The rows as views (see `row`). */
  rows(): TensorData[] {
    const out: TensorData[] = [];
    for (let i = 0; i < (this.shape[0] ?? 0); i++) out.push(this.row(i));
    return out;
  }
}

/** A V2 inference request (KServe's InferRequest): what a model's preprocess/predict get on V2 and gRPC. */
export class InferRequest {
  constructor(
    public modelName: string,
    public inputs: InferTensor[],
    public id: string,
    public parameters: Record<string, unknown> | null = null,
    /** Output names the client asked for; null: all. */
    public outputs: string[] | null = null,
  ) {}

  /** The input named `name`; INVALID_INPUT naming the inputs there are when it is missing. */
  input(name: string): InferTensor {
    const t = this.inputs.find((i) => i.name === name);
    if (!t) {
      throw new InferdError(
        'INVALID_INPUT',
        `request has no input "${name}" (inputs: ${this.inputs.map((i) => i.name).join(', ') || 'none'})`,
      );
    }
    return t;
  }
}

/** A V2 inference response (KServe's InferResponse): what predict returns on V2 and gRPC. */
export class InferResponse {
  constructor(
    public modelName: string,
    public outputs: InferTensor[],
    public id: string,
    public parameters: Record<string, unknown> | null = null,
  ) {}

  /** The output named `name`; INVALID_INPUT when it is missing. */
  output(name: string): InferTensor {
    const t = this.outputs.find((o) => o.name === name);
    if (!t) throw new InferdError('INVALID_INPUT', `response has no output "${name}"`);
    return t;
  }
}

/** True for an InferRequest, also one made by another copy of the SDK (duck-typed). */
export function isInferRequest(v: unknown): v is InferRequest {
  return (
    v instanceof InferRequest ||
    (typeof v === 'object' && v !== null && Array.isArray((v as InferRequest).inputs) && 'modelName' in v)
  );
}

/** True for an InferResponse, also one made by another copy of the SDK (duck-typed). */
export function isInferResponse(v: unknown): v is InferResponse {
  return (
    v instanceof InferResponse ||
    (typeof v === 'object' && v !== null && Array.isArray((v as InferResponse).outputs) && 'modelName' in v)
  );
}
