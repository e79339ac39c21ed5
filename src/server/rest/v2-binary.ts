// The binary tensor extension on the request side (Triton's `Inference-Header-Content-Length` bodies, as
// KServe's and Triton's REST clients send them): the first N bytes are the JSON header, then each input
// with `parameters.binary_data_size` takes that many bytes, in input order. Every length is checked
// against the body before a byte is read, so a truncated or padded body is a 400, never a crash.

import { InferdError } from '../../errors.js';
import type { Tensor } from '../../runtimes/model.js';
import { decodeRawTensor } from '../binary-tensor.js';
import { INFERENCE_HEADER } from '../body-reader.js';
import { decodeV2Tensor } from '../tensor-decode.js';
import type { V2InferenceRequest } from './v2-request.js';

export { INFERENCE_HEADER };

const invalid = (message: string) => new InferdError('INVALID_INPUT', message);

/** KServe's text (sic, no space) for an octet-stream body without the header. */
export const MISSING_HEADER_MESSAGE = `received byte inputs, but the'${INFERENCE_HEADER}' header is missing.`;

/** The JSON header's length from the header value: a decimal integer within the body. */
export function jsonHeaderLength(value: string | string[] | undefined, bodyLength: number): number {
  const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
  const trimmed = text.trim();
  const n = /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(n <= bodyLength)) {
    throw invalid(
      `Inference-Header-Content-Length must be a byte count between 0 and the body length (${bodyLength}), got '${text.length > 40 ? `${text.slice(0, 37)}...` : text}'`,
    );
  }
  return n;
}

function binaryDataSize(request: V2InferenceRequest, i: number): number | undefined {
  const input = request.inputs[i]!;
  const size = input.parameters?.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw invalid(`input "${input.name}": parameters.binary_data_size must be a non-negative integer, got ${size}`);
  }
  return size;
}

/**
 * Builds the input tensors of a binary-extension request: JSON `data` where given, else the next
 * `binary_data_size` bytes of `binary` (the body after the JSON header). Every byte must be used.
 */
export function decodeBinaryInputs(request: V2InferenceRequest, binary: Buffer, modelName: string): Tensor[] {
  const out = new Array<Tensor>(request.inputs.length);
  let offset = 0;
  for (let i = 0; i < request.inputs.length; i++) {
    const input = request.inputs[i]!;
    const size = binaryDataSize(request, i);
    if (input.data !== null) {
      if (size !== undefined) {
        throw invalid(`input "${input.name}" has both 'data' and parameters.binary_data_size; send one of them`);
      }
      out[i] = decodeV2Tensor(input.name, input.datatype, input.shape, input.data, input.parameters);
      continue;
    }
    if (size === undefined) {
      throw invalid(`'data' field is missing for input '${input.name}' for model '${modelName}'`);
    }
    if (offset + size > binary.length) {
      throw invalid(
        `input "${input.name}": binary_data_size is ${size} bytes but only ${binary.length - offset} bytes of binary data remain (truncated body?)`,
      );
    }
    const tensor = decodeRawTensor(input.name, input.datatype, input.shape, binary.subarray(offset, offset + size));
    if (input.parameters) tensor.parameters = withoutBinarySize(input.parameters);
    out[i] = tensor;
    offset += size;
  }
  if (offset !== binary.length) {
    throw invalid(
      `the body has ${binary.length - offset} bytes after the last input's binary data; the inputs' binary_data_size add up to ${offset} of ${binary.length}`,
    );
  }
  return out;
}

/** Input parameters as the model sees them: `binary_data_size` is framing, not a model parameter. */
function withoutBinarySize(p: Record<string, unknown>): Record<string, unknown> | null {
  const { binary_data_size: _, ...rest } = p;
  return Object.keys(rest).length > 0 ? rest : null;
}
