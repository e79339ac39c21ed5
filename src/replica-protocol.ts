// THE controller ↔ replica contract, in one place: the flags a replica is started with, the env keys its
// runtime reads, and the messages over the fork IPC channel (replica, standby, model host). The controllers
// encode here; the replica process parses with parseReplicaArgs (server/replica-args.ts, beside its
// defaults) — test/replica-protocol.test.ts checks that every flag encoded here parses back to what was
// meant. Types and pure functions only: both sides import it without importing each other.

import type { PredictorSpec } from './api/types.js';

// ---- env ----

/** Env a replica's runtime reads, KServe's names where KServe has one (passed through to every replica). */
export const RUNTIME_ENV_KEYS = [
  'PREDICT_PROBA',
  'ORT_INTRA_OP_NUM_THREADS',
  'ORT_INTER_OP_NUM_THREADS',
  'OMP_NUM_THREADS',
  'XGBOOST_MISSING',
  'XGBOOST_USE_BEST_ITERATION',
  'INFERD_INTRA_OP_THREADS', // threads a large batch may use (runtimes/intra-op; the controller sets it)
  'INFERD_INTRA_OP_MIN_ROWS',
  'INFERD_SKLEARN_ORT_MIN_ROWS', // rows from which an MLP's batch runs in onnxruntime (runtimes/sklearn/ort-kernel.ts)
  'INFERD_PYTHON', // PATH or off: the sklearn Python fallback's interpreter (inferd serve --python / --no-python)
  'INFERD_GRPC_SERVER', // grpc-js: the replica's gRPC port on @grpc/grpc-js instead of the fast path (docs/protocol.md)
] as const;

// ---- IPC messages ----

/**
 * Messages a replica sends its controller over the fork IPC channel, in order: one `state: Loading`,
 * then exactly one of `ready` (the HTTP port it listens on, and its gRPC port unless gRPC is off) or
 * `failed` (after which it exits 1).
 */
export type ReplicaMessage =
  | { type: 'state'; state: 'Loading' }
  | { type: 'ready'; port: number; grpcPort?: number }
  | { type: 'failed'; reason: string; message: string };

/** A standby replica (`--standby`) reports this once its modules are loaded, then waits for a `load`. */
export interface StandbyReadyMessage {
  type: 'standby';
}

/** What a standby replica waits for: the replica's flags and its service's env. */
export interface StandbyLoadMessage {
  type: 'load';
  args: string[];
  env?: Record<string, string>;
}

/** inferd serve → model host process (IPC). */
export type ToHost =
  | {
      type: 'load';
      modelName: string;
      modelDir: string;
      modelFormat: string;
      env?: Record<string, string>;
      /**
       * Load into the host's one shared worker thread instead of a worker of its own: a few hundred KiB per
       * small model instead of ~9 MiB, with the same per-model time limit (TrainedModels of one multi-model
       * service; server/model-host/worker-group.ts).
       */
      inline?: boolean;
      /** The model's time limit per call (spec.predictor.timeout); past it 504, and a stuck worker is ended. */
      requestTimeoutMs?: number;
      /** The model worker's V8 heap limit in MiB (inferd serve --worker-heap-limit; a TrainedModel's parent's). */
      heapLimitMb?: number;
      /** An inline model's memory budget (a TrainedModel's spec.model.memory): larger once loaded, it fails. */
      memoryBytes?: number;
    }
  | { type: 'unload'; modelName: string };

/**
 * The `model-failed` reason of a packed model that must run in a process of its own (a scikit-learn model only
 * the Python fallback serves: its Python worker must end with its replica); inferd serve starts it so at once.
 */
export const NEEDS_OWN_PROCESS = 'NeedsOwnProcess';

/** Model host process → inferd serve (IPC), besides the replica's own `state`/`ready`/`failed`. */
export type FromHost =
  /**
   * Loaded. `port`/`grpcPort`: where the model is served — its worker's own ports (a service's model); left out
   * for a TrainedModel, served on the host's ports.
   */
  | {
      type: 'model-ready';
      modelName: string;
      port?: number;
      grpcPort?: number;
      /** What an inline model's load added to its worker's memory (`loadedBytesExact`: after a GC). */
      loadedBytes?: number;
      loadedBytesExact?: boolean;
    }
  | { type: 'model-failed'; modelName: string; reason: string; message: string }
  | { type: 'model-unloaded'; modelName: string };

// ---- flags ----

/** The model server's own default body limit (server/model-server.ts DEFAULT_MAX_BODY_BYTES). */
export const REPLICA_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A model host's flags: a replica's without a model, on free ports (server/main.ts `--model_host`). */
export const MODEL_HOST_ARGS: readonly string[] = ['--model_host', '--http_port', '0', '--grpc_port', '0'];

/** The flags every replica inferd starts gets: its model, on free loopback ports. */
export function modelReplicaArgs(m: { modelName: string; modelDir: string; modelFormat: string }): string[] {
  return [
    '--model_name',
    m.modelName,
    '--model_dir',
    m.modelDir,
    '--model_format',
    m.modelFormat,
    '--http_port',
    '0',
    '--grpc_port',
    '0',
  ];
}

/**
 * The name the predictor serves its model under: the last `--model_name` of the predictor's args (KServe
 * appends them after the runtime's `--model_name={{.Name}}`, and the model server's argparse keeps the last),
 * else the InferenceService's name.
 */
export function servedModelName(isvc: { metadata: { name: string }; spec?: { predictor?: PredictorSpec } }): string {
  return modelNameFromArgs(isvc.spec?.predictor?.model?.args) ?? isvc.metadata.name;
}

function modelNameFromArgs(args: readonly string[] | undefined): string | undefined {
  let name: string | undefined;
  for (let i = 0; args && i < args.length; i++) {
    const a = args[i]!;
    if (a === '--model_name' && args[i + 1]) name = args[++i];
    else if (a.startsWith('--model_name=') && a.length > 13) name = a.slice(13);
  }
  return name;
}

/**
 * Model-server flags for the predictor's batcher, payload logger and timeout (KServe's agent and
 * queue-proxy settings, spelled as the replica's flags).
 */
export function predictorReplicaArgs(predictor: PredictorSpec | undefined, namespace = 'default'): string[] {
  const args: string[] = [];
  const b = predictor?.batcher;
  if (b) {
    args.push('--enable_batcher', 'true');
    if (b.maxBatchSize !== undefined) args.push('--max_batch_size', String(b.maxBatchSize));
    if (b.maxLatency !== undefined) args.push('--max_latency_ms', String(b.maxLatency));
    if (b.timeout !== undefined) args.push('--batch_timeout_ms', String(b.timeout * 1000));
  }
  const logger = predictor?.logger;
  if (logger?.url) {
    args.push('--logger_url', logger.url, '--logger_mode', logger.mode ?? 'all', '--namespace', namespace);
  }
  if (predictor?.timeout !== undefined) args.push('--request_timeout_ms', String(predictor.timeout * 1000));
  // A name from the predictor's args is per-process too: it keeps the replica out of shared model hosts,
  // where models are keyed by name.
  const named = modelNameFromArgs(predictor?.model?.args);
  if (named !== undefined) args.push('--model_name', named);
  return args;
}

/**
 * The gateway forwards bodies up to `maxBodyBytes`; the replica must take them too. At or below the
 * replica's default the flag is left out (a replica with flags is never packed into a shared model host).
 */
export function bodyLimitReplicaArgs(maxBodyBytes: number | undefined): string[] {
  return (maxBodyBytes ?? 0) > REPLICA_MAX_BODY_BYTES ? ['--max_body_bytes', String(maxBodyBytes)] : [];
}
