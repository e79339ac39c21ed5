// KServe's model-server flags for SDK servers (`inferd run`, ModelServer.fromArgs): the ones KServe's
// ModelServer parser and its custom model/transformer examples define, spelled the same, checked once.
// KServe flags with no meaning here (workers, thread pools, logging config) are accepted and ignored.

import { parseArgs } from 'node:util';
import { InferdError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES } from '../server/model-server.js';
import type { PredictorProtocol } from './predictor-client.js';

export interface SdkServerConfig {
  /** `--model_name`; KServe's examples default to "model". */
  modelName: string;
  /** `--model_dir`: where the model's files are (KServe's /mnt/models locally); null when not given. */
  modelDir: string | null;
  /** `--http_port` (else env PORT, else 8080; 0 picks a free port). */
  httpPort: number;
  /** `--http_host`, default 127.0.0.1 (KServe binds 0.0.0.0; say `--http_host 0.0.0.0` in a pod). */
  httpHost: string;
  /** `--grpc_port` (default 8081; 0 picks a free port); null with `--enable_grpc false`. */
  grpcPort: number | null;
  maxBodyBytes: number;
  /** `--predictor_host` (else env PREDICTOR_HOST): set for a transformer. */
  predictorHost: string | null;
  /** `--protocol` / `--predictor_protocol`: v1, v2 or grpc-v2 (default v1). */
  protocol: PredictorProtocol;
  predictorUseSsl: boolean;
  /** `--predictor_request_timeout_seconds` in ms; undefined: the client's default. */
  predictorTimeoutMs: number | undefined;
}

const IGNORED = [
  'workers',
  'max_threads',
  'max_asyncio_workers',
  'enable_docs_url',
  'enable_latency_logging',
  'configure_logging',
  'log_config_file',
  'access_log_format',
] as const;

export const SDK_SERVER_USAGE = `Flags (KServe model server spelling):
  --model_name NAME      name the model is served under (default: the model's own, else "model")
  --model_dir DIR        where the model's files are; handed to the model (config.modelDir)
  --http_port N          REST port (default: env PORT, else 8080; 0 picks a free port)
  --http_host ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 to accept other hosts)
  --grpc_port N          V2 gRPC port (default 8081; 0 picks a free port)
  --enable_grpc BOOL     serve gRPC (default true)
  --max_body_bytes N     largest request body accepted (default 16 MiB)
  --predictor_host H:P   the predictor a transformer calls (default: env PREDICTOR_HOST)
  --protocol P           how it calls the predictor: v1, v2 or grpc-v2 (default v1; alias --predictor_protocol)
  --predictor_use_ssl BOOL
                         https / TLS to the predictor (default false)
  --predictor_request_timeout_seconds N
                         per predictor call (default 60)
Accepted and ignored: ${IGNORED.map((f) => `--${f}`).join(', ')}.
`;

const PROTOCOLS: readonly PredictorProtocol[] = ['v1', 'v2', 'grpc-v2'];

function bool(flag: string, v: string | undefined, fallback: boolean, problems: string[]): boolean {
  if (v === undefined) return fallback;
  const s = v.toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  problems.push(`--${flag}: expected true or false, got '${v}'`);
  return fallback;
}

function port(flag: string, v: string | undefined, fallback: number, problems: string[]): number {
  const n = Number(v ?? fallback);
  if (!Number.isInteger(n) || n < 0 || n > 65535) problems.push(`--${flag}: expected 0-65535, got '${v}'`);
  return n;
}

/**
 * Parses argv (flags only). `env` supplies KServe's PORT and PREDICTOR_HOST when the flags do not.
 * Throws InferdError('INVALID_CONFIG') naming every problem.
 */
export function parseSdkServerArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Readonly<SdkServerConfig> {
  const names = [
    'model_name',
    'model_dir',
    'http_port',
    'http_host',
    'grpc_port',
    'enable_grpc',
    'max_body_bytes',
    'predictor_host',
    'protocol',
    'predictor_protocol',
    'predictor_use_ssl',
    'predictor_request_timeout_seconds',
    ...IGNORED,
  ];
  const options: Record<string, { type: 'string' }> = {};
  for (const n of names) options[n] = { type: 'string' };
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (err) {
    throw new InferdError('INVALID_CONFIG', `${(err as Error).message}\n${SDK_SERVER_USAGE}`);
  }
  const problems: string[] = [];
  const httpPort = port('http_port', values.http_port ?? env.PORT, 8080, problems);
  const enableGrpc = bool('enable_grpc', values.enable_grpc, true, problems);
  const grpcPort = port('grpc_port', values.grpc_port, 8081, problems);
  const maxBodyBytes = Number(values.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    problems.push(`--max_body_bytes: expected a positive integer, got '${values.max_body_bytes}'`);
  }
  const protocol = (values.protocol ?? values.predictor_protocol ?? 'v1') as PredictorProtocol;
  if (!PROTOCOLS.includes(protocol)) {
    problems.push(`--protocol: expected ${PROTOCOLS.join(', ')}, got '${protocol}'`);
  }
  const predictorHost = values.predictor_host || env.PREDICTOR_HOST || null;
  if (predictorHost && /^[a-z]+:\/\//i.test(predictorHost)) {
    problems.push(`--predictor_host: expected host:port without a scheme, got '${predictorHost}'`);
  }
  let predictorTimeoutMs: number | undefined;
  if (values.predictor_request_timeout_seconds !== undefined) {
    const s = Number(values.predictor_request_timeout_seconds);
    if (!Number.isFinite(s) || s <= 0) {
      problems.push(
        `--predictor_request_timeout_seconds: expected a positive number, got '${values.predictor_request_timeout_seconds}'`,
      );
    }
    predictorTimeoutMs = Math.round(s * 1000);
  }
  const predictorUseSsl = bool('predictor_use_ssl', values.predictor_use_ssl, false, problems);
  if (problems.length > 0) throw new InferdError('INVALID_CONFIG', problems.join('; '));
  return Object.freeze({
    modelName: values.model_name ?? '',
    modelDir: values.model_dir || null,
    httpPort,
    httpHost: values.http_host || '127.0.0.1',
    grpcPort: enableGrpc ? grpcPort : null,
    maxBodyBytes,
    predictorHost,
    protocol,
    predictorUseSsl,
    predictorTimeoutMs,
  });
}
