// The one place that reads flags and env for `inferd serve`. Values carry their units in their names;
// the result is validated once and frozen, then passed down (nothing else reads process.env).

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationMs } from './cli/duration.js';
import { InferdError } from './errors.js';

/** Env a replica's runtime reads, KServe's names where KServe has one (passed through to every replica). */
export const RUNTIME_ENV_KEYS = [
  'PREDICT_PROBA',
  'ORT_INTRA_OP_NUM_THREADS',
  'ORT_INTER_OP_NUM_THREADS',
  'OMP_NUM_THREADS',
  'XGBOOST_MISSING',
  'XGBOOST_USE_BEST_ITERATION',
  'INFERD_PYTHON', // PATH or off: the sklearn Python fallback's interpreter (inferd serve --python / --no-python)
] as const;

export interface ServeConfig {
  host: string;
  port: number;
  stateDir: string;
  domain: string;
  /** Serve the bundled sklearn-iris demo model (npm start). */
  demo: boolean;
  /** pvc://{claim}/... → `{pvcRoot}/{claim}/...` unless a claim has its own root. */
  pvcRoot: string;
  pvcRoots: Record<string, string>;
  maxBodyBytes: number;
  /** How long the gateway holds a request for a replica that is starting before answering 503. */
  holdTimeoutMs: number;
  /** Replica crash back-off: first delay, doubled per consecutive crash up to the max. */
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Env passed to replicas (KServe-compatible names such as PREDICT_PROBA). */
  replicaEnv: Record<string, string>;
  /** Storage credentials and endpoints from the environment (AWS_*, S3_*, GCS), as KServe's storage initializer reads them. */
  storageEnv: Record<string, string>;
  /** Most bytes one model may download or unpack to; past it the service fails with StorageTooLarge. */
  storageMaxBytes: number;
  /** Time for one model's whole download, retries included; past it: StorageUnreachable. */
  storageTimeoutMs: number;
  /** Idle pre-forked replica processes kept for fast cold starts (0: none). */
  standbyReplicas: number;
  /** Models per replica process: 1 = a process per model; N > 1 packs small pure-TS models into model hosts. */
  modelsPerReplica: number;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  domain: 'example.com',
  maxBodyBytes: 64 * 1024 * 1024, // 64 MiB
  holdTimeoutMs: 30_000,
  restartBackoffMs: 1_000,
  restartBackoffMaxMs: 30_000,
  storageMaxBytes: 64 * 1024 ** 3, // 64 GiB, as the storage initializer's default
  storageTimeoutMs: 60 * 60 * 1000, // 1 hour
  standbyReplicas: 1,
  modelsPerReplica: 1,
} as const;

const STORAGE_ENV = /^(AWS_|S3_|awsAnonymousCredential$|STORAGE_EMULATOR_HOST$|GOOGLE_APPLICATION_CREDENTIALS$)/;

/**
 * `inferd serve`'s flags: what loadServeConfig parses (node's parseArgs, strict) and what `inferd serve --help`
 * lists (cli/help.ts renders them). Shaped as cli/flags.ts's FlagSpec, written out here so config.ts imports
 * nothing from the CLI.
 */
export const SERVE_FLAGS = {
  port: { type: 'string', arg: 'N', help: 'port for the gateway and control API (default 8080; 0 picks a free port)' },
  host: {
    type: 'string',
    arg: 'ADDR',
    help: 'address to listen on (default 127.0.0.1; 0.0.0.0 for all interfaces, but nothing\nauthenticates callers yet: anyone who reaches the port can read Secrets and change anything)',
  },
  state: { type: 'string', arg: 'DIR', help: 'state directory (default ~/.inferd, or INFERD_STATE)' },
  domain: { type: 'string', arg: 'D', help: 'domain of InferenceService URLs (default example.com)' },
  'pvc-root': { type: 'string', arg: 'DIR', help: 'folder that pvc://{claim}/... claims live in (default STATE/pvc)' },
  pvc: { type: 'string', multiple: true, arg: 'CLAIM=DIR', help: 'map one claim to a folder (repeatable)' },
  demo: { type: 'boolean', default: false, help: 'also serve the bundled sklearn-iris model in namespace default' },
  'log-level': { type: 'string', arg: 'L', help: 'debug|info|warn|error (default info)' },
  // Parsed and checked, but nothing reads it yet (issue 12 wires or removes it): not advertised.
  'max-body-bytes': { type: 'string', arg: 'N', hidden: true, help: 'not used yet' },
  'storage-max-bytes': {
    type: 'string',
    arg: 'N',
    help: 'most bytes one model may download or unpack to: 500Mi, 64Gi, 10G or bytes\n(default 64Gi, or INFERD_STORAGE_MAX_BYTES); larger models fail with StorageTooLarge',
  },
  'storage-timeout': {
    type: 'string',
    arg: 'D',
    help: "time for one model's download, retries included: 90s, 30m, 1h (default 1h, or\nINFERD_STORAGE_TIMEOUT); past it the service fails with StorageUnreachable",
  },
  'standby-replicas': {
    type: 'string',
    arg: 'N',
    help: 'idle pre-forked model-server processes kept ready for the next replica start\n(default 1, or INFERD_STANDBY_REPLICAS; 0: every replica is a cold fork)',
  },
  'models-per-replica': {
    type: 'string',
    arg: 'N',
    help: 'pack up to N sklearn/xgboost/lightgbm models into one model-host process, each in\nits own worker thread (default 1: a process per model, or INFERD_MODELS_PER_REPLICA);\na hung or crashing model fails alone, a host process crash restarts its N models',
  },
  python: {
    type: 'string',
    arg: 'PATH',
    help: 'python3 with scikit-learn for sklearn models the native runtime does not implement\n(default: the first of /usr/bin/python3, python3 that has it, or INFERD_PYTHON)',
  },
  'no-python': { type: 'boolean', default: false, help: 'turn that Python fallback off' },
  help: { type: 'boolean', short: 'h', default: false, help: 'this help' },
} as const;

