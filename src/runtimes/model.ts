// The one interface every runtime implements (sklearn, xgboost, onnx, ...), as KServe's Python `Model` class:
// a loaded model takes named tensors and returns named tensors. The model server adapts V1 `instances`
// and V2 `inputs` to this; runtimes never see HTTP.

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

export interface Model {
  readonly name: string;
  metadata(): ModelMetadata;
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
}

export interface RuntimeFactory {
  /** Runtime name, e.g. `sklearn`. */
  readonly name: string;
  /** KServe modelFormat names it serves. */
  readonly formats: readonly string[];
  load(opts: LoadOptions): Promise<Model>;
}
