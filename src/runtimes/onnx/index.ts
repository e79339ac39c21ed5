// The ONNX runtime (KServe modelFormat `onnx`): serves .onnx models through onnxruntime-node on the CPU.
// Finds the model file in KServe's or Triton's layout, reports the model's real inputs/outputs as V2
// metadata, and converts V2 tensors (FP16, INT64, BOOL, BYTES included) to onnxruntime's and back.

import type { LoadOptions, RuntimeFactory } from '../model.js';
import { findOnnxModelFile } from './model-file.js';
import { OnnxModel } from './onnx-model.js';
import { threadsFromEnv } from './session-options.js';

export { fromFloat16Bits, toFloat16Bits } from './float16.js';
export { findOnnxModelFile, ONNX_MODEL_FILE } from './model-file.js';
export { ONNX_PLATFORM, OnnxModel } from './onnx-model.js';
export { DEFAULT_THREADS, INTER_OP_THREADS_ENV, INTRA_OP_THREADS_ENV, threadsFromEnv } from './session-options.js';

/**
 * Loads the ONNX model in `modelDir`. Thread counts come from `env.ORT_INTRA_OP_NUM_THREADS` (else
 * `env.OMP_NUM_THREADS`, else 1) and `env.ORT_INTER_OP_NUM_THREADS` (else 1).
 */
export async function load({ name, modelDir, env }: LoadOptions): Promise<OnnxModel> {
  const threads = threadsFromEnv(env);
  return OnnxModel.create(name, await findOnnxModelFile(modelDir), threads);
}

export const onnxRuntime = { name: 'onnx', formats: ['onnx'], load } satisfies RuntimeFactory;
