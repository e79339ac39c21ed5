// onnxruntime output tensors → V2 tensors. FP16 comes back as values (Float32Array holds every half exactly),
// which is what the server's JSON encoder prints; INT64/UINT64 as plain numbers when every value is within
// ±(2^53-1), else the BigInt array as it came (the JSON encoder prints bigints exactly, too).

import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { InferdError } from '../../errors.js';
import type { Tensor, TensorData } from '../model.js';
import { fromFloat16Bits } from './float16.js';
import { v2Datatype } from './tensor-types.js';

/** One onnxruntime output as a V2 tensor named `name`. */
export function fromOrtTensor(name: string, tensor: OrtTensor): Tensor {
  const datatype = v2Datatype(tensor.type);
  if (!datatype) {
    throw new InferdError('INTERNAL', `model output "${name}" has element type ${tensor.type}, which V2 cannot carry`);
  }
  return { name, datatype, shape: tensor.dims.map(Number), data: fromOrtData(tensor.type, tensor.data) };
}

/** Tensor contents in the form V2 tensors use for each datatype. */
export function fromOrtData(type: string, data: OrtTensor.DataType): TensorData {
  switch (type) {
    case 'float16': {
      const bits = data as Uint16Array;
      const out = new Float32Array(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = fromFloat16Bits(bits[i]!);
      return out;
    }
    case 'bool':
      return Array.from(data as Uint8Array, (v) => v !== 0);
    case 'int64':
    case 'uint64':
      return numbersIfSafe(data as BigInt64Array | BigUint64Array);
    default:
      return data as TensorData;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function numbersIfSafe(data: BigInt64Array | BigUint64Array): TensorData {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > MAX_SAFE || v < -MAX_SAFE) return data;
  }
  return Array.from(data, Number);
}
