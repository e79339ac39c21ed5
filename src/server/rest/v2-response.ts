// V2 infer responses: the JSON form (KServe 0.12.1's pydantic key order with explicit nulls) and the
// binary tensor extension's form (KServe's `InferResponse.to_rest()`: a compact JSON header in the key
// order `id, model_name, model_version, outputs`, binary outputs carrying `binary_data_size` instead of
// `data`, their raw bytes appended in output order). Also the `outputs` selection both forms share.

import { InferdError } from '../../errors.js';
import type { Tensor } from '../../runtimes/model.js';
import { encodeRawTensor } from '../binary-tensor.js';
import { encodeFlat } from '../tensor-json.js';
import type { Parameters, V2InferenceRequest } from './v2-request.js';

const q = JSON.stringify;

/**
 * The outputs a request asked for, in the order it asked (KServe iterates the requested outputs);
 * all of them when it named none. An unknown name is KServe's 400.
 */
export function selectOutputs(
  modelName: string,
  outputs: readonly Tensor[],
  requested: V2InferenceRequest['outputs'],
): readonly Tensor[] {
  if (!requested || requested.length === 0) return outputs;
  const out = new Array<Tensor>(requested.length);
  for (let i = 0; i < requested.length; i++) {
    const name = requested[i]!.name;
    const found = outputs.find((o) => o.name === name);
    if (!found)
      throw new InferdError('INVALID_INPUT', `Unexpected inference output '${name}' for model '${modelName}'`);
    out[i] = found;
  }
  return out;
}

/**
 * Which selected outputs go as raw bytes: an output's own `binary_data` parameter, else the request's
 * `binary_data_output` (Triton's precedence; KServe ≥0.13 reads only `binary_data` once outputs are named).
 * Returns undefined when none does, so the caller writes plain JSON.
 */
export function binaryOutputFlags(request: V2InferenceRequest, count: number): boolean[] | undefined {
  const all = request.parameters?.binary_data_output === true;
  const requested = request.outputs && request.outputs.length > 0 ? request.outputs : undefined;
  if (!all && !requested?.some((o) => o.parameters?.binary_data === true)) return undefined;
  const flags = new Array<boolean>(count);
  let any = false;
  for (let i = 0; i < count; i++) {
    const own = requested?.[i]?.parameters?.binary_data;
    flags[i] = typeof own === 'boolean' ? own : all;
    any ||= flags[i]!;
  }
  return any ? flags : undefined;
}

function outputParameters(o: Tensor): Parameters | undefined {
  return o.parameters && Object.keys(o.parameters).length > 0 ? (o.parameters as Parameters) : undefined;
}

/** KServe's InferenceResponse key order, with pydantic's explicit nulls. */
export function inferResponse(modelName: string, id: string, outputs: readonly Tensor[]): string {
  let s = `{"model_name":${q(modelName)},"model_version":null,"id":${q(id)},"parameters":null,"outputs":[`;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    const params = outputParameters(o);
    s +=
      `${i ? ',' : ''}{"name":${q(o.name)},"shape":[${o.shape.join(',')}],"datatype":${q(o.datatype)},` +
      `"parameters":${params ? q(params) : 'null'},"data":${encodeFlat(o)}}`;
  }
  return `${s}]}`;
}

export interface BinaryInferResponse {
  /** The JSON header; its UTF-8 length goes in `inference-header-content-length`. */
  header: string;
  /** Raw bytes of the binary outputs, in output order. */
  buffers: Buffer[];
}

/** The binary extension's response: JSON header + raw bytes for each output flagged binary. */
export function binaryInferResponse(
  modelName: string,
  id: string,
  outputs: readonly Tensor[],
  binary: readonly boolean[],
): BinaryInferResponse {
  const buffers: Buffer[] = [];
  let s = `{"id":${q(id)},"model_name":${q(modelName)},"model_version":null,"outputs":[`;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    const params = outputParameters(o);
    s += `${i ? ',' : ''}{"name":${q(o.name)},"shape":[${o.shape.join(',')}],"datatype":${q(o.datatype)}`;
    if (binary[i]) {
      checkSize(o);
      const bytes = encodeRawTensor(o);
      buffers.push(bytes);
      s += `,"parameters":${q({ ...params, binary_data_size: bytes.length })}}`;
    } else {
      s += `${params ? `,"parameters":${q(params)}` : ''},"data":${encodeFlat(o)}}`;
    }
  }
  return { header: `${s}]}`, buffers };
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
