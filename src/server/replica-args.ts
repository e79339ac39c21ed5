// The replica's command line, spelled like KServe's model server (`--model_name`, `--model_dir`,
// `--http_port`, ...), so a ServingRuntime's args work unchanged. Validated once, then frozen.

import { parseArgs } from 'node:util';
import { InferdError } from '../errors.js';
import { BATCHER_DEFAULTS } from './batcher.js';
import { DEFAULT_GRPC_MAX_MESSAGE_BYTES } from './grpc/limits.js';
import { DEFAULT_MAX_BINARY_BODY_BYTES, DEFAULT_MAX_BODY_BYTES } from './model-server.js';
import type { LoggerMode } from './payload-logger.js';

export interface ReplicaConfig {
  modelName: string;
  modelDir: string;
  /** KServe modelFormat name, e.g. `sklearn`. */
  modelFormat: string;
  /** 0 picks a free port. */
  httpPort: number;
  httpHost: string;
  maxBodyBytes: number;
  /** Limit for binary-extension bodies (`inference-header-content-length`). */
  maxBinaryBodyBytes: number;
  /** KServe's `--grpc_port` (default 8081; 0 picks a free port); null with `--enable_grpc false`. */
  grpcPort: number | null;
  grpcMaxReceiveMessageBytes: number;
  grpcMaxSendMessageBytes: number;
  /** spec.predictor.batcher, when on (`--enable_batcher true`); null otherwise. */
  batcher: { maxBatchSize: number; maxLatencyMs: number; timeoutMs: number } | null;
  /** spec.predictor.logger: CloudEvents sink and what to send; null when off. */
  logger: { url: string; mode: LoggerMode } | null;
  /** The InferenceService's namespace (`ce-namespace` of logged events). */
  namespace: string;
  /** spec.predictor.timeout in ms: inference requests not answered by then get 504; null: no limit. */
  requestTimeoutMs: number | null;
}

export const REPLICA_DEFAULTS = {
  modelFormat: 'sklearn',
  httpPort: 8080,
  httpHost: '127.0.0.1',
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxBinaryBodyBytes: DEFAULT_MAX_BINARY_BODY_BYTES,
  grpcPort: 8081,
  grpcMaxMessageBytes: DEFAULT_GRPC_MAX_MESSAGE_BYTES,
} as const;

/** KServe model-server flags that inferd accepts and ignores (a ServingRuntime may pass them). */
const IGNORED_KSERVE_FLAGS = [
  'workers',
  'max_threads',
  'max_asyncio_workers',
  'enable_docs_url',
  'enable_latency_logging',
  'configure_logging',
  'log_config_file',
  'access_log_format',
  'predictor_host',
  'predictor_protocol',
  'predictor_use_ssl',
  'predictor_request_timeout_seconds',
  'protocol',
  'nthread', // xgbserver/lgbserver: the native runtimes predict on one thread
] as const;

export const REPLICA_USAGE = `Usage: node dist/src/server/main.js --model_name NAME --model_dir DIR [flags]

Flags (KServe model server spelling):
  --model_name NAME      name the model is served under (required)
  --model_dir DIR        directory holding the model files (required)
  --model_format F       KServe modelFormat name (default sklearn)
  --http_port N          port to listen on (default 8080; 0 picks a free port)
  --http_host ADDR       address to listen on (default 127.0.0.1)
  --max_body_bytes N     largest request body accepted (default 16 MiB)
  --max_binary_body_bytes N
                         largest binary tensor extension body (default 128 MiB)
  --grpc_port N          V2 gRPC port (default 8081; 0 picks a free port)
  --enable_grpc BOOL     serve gRPC (default true)
  --grpc_max_receive_message_length N, --grpc_max_send_message_length N
                         gRPC message limits (default 64 MiB; KServe's is 8 MiB)
  --enable_batcher BOOL  merge concurrent predict calls into one model call (default false)
  --max_batch_size N     rows per batched model call (default 32)
  --max_latency_ms N     longest wait for a batch to fill (default 5000)
  --batch_timeout_ms N   a batched model call that takes longer answers 504 (default 60000)
  --logger_url URL       send requests/responses as CloudEvents to URL (spec.predictor.logger)
  --logger_mode M        all, request or response (default all)
  --namespace NS         the InferenceService's namespace, for logged events (default default)
  --request_timeout_ms N answer 504 to inference requests not done in N ms (spec.predictor.timeout)
`;