export function loadServeConfig(argv: string[], env: NodeJS.ProcessEnv): Readonly<ServeConfig> {
  const { values } = parseArgs({
    args: argv,
    options: SERVE_FLAGS,
    strict: true,
    allowPositionals: false,
  });
  const problems: string[] = [];
  const port = Number(values.port ?? env.INFERD_PORT ?? SERVE_DEFAULTS.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`--port: expected 0-65535, got '${values.port}'`);
  const stateDir = resolve(values.state ?? env.INFERD_STATE ?? join(homedir(), '.inferd'));
  const logLevel = (values['log-level'] ?? env.INFERD_LOG_LEVEL ?? 'info') as ServeConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(`--log-level: expected debug|info|warn|error, got '${logLevel}'`);
  }
  const maxBodyBytes = Number(values['max-body-bytes'] ?? SERVE_DEFAULTS.maxBodyBytes);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0)
    problems.push('--max-body-bytes: expected a positive integer');
  const storageMaxBytes = parseByteSize(
    values['storage-max-bytes'] ?? env.INFERD_STORAGE_MAX_BYTES ?? String(SERVE_DEFAULTS.storageMaxBytes),
  );
  if (storageMaxBytes === undefined || storageMaxBytes <= 0) {
    problems.push(
      `--storage-max-bytes: expected a positive size like 500Mi, 64Gi or 1000000, got '${values['storage-max-bytes'] ?? env.INFERD_STORAGE_MAX_BYTES}'`,
    );
  }
  const storageTimeoutText = values['storage-timeout'] ?? env.INFERD_STORAGE_TIMEOUT;
  let storageTimeoutMs: number = SERVE_DEFAULTS.storageTimeoutMs;
  if (storageTimeoutText !== undefined) {
    try {
      storageTimeoutMs = parseDurationMs(storageTimeoutText);
    } catch {
      storageTimeoutMs = Number.NaN;
    }
    if (!(storageTimeoutMs >= 1)) {
      problems.push(`--storage-timeout: expected a positive duration like 90s, 30m or 1h, got '${storageTimeoutText}'`);
    }
  }
  const standbyText = values['standby-replicas'] ?? env.INFERD_STANDBY_REPLICAS;
  const standbyReplicas = Number(standbyText ?? SERVE_DEFAULTS.standbyReplicas);
  if (!Number.isInteger(standbyReplicas) || standbyReplicas < 0 || standbyReplicas > 8) {
    problems.push(`--standby-replicas: expected 0-8, got '${standbyText}'`);
  }
  const packText = values['models-per-replica'] ?? env.INFERD_MODELS_PER_REPLICA;
  const modelsPerReplica = Number(packText ?? SERVE_DEFAULTS.modelsPerReplica);
  if (!Number.isInteger(modelsPerReplica) || modelsPerReplica < 1 || modelsPerReplica > 1000) {
    problems.push(`--models-per-replica: expected 1-1000, got '${packText}'`);
  }
  const pvcRoots: Record<string, string> = {};
  for (const m of values.pvc ?? []) {
    const eq = m.indexOf('=');
    if (eq <= 0) problems.push(`--pvc: expected CLAIM=DIR, got '${m}'`);
    else pvcRoots[m.slice(0, eq)] = resolve(m.slice(eq + 1));
  }
  const domain = values.domain ?? env.INFERD_DOMAIN ?? SERVE_DEFAULTS.domain;
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(domain)) problems.push(`--domain: '${domain}' is not a DNS name`);
  if (values['no-python'] && values.python) problems.push('--python and --no-python: give one');
  if (problems.length) throw new InferdError('INVALID_CONFIG', problems.join('; '));
  const replicaEnv: Record<string, string> = {};
  for (const key of RUNTIME_ENV_KEYS) {
    const v = env[key];
    if (v !== undefined) replicaEnv[key] = v;
  }
  // The Python fallback's interpreter reaches replicas as INFERD_PYTHON (a path, or `off`).
  if (values['no-python']) replicaEnv.INFERD_PYTHON = 'off';
  else if (values.python) replicaEnv.INFERD_PYTHON = values.python;
  const storageEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && STORAGE_ENV.test(k)) storageEnv[k] = v;
  }
  return Object.freeze({
    host: values.host ?? env.INFERD_HOST ?? SERVE_DEFAULTS.host,
    port,
    stateDir,
    domain,
    demo: values.demo === true,
    pvcRoot: resolve(values['pvc-root'] ?? join(stateDir, 'pvc')),
    pvcRoots,
    maxBodyBytes,
    holdTimeoutMs: SERVE_DEFAULTS.holdTimeoutMs,
    restartBackoffMs: SERVE_DEFAULTS.restartBackoffMs,
    restartBackoffMaxMs: SERVE_DEFAULTS.restartBackoffMaxMs,
    logLevel,
    replicaEnv,
    storageEnv,
    storageMaxBytes: storageMaxBytes ?? SERVE_DEFAULTS.storageMaxBytes,
    storageTimeoutMs: Math.round(storageTimeoutMs),
    standbyReplicas,
    modelsPerReplica,
  });
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A byte count in Kubernetes quantity form (`500Mi`, `64Gi`, `10G`, `1000000`); undefined when it is not one. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(|k|K|M|G|T|Ki|Mi|Gi|Ti)B?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? Number.NaN));
  return Number.isSafeInteger(n) ? n : undefined;
}
