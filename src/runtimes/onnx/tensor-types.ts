// onnxruntime tensor element types ↔ KServe V2 datatypes, and the model's input/output descriptions.
// A type inferd cannot carry over V2 (int4/uint4, or a non-tensor value such as skl2onnx's ZipMap
// sequence of maps) is named in the error instead of being served wrongly.

import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { InferdError } from '../../errors.js';
import type { Datatype, TensorMetadata } from '../model.js';

export type OrtType = OrtTensor.Type;

const V2_BY_ORT: Partial<Record<OrtType, Datatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

/** The V2 datatype of an onnxruntime element type, or undefined when V2 has none. */
export function v2Datatype(type: string): Datatype | undefined {
  return Object.hasOwn(V2_BY_ORT, type) ? V2_BY_ORT[type as OrtType] : undefined;
}

/** One model input or output as inferd serves it. */
export interface OnnxValueInfo extends TensorMetadata {
  /** onnxruntime's element type, e.g. 'float32'. */
  ortType: OrtType;
  /** Symbolic dimension names where the model has them ('batch'); '' for an anonymous dynamic dim. */
  dimNames: (string | null)[];
}

/**
 * Describes one input or output from onnxruntime's metadata. Dynamic dimensions (symbolic or anonymous)
 * become -1. onnxruntime reports an unknown rank as [] too, so [] means "scalar or unknown rank".
 */
export function describeValue(meta: InferenceSession.ValueMetadata, role: 'input' | 'output'): OnnxValueInfo {
  if (!meta.isTensor) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `model ${role} "${meta.name}" is not a tensor (a sequence or map, e.g. skl2onnx's ZipMap); ` +
        'inferd serves tensor inputs and outputs only: convert the model without it (zipmap=False)',
      { reason: 'ModelLoadFailed' },
    );
  }
  const datatype = v2Datatype(meta.type);
  if (!datatype) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `model ${role} "${meta.name}" has element type ${meta.type}, which has no KServe V2 datatype`,
      { reason: 'ModelLoadFailed' },
    );
  }
  return {
    name: meta.name,
    datatype,
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
    ortType: meta.type,
    dimNames: meta.shape.map((d) => (typeof d === 'string' ? d : null)),
  };
}
