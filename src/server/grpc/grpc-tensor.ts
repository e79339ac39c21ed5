// V2 gRPC tensors ↔ Tensor: typed `contents` per datatype (KServe's GRPC_CONTENT_DATATYPE_MAPPINGS:
// INT8/16/32 in int_contents, UINT8/16/32 in uint_contents, FP16 only as raw bytes), raw
// `raw_input_contents`/`raw_output_contents` in the binary layout of binary-tensor.ts, and
// InferParameter maps. Pure functions over the plain objects @grpc/proto-loader produces
// (keepCase, longs as strings, oneofs named).

import { isUtf8 } from 'node:buffer';
import { InferdError } from '../../errors.js';
import type { Datatype, Tensor, TensorData } from '../../runtimes/model.js';
import { decodeRawTensor, encodeRawTensor } from '../binary-tensor.js';
import { resolveShape } from '../numpy-shape.js';
import { DATATYPES, isDatatype } from '../tensor-decode.js';

type Long = string | number;

export interface InferParameter {
  bool_param?: boolean;
  int64_param?: Long;
  string_param?: string;
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param';
}

export interface InferTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Long[];
  uint_contents?: number[];
  uint64_contents?: Long[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface GrpcInputTensor {
  name: string;
  datatype: string;
  shape: Long[];
  parameters?: Record<string, InferParameter>;
  contents?: InferTensorContents | null;
}

export interface GrpcOutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: Record<string, InferParameter>;
  contents?: InferTensorContents;
}

const invalid = (message: string) => new InferdError('INVALID_INPUT', message);

/** Which `contents` field carries a datatype; FP16 has none (raw only). */
const CONTENTS_FIELD: Readonly<Record<Exclude<Datatype, 'FP16'>, keyof InferTensorContents>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** InferParameter map → plain values (int64 as a number when exact, else its decimal string). */
export function fromGrpcParameters(p: Record<string, InferParameter> | undefined): Record<string, unknown> | null {
  if (!p) return null;
  let out: Record<string, unknown> | null = null;
  for (const k in p) {
    const v = p[k]!;
    const choice = v.parameter_choice;
    let value: unknown;
    if (choice === 'int64_param') {
      const n = Number(v.int64_param);
      value = Number.isSafeInteger(n) ? n : String(v.int64_param);
    } else if (choice) value = v[choice];
    else continue;
    if (out === null) out = {};
    out[k] = value;
  }
  return out;
}

/** Plain values → InferParameter map: booleans, integers as int64, anything else as its string. */
export function toGrpcParameters(p: Record<string, unknown> | null | undefined): Record<string, InferParameter> {
  const out: Record<string, InferParameter> = {};
  if (!p) return out;
  for (const k in p) {
    const v = p[k];
    if (typeof v === 'boolean') out[k] = { bool_param: v };
    else if (typeof v === 'number' && Number.isInteger(v)) out[k] = { int64_param: v };
    else if (typeof v === 'bigint') out[k] = { int64_param: v.toString() };
    else if (v !== undefined && v !== null) out[k] = { string_param: typeof v === 'string' ? v : JSON.stringify(v) };
  }
  return out;
}

function shapeOf(t: GrpcInputTensor): number[] {
  const shape = new Array<number>(t.shape.length);
  for (let i = 0; i < t.shape.length; i++) {
    const d = Number(t.shape[i]);
    if (!Number.isSafeInteger(d)) throw invalid(`input "${t.name}": shape[${i}] is not an integer`);
    shape[i] = d;
  }
  return shape;
}

function hasContents(c: InferTensorContents | null | undefined): boolean {
  if (!c) return false;
  for (const k in c) if ((c[k as keyof InferTensorContents] as unknown[] | undefined)?.length) return true;
  return false;
}

/**
 * Decodes the inputs of a ModelInferRequest. `raw` (raw_input_contents) is all-or-nothing, as in KServe:
 * one entry per input, and then no input may also carry `contents`.
 */