/** Parses argv (without node and script). Throws InferdError('INVALID_CONFIG') naming every problem. */
export function parseReplicaArgs(argv: readonly string[]): Readonly<ReplicaConfig> {
  const options: Record<string, { type: 'string' }> = {
    model_name: { type: 'string' },
    model_dir: { type: 'string' },
    model_format: { type: 'string' },
    http_port: { type: 'string' },
    http_host: { type: 'string' },
    max_body_bytes: { type: 'string' },
    max_binary_body_bytes: { type: 'string' },
    grpc_port: { type: 'string' },
    enable_grpc: { type: 'string' },
    grpc_max_receive_message_length: { type: 'string' },
    grpc_max_send_message_length: { type: 'string' },
    enable_batcher: { type: 'string' },
    max_batch_size: { type: 'string' },
    max_latency_ms: { type: 'string' },
    batch_timeout_ms: { type: 'string' },
    logger_url: { type: 'string' },
    logger_mode: { type: 'string' },
    namespace: { type: 'string' },
    request_timeout_ms: { type: 'string' },
  };
  for (const f of IGNORED_KSERVE_FLAGS) options[f] = { type: 'string' };
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (err) {
    throw new InferdError('INVALID_CONFIG', `${(err as Error).message}\n${REPLICA_USAGE}`);
  }
  const problems: string[] = [];
  const modelName = values.model_name ?? '';
  if (!modelName) problems.push('--model_name is required');
  const modelDir = values.model_dir ?? '';
  if (!modelDir) problems.push('--model_dir is required');
  const httpPort = Number(values.http_port ?? REPLICA_DEFAULTS.httpPort);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) {
    problems.push(`--http_port: expected 0-65535, got '${values.http_port}'`);
  }
  const maxBodyBytes = Number(values.max_body_bytes ?? REPLICA_DEFAULTS.maxBodyBytes);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    problems.push(`--max_body_bytes: expected a positive integer, got '${values.max_body_bytes}'`);
  }
  const maxBinaryBodyBytes = Number(values.max_binary_body_bytes ?? REPLICA_DEFAULTS.maxBinaryBodyBytes);
  if (!Number.isInteger(maxBinaryBodyBytes) || maxBinaryBodyBytes <= 0) {
    problems.push(`--max_binary_body_bytes: expected a positive integer, got '${values.max_binary_body_bytes}'`);
  }
  const grpcPort = Number(values.grpc_port ?? REPLICA_DEFAULTS.grpcPort);
  if (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535) {
    problems.push(`--grpc_port: expected 0-65535, got '${values.grpc_port}'`);
  }
  const enableGrpc = (values.enable_grpc ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(enableGrpc)) {
    problems.push(`--enable_grpc: expected true or false, got '${values.enable_grpc}'`);
  }
  const positive = (flag: string, value: string | undefined, fallback: number): number => {
    const n = Number(value ?? fallback);
    if (!Number.isInteger(n) || n <= 0) problems.push(`--${flag}: expected a positive integer, got '${value}'`);
    return n;
  };
  const grpcMaxReceiveMessageBytes = positive(
    'grpc_max_receive_message_length',
    values.grpc_max_receive_message_length,
    REPLICA_DEFAULTS.grpcMaxMessageBytes,
  );
  const grpcMaxSendMessageBytes = positive(
    'grpc_max_send_message_length',
    values.grpc_max_send_message_length,
    REPLICA_DEFAULTS.grpcMaxMessageBytes,
  );
  const enableBatcher = (values.enable_batcher ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(enableBatcher)) {
    problems.push(`--enable_batcher: expected true or false, got '${values.enable_batcher}'`);
  }
  const batcher = {
    maxBatchSize: positive('max_batch_size', values.max_batch_size, BATCHER_DEFAULTS.maxBatchSize),
    maxLatencyMs: positive('max_latency_ms', values.max_latency_ms, BATCHER_DEFAULTS.maxLatencyMs),
    timeoutMs: positive('batch_timeout_ms', values.batch_timeout_ms, BATCHER_DEFAULTS.timeoutMs),
  };
  const loggerMode = values.logger_mode ?? 'all';
  if (loggerMode !== 'all' && loggerMode !== 'request' && loggerMode !== 'response') {
    problems.push(`--logger_mode: expected all, request or response, got '${loggerMode}'`);
  }
  if (values.logger_url !== undefined) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(values.logger_url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`--logger_url: expected an http(s) URL, got '${values.logger_url}'`);
  }
  const requestTimeoutMs =
    values.request_timeout_ms === undefined ? null : positive('request_timeout_ms', values.request_timeout_ms, 1);
  if (problems.length > 0) throw new InferdError('INVALID_CONFIG', problems.join('; '));
  return Object.freeze({
    modelName,
    modelDir,
    modelFormat: values.model_format || REPLICA_DEFAULTS.modelFormat,
    httpPort,
    httpHost: values.http_host || REPLICA_DEFAULTS.httpHost,
    maxBodyBytes,
    maxBinaryBodyBytes,
    grpcPort: enableGrpc === 'false' || enableGrpc === '0' ? null : grpcPort,
    grpcMaxReceiveMessageBytes,
    grpcMaxSendMessageBytes,
    batcher: enableBatcher === 'true' || enableBatcher === '1' ? batcher : null,
    logger: values.logger_url ? { url: values.logger_url, mode: loggerMode as LoggerMode } : null,
    namespace: values.namespace || 'default',
    requestTimeoutMs,
  });
}
