// Messages between a model host's main thread and its per-model worker threads (inside the host process;
// the host ↔ inferd serve messages are in replica-protocol.ts). Plain structured-cloneable objects; errors
// travel as their fields.

import { type ErrorCode, InferdError, isInferdError, messageOf } from '../../errors.js';
import type { ModelMetadata, Tensor } from '../../runtimes/model.js';

/** What a worker is started with (workerData). */
export interface WorkerInit {
  modelName: string;
  modelDir: string;
  modelFormat: string;
  env: Record<string, string | undefined>;
  /** How often the worker says it is alive (its event loop is free). */
  heartbeatMs: number;
  /**
   * A group worker (worker-group.ts): no model of its own; it loads many (`load-model`) and its calls name
   * theirs. `current` (Int32Array over a SharedArrayBuffer, one slot) holds the key of the model whose code
   * is running (0: none), so the main thread can tell which model hung or ran out of heap.
   */
  group?: { current: SharedArrayBuffer };
  /**
   * A serving worker (worker-serve.ts): the worker runs the model server for its model itself, on its own
   * ports, so requests reach the model's thread with no hop through the host's main thread.
   */
  serve?: WorkerServe;
}

/** What a serving worker listens on and the limits its model server applies (a replica process's, per model). */
export interface WorkerServe {
  httpHost: string;
  /** Bind a lazy V2 gRPC port too (the replica's `--grpc_port`; off with `--enable_grpc false`). */
  grpc: boolean;
  maxBodyBytes: number;
  maxBinaryBodyBytes: number;
  grpcMaxReceiveMessageBytes: number;
  grpcMaxSendMessageBytes: number;
  /** The model's time limit per call: past it the worker answers 504 itself, or the host ends a stuck worker. */
  requestTimeoutMs: number;
  /** BigInt64Array over it: the supervision slots (SLOT_BEAT, SLOT_CALL_SINCE), in Date.now() ms. */
  state: SharedArrayBuffer;
}

/** Supervision slots of a serving worker: its last beat (its event loop was free then). */
export const SLOT_BEAT = 0;
/** When the oldest call still running in the worker started (0: none running). */
export const SLOT_CALL_SINCE = 1;
export const SUPERVISION_SLOTS = 2;

export interface SerializedError {
  code?: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** One predict call. */
export interface PredictCall {
  id: number;
  inputs: Tensor[];
  parameters?: Record<string, unknown>;
  outputNames?: string[];
  /** A group worker's model key. */
  model?: number;
}

/**
 * Main thread → worker. Calls made in the same turn of the event loop travel as one `predict` message (a
 * message per call costs a thread wake-up each, a syscall: under 16 connections that halved a host's rps).
 */
export type ToWorker =
  | { type: 'predict'; calls: PredictCall[] }
  /** A serving worker closes its servers (in-flight requests finish within graceMs), unloads, says `unloaded`. */
  | { type: 'unload'; graceMs?: number }
  /** Group workers: load a model under a key; unload it. */
  | {
      type: 'load-model';
      key: number;
      modelName: string;
      modelDir: string;
      modelFormat: string;
      env: Record<string, string | undefined>;
      /** The model's memory budget: loads that fit it may be measured together (load-size.ts BatchLoader). */
      memoryBytes?: number;
    }
  | { type: 'unload-model'; key: number };

/** One call's answer. */
export type CallAnswer = { id: number; outputs: Tensor[] } | { id: number; error: SerializedError };

/** Worker → main thread. */
export type FromWorker =
  /** Loaded; a serving worker is listening on `port` (and `grpcPort`) too. */
  | { type: 'loaded'; metadata: ModelMetadata; port?: number; grpcPort?: number }
  | { type: 'load-failed'; error: SerializedError }
  /** The answers to one `predict` message's calls (output buffers transferred). */
  | { type: 'answers'; answers: CallAnswer[] }
  | { type: 'beat' }
  | { type: 'unloaded' }
  /** Group workers: one model loaded, failed to load, unloaded. */
  /** `loadedBytes`: what the load added to the worker's memory (load-size.ts); `loadedBytesExact`: after a GC. */
  | { type: 'model-loaded'; key: number; metadata: ModelMetadata; loadedBytes?: number; loadedBytesExact?: boolean }
  | { type: 'model-load-failed'; key: number; error: SerializedError }
  | { type: 'model-unloaded'; key: number };

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

/** An error as fields that cross threads (its cause left behind). */
export function serializeError(err: unknown): SerializedError {
  if (isInferdError(err)) {
    const { cause: _cause, ...details } = err.details;
    return { code: err.code, message: err.message, details: JSON.parse(JSON.stringify(details)) };
  }
  return { message: messageOf(err) };
}

/** A worker's serialized error, as the InferdError it was. */
export function reviveError(e: SerializedError): InferdError {
  return new InferdError(e.code ?? 'INTERNAL', e.message, e.details ?? {});
}

/** Settles the calls an `answers` message answers; a call no longer pending (timed out already) is skipped. */
export function settleAnswers(
  pending: Map<number, { resolve: (t: Tensor[]) => void; reject: (e: Error) => void }>,
  answers: readonly CallAnswer[],
): void {
  for (const a of answers) {
    const p = pending.get(a.id);
    if (!p) continue;
    pending.delete(a.id);
    if ('outputs' in a) p.resolve(reviveBuffers(a.outputs));
    else p.reject(reviveError(a.error));
  }
}
