// Messages between a model host's main thread and its per-model worker threads (inside the host process;
// the host ↔ inferd serve messages are in replica-protocol.ts). Plain structured-cloneable objects; errors
// travel as their fields.

import type { ErrorCode } from '../../errors.js';
import type { ModelMetadata, Tensor } from '../../runtimes/model.js';

/** What a worker is started with (workerData). */
export interface WorkerInit {
  modelName: string;
  modelDir: string;
  modelFormat: string;
  env: Record<string, string | undefined>;
  /** How often the worker says it is alive (its event loop is free). */
  heartbeatMs: number;
}

export interface SerializedError {
  code?: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'predict'; id: number; inputs: Tensor[]; parameters?: Record<string, unknown>; outputNames?: string[] }
  | { type: 'unload' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'loaded'; metadata: ModelMetadata }
  | { type: 'load-failed'; error: SerializedError }
  | { type: 'result'; id: number; outputs: Tensor[] }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'beat' }
  | { type: 'unloaded' };

/** Buffers cloned across threads arrive as Uint8Array: BYTES tensors get their Buffers back (in place). */
export function reviveBuffers(tensors: Tensor[]): Tensor[] {
  for (const t of tensors) {
    if (t.datatype !== 'BYTES' || !Array.isArray(t.data)) continue;
    const data = t.data as unknown[];
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) data[i] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
  return tensors;
}
