// The one interface every runtime implements (sklearn, xgboost, onnx, ...), as KServe's Python `Model` class:
// a loaded model takes named tensors and returns named tensors. The model server adapts V1 `instances`
// and V2 `inputs` to this; runtimes never see HTTP.

import type { Logger } from '../log.js';

export type Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Flat, row-major tensor contents. BYTES tensors hold strings (or Buffers for raw bytes). */
export type TensorData = TypedArray | number[] | string[] | boolean[] | Buffer[];

export interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
  parameters?: Record<string, unknown> | null;
}

export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[]; // -1 for a dynamic dimension
}

export interface ModelMetadata {
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface PredictOptions {
  /** V2 request `parameters` (and V1 body keys other than instances/inputs). */
  parameters?: Record<string, unknown>;
  /** Output names the client asked for (V2 `outputs`); empty: all. */
  outputNames?: string[];
  /** Aborted when the client goes away or the request times out. */
  signal?: AbortSignal;
}

/** Who sent a request and how: what a whole-request model (the TypeScript SDK) sees besides its payload. */
export interface RequestInfo {
  /** Request headers with lower-case names (gRPC: the call's metadata). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `x-request-id`, else the V2 request's `id`, else a fresh UUID. */
  readonly requestId: string;
  readonly protocol: 'v1' | 'v2' | 'grpc-v2';
  /** Aborted when the client goes away or the request's deadline passes. */
  readonly signal: AbortSignal;
  /**
   * Set by the model server: calls `listener` once when the request aborts (as `signal` would) and returns what
   * stops listening, without building an AbortSignal (the SDK's default predict: one per call cost more than the
   * rest of a transformer's JavaScript; docs/benchmarks.md).
   */
  onAbort?(listener: () => void): () => void;
  /**
   * Set by the model server: a whole-request model reports the time of each stage it ran (KServe's
   * request_preprocess/predict/postprocess/explain_seconds); without reports the whole call counts as predict.
   */
  timed?(stage: 'preprocess' | 'predict' | 'postprocess' | 'explain', seconds: number): void;
}

/** A V2 infer request (REST or gRPC), its tensors decoded. */
export interface InferenceCall {
  id: string;
  inputs: Tensor[];
  parameters: Record<string, unknown> | null;
  /** Output names the client asked for; null: all. */
  outputs: string[] | null;
}

export interface InferenceReply {
  outputs: Tensor[];
}

/**
 * Models that take whole requests rather than tensors (KServe's `Model.__call__`: preprocess → predict →
 * postprocess on the V1 body or the V2 request). The model server hands them the parsed request and writes
 * back what they return; the tensor path (`predict`) and the batcher are not used for these calls.
 */
export interface RequestHandlers {
  /** V1 `:predict` / `:explain`: the parsed JSON body in, the response's JSON text out. */
  v1(body: unknown, info: RequestInfo, verb: 'predict' | 'explain'): Promise<string>;
  /** V2 REST and gRPC infer. */
  v2(call: InferenceCall, info: RequestInfo): Promise<InferenceReply>;
}

export interface Model {
  readonly name: string;
  metadata(): ModelMetadata;
  /** Set by models that take whole requests (the TypeScript SDK); see RequestHandlers. */
  readonly requests?: RequestHandlers;
  /**
   * Runs inference. Client mistakes (wrong feature count, non-numeric input) throw
   * InferdError('INVALID_INPUT', message); anything else is a server error.
   */
  predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> | Tensor[];
  /** Frees resources (native sessions, worker processes). */
  unload?(): Promise<void> | void;
}

export interface LoadOptions {
  /** The model's name as served (`--model_name`). */
  name: string;
  /** Directory holding the downloaded model (KServe's /mnt/models). */
  modelDir: string;
  /** Runtime settings that KServe passes as env (e.g. PREDICT_PROBA), already parsed by config.ts. */
  env?: Record<string, string | undefined>;
  /** The replica's logger, for what a runtime decides once at load (e.g. a fallback it took). */
  log?: Logger;
}

export interface RuntimeFactory {
  /** Runtime name, e.g. `sklearn`. */
  readonly name: string;
  /** KServe modelFormat names it serves. */
  readonly formats: readonly string[];
  load(opts: LoadOptions): Promise<Model>;
}
