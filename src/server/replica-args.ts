// The replica's command line, spelled like KServe's model server (`--model_name`, `--model_dir`,
// `--http_port`, ...), so a ServingRuntime's args work unchanged. Validated once, then frozen.

import { parseArgs } from 'node:util';
import { InferdError } from '../errors.js';
import { DEFAULT_MAX_BINARY_BODY_BYTES, DEFAULT_MAX_BODY_BYTES } from './model-server.js';

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
}

export const REPLICA_DEFAULTS = {
  modelFormat: 'sklearn',
  httpPort: 8080,
  httpHost: '127.0.0.1',
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxBinaryBodyBytes: DEFAULT_MAX_BINARY_BODY_BYTES,
} as const;

/** KServe model-server flags that inferd accepts and ignores (a ServingRuntime may pass them). */
const IGNORED_KSERVE_FLAGS = [
  'grpc_port',
  'workers',
  'max_threads',
  'max_asyncio_workers',
  'enable_grpc',
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
  if (problems.length > 0) throw new InferdError('INVALID_CONFIG', problems.join('; '));
  return Object.freeze({
    modelName,
    modelDir,
    modelFormat: values.model_format || REPLICA_DEFAULTS.modelFormat,
    httpPort,
    httpHost: values.http_host || REPLICA_DEFAULTS.httpHost,
    maxBodyBytes,
    maxBinaryBodyBytes,
  });
}