export function decodeGrpcInputs(inputs: readonly GrpcInputTensor[], raw: readonly Buffer[]): Tensor[] {
  if (raw.length > 0) {
    if (raw.length !== inputs.length) {
      throw invalid(
        `raw_input_contents has ${raw.length} entries but the request has ${inputs.length} inputs; send one raw entry per input, or none`,
      );
    }
    return inputs.map((t, i) => {
      if (hasContents(t.contents)) {
        throw invalid(`input "${t.name}" has both contents and raw_input_contents; send one of them`);
      }
      const tensor = decodeRawTensor(t.name, t.datatype, shapeOf(t), raw[i]!);
      const params = fromGrpcParameters(t.parameters);
      if (params) tensor.parameters = params;
      return tensor;
    });
  }
  return inputs.map(decodeContents);
}

function decodeContents(t: GrpcInputTensor): Tensor {
  const { name, datatype } = t;
  if (!isDatatype(datatype)) throw invalid(`invalid datatype "${datatype}" for input "${name}"`);
  if (datatype === 'FP16') throw invalid(`input "${name}": FP16 tensors must be sent in raw_input_contents`);
  const field = CONTENTS_FIELD[datatype];
  const values = (t.contents?.[field] ?? []) as readonly unknown[];
  for (const k in t.contents ?? {}) {
    if (k !== field && (t.contents![k as keyof InferTensorContents] as unknown[] | undefined)?.length) {
      throw invalid(`input "${name}": ${datatype} data goes in contents.${field}, not contents.${k}`);
    }
  }
  const n = values.length;
  let data: TensorData;
  const spec = DATATYPES[datatype];
  switch (datatype) {
    case 'BOOL':
      data = values as boolean[];
      break;
    case 'BYTES': {
      const bufs = values as Buffer[];
      data = bufs.every((b) => isUtf8(b)) ? bufs.map((b) => b.toString('utf8')) : bufs;
      break;
    }
    case 'INT64':
    case 'UINT64': {
      const out = spec.alloc(n) as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) out[i] = BigInt(values[i] as Long);
      data = out;
      break;
    }
    default: {
      const out = spec.alloc(n) as unknown as Float64Array;
      const checkRange = spec.kind === 'int';
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (checkRange && (v < spec.min || v > spec.max)) {
          throw invalid(
            `input "${name}": element ${i} (${v}) is out of range for ${datatype} (${spec.min} to ${spec.max})`,
          );
        }
        out[i] = v;
      }
      data = out as unknown as TensorData;
    }
  }
  const tensor: Tensor = { name, datatype, shape: resolveShape(shapeOf(t), n, name), data };
  const params = fromGrpcParameters(t.parameters);
  if (params) tensor.parameters = params;
  return tensor;
}

/** An output with typed contents (KServe's default for gRPC). */
export function encodeGrpcOutput(t: Tensor): GrpcOutputTensor {
  const out: GrpcOutputTensor = { name: t.name, datatype: t.datatype, shape: t.shape };
  if (t.parameters) out.parameters = toGrpcParameters(t.parameters);
  const field = CONTENTS_FIELD[t.datatype as Exclude<Datatype, 'FP16'>];
  if (!field)
    throw new InferdError('INTERNAL', `output "${t.name}" has datatype ${t.datatype}, which has no contents field`);
  const d = t.data as ArrayLike<unknown>;
  let values: unknown[];
  if (t.datatype === 'BYTES') values = Array.from(d, (v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8')));
  else if (t.datatype === 'INT64' || t.datatype === 'UINT64') values = Array.from(d, (v) => String(v));
  else if (t.datatype === 'BOOL') values = Array.from(d, Boolean);
  else values = Array.from(d as ArrayLike<number>, Number);
  out.contents = { [field]: values };
  return out;
}

/** An output whose data goes in raw_output_contents (the entry itself carries no contents). */
export function encodeGrpcRawOutput(t: Tensor): { tensor: GrpcOutputTensor; raw: Buffer } {
  const tensor: GrpcOutputTensor = { name: t.name, datatype: t.datatype, shape: t.shape };
  if (t.parameters) tensor.parameters = toGrpcParameters(t.parameters);
  return { tensor, raw: encodeRawTensor(t) };
}
