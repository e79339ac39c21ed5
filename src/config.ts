// The one place that reads flags and env for `inferd serve`. Values carry their units in their names;
// the result is validated once and frozen, then passed down (nothing else reads process.env).

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationMs } from './duration.js';
import { InferdError } from './errors.js';
import { RUNTIME_ENV_KEYS } from './replica-protocol.js';

/**
 * What processes inferd starts inherit from the server's environment: enough to run (PATH, HOME, locale, temp
 * folders, proxy settings, BLAS/OpenMP tuning, pyenv's shims), never the server's credentials (AWS_*, tokens)
 * or its loader hooks (NODE_OPTIONS, LD_PRELOAD). docs/security.md, "Processes inferd starts".
 */
const INHERITED_ENV_KEYS = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SYSTEMROOT',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'PYENV_ROOT',
  'PYENV_VERSION',
]);
const INHERITED_ENV_PREFIXES = ['LC_', 'OMP_', 'OPENBLAS_', 'GOTO_', 'MKL_', 'BLIS_', 'NVPL_'] as const;

/** The part of `env` that processes inferd starts inherit (see INHERITED_ENV_KEYS). */
export function inheritedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (INHERITED_ENV_KEYS.has(k) || INHERITED_ENV_PREFIXES.some((p) => k.startsWith(p))) out[k] = v;
  }
  return out;
}

export interface ServeConfig {
  host: string;
  port: number;
  stateDir: string;
  domain: string;
  /** Serve the bundled sklearn-iris demo model (npm start). */
  demo: boolean;
  /** `--metrics=false`: the gateway records no per-request series (the bench's metrics_overhead baseline). */
  recordMetrics: boolean;
  /** `--access-log FILE|-`: a JSON line per model request; undefined: none. */
  accessLog?: string;
  /** pvc://{claim}/... → `{pvcRoot}/{claim}/...` unless a claim has its own root. */
  pvcRoot: string;
  pvcRoots: Record<string, string>;
  /** Largest request body the gateway forwards to a model (binary-extension requests: up to 128 MiB or this). */
  maxBodyBytes: number;
  /** A model request's body must arrive whole within this (bodies up to 1 MiB, read before a replica connection
   * is taken), or at 32 KiB/s over each such window (larger ones); else 408. */
  bodyTimeoutMs: number;
  /** Repository load/unload (`/v2/repository/models/NAME/load|unload`) allowed through the public port. */
  allowRepositoryApi: boolean;
  /** The gateway's gRPC link to replicas (INFERD_GRPC_LINK=off: HTTP/2 relay only). */
  grpcLink: boolean;
  /** `--tls-cert`/`--tls-key` (absolute paths): the port speaks TLS only; read and checked at start. */
  tls?: { certFile: string; keyFile: string };
  /** How long the gateway holds a request for a replica that is starting before answering 503. */
  holdTimeoutMs: number;
  /** An InferenceGraph step's timeout unless the graph's serving.inferd.dev/step-timeout annotation says otherwise. */
  graphStepTimeoutMs: number;
  /** Replica crash back-off: first delay, doubled per consecutive crash up to the max. */
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Env passed to replicas (KServe-compatible names such as PREDICT_PROBA). */
  replicaEnv: Record<string, string>;
  /** The server's environment that processes inferd starts inherit (inheritedEnv); nothing else of it reaches them. */
  processEnv: Record<string, string>;
  /** Storage credentials and endpoints from the environment (AWS_*, S3_*, GCS), as KServe's storage initializer reads them. */
  storageEnv: Record<string, string>;
  /** Most bytes one model may download or unpack to; past it the service fails with StorageTooLarge. */
  storageMaxBytes: number;
  /** Time for one model's whole download, retries included; past it: StorageUnreachable. */
  storageTimeoutMs: number;
  /** Archives may unpack to at most this many times their size (beyond a 32 MiB floor); 0: no ratio cap. */
  storageMaxRatio: number;
  /** Budget of the model download cache; least recently used models not in use are evicted past it. */
  cacheMaxBytes: number;
  /** Let storage fetch from link-local/metadata addresses and inferd's own port (off: the SSRF guard). */
  storageAllowInternal: boolean;
  /** Replica start to Ready, unless a service's serving.inferd.dev/load-timeout says otherwise; past it: ModelLoadTimeout. */
  loadTimeoutMs: number;
  /** Idle pre-forked replica processes kept for fast cold starts (0: none). */
  standbyReplicas: number;
  /**
   * Models per model-host process: N > 1 (default 100) packs sklearn/xgboost/lightgbm/onnx models of one
   * namespace into shared hosts, a worker thread per service; 1 = a process per model.
   */
  modelsPerReplica: number;
  /** V8 heap limit of each packed model's worker thread, in bytes (past it only that worker ends: OOMKilled). */
  workerHeapLimitBytes: number;
  /** A revision with minReplicas 0 and no traffic this long drops to zero replicas (per service: annotation). */
  scaleToZeroGraceMs: number;
  /** Old revisions of a service kept besides the active ones; older ones are collected. */
  revisionHistory: number;
  /** `--image-map FILE` (repeatable): image → command for custom containers, after the state dir's image-map.yaml. */
  imageMaps?: string[];
  /** `--container-engine docker|podman`: unmapped images run in it; undefined: they are ImageNotRunnable. */
  containerEngine?: 'docker' | 'podman';
  /** Host names the control API answers besides loopback and the listening addresses (`name`, `.suffix`, `*`). */
  allowedHosts: string[];
  /** Browser origins the control API accepts besides its own (`https://ui.example.com`, `*`). */
  allowedOrigins: string[];
  /** Every route but health needs a token (`--auth`; the default on a non-loopback address). docs/auth.md */
  auth: boolean;
  /** Listening beyond loopback with auth off (`--insecure-allow-anonymous`): serve prints a warning line. */
  anonymousOnNetwork: boolean;
  /** `--oidc-issuer` and friends (docs/auth.md, "OIDC"); undefined: API tokens only. */
  oidc?: { issuer: string; audience: string; groupsClaim?: string; usernameClaim?: string };
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  domain: 'example.com',
  maxBodyBytes: 16 * 1024 * 1024, // 16 MiB, the model server's own JSON limit
  bodyTimeoutMs: 30_000,
  holdTimeoutMs: 30_000,
  graphStepTimeoutMs: 60_000, // above holdTimeoutMs: a step may wait for a scaled-to-zero service to start
  restartBackoffMs: 1_000,
  restartBackoffMaxMs: 30_000,
  storageMaxBytes: 4 * 1024 ** 3, // 4 GiB, as the storage initializer's default
  storageTimeoutMs: 60 * 60 * 1000, // 1 hour
  storageMaxRatio: 100,
  cacheMaxBytes: 16 * 1024 ** 3, // 16 GiB
  loadTimeoutMs: 5 * 60 * 1000, // 5 minutes
  standbyReplicas: 1,
  // Packing (a worker thread per model in a model host per namespace, each serving on its own ports): ~10 MiB per
  // extra model instead of ~60, at a process per model's rps (docs/multi-model.md "Density and isolation").
  modelsPerReplica: 100,
  workerHeapLimitBytes: 1024 ** 3, // 1 GiB
  scaleToZeroGraceMs: 30_000,
  revisionHistory: 5,
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
    help: 'address to listen on (default 127.0.0.1; 0.0.0.0 for all interfaces: auth is then on\nunless --insecure-allow-anonymous, docs/auth.md)',
  },
  state: { type: 'string', arg: 'DIR', help: 'state directory (default ~/.inferd, or INFERD_STATE)' },
  domain: { type: 'string', arg: 'D', help: 'domain of InferenceService URLs (default example.com)' },
  'pvc-root': { type: 'string', arg: 'DIR', help: 'folder that pvc://{claim}/... claims live in (default STATE/pvc)' },
  pvc: { type: 'string', multiple: true, arg: 'CLAIM=DIR', help: 'map one claim to a folder (repeatable)' },
  demo: { type: 'boolean', default: false, help: 'also serve the bundled sklearn-iris model in namespace default' },
  'log-level': { type: 'string', arg: 'L', help: 'debug|info|warn|error (default info)' },
  metrics: {
    type: 'string',
    arg: 'BOOL',
    help: "--metrics=false: the gateway records no per-request series on /metrics (default true,\nor INFERD_METRICS); gauges, the autoscaler's and the replicas' series stay",
  },
  'access-log': {
    type: 'string',
    arg: 'FILE|-',
    help: 'append a JSON line per model request (time, request_id, namespace, service, component,\nrevision, protocol, status, duration_ms) to FILE, or stdout with -; x-request-id is\nthen made up when missing and returned (default off, or INFERD_ACCESS_LOG)',
  },
  'storage-max-bytes': {
    type: 'string',
    arg: 'N',
    help: 'most bytes one model may download or unpack to: 500Mi, 64Gi, 10G or bytes\n(default 4Gi, or INFERD_STORAGE_MAX_BYTES); larger models fail with StorageTooLarge',
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
  'scale-to-zero-grace': {
    type: 'string',
    arg: 'D',
    help: 'time without traffic after which a revision with minReplicas: 0 drops to zero replicas\n(default 30s, or INFERD_SCALE_TO_ZERO_GRACE); a service overrides it with annotation\nautoscaling.knative.dev/scale-to-zero-pod-retention-period',
  },
  'image-map': {
    type: 'string',
    multiple: true,
    arg: 'FILE',
    help: 'YAML: image name or prefix → command, args, env, workingDir for custom containers\n(repeatable; after STATE/image-map.yaml; docs/containers.md)',
  },
  'container-engine': {
    type: 'string',
    arg: 'docker|podman',
    help: 'run container images the image map does not name in this engine (port published on\nloopback); default: such containers are Ready=False ImageNotRunnable',
  },
  'revision-history': {
    type: 'string',
    arg: 'N',
    help: 'old revisions of each service kept besides the latest, rolled-out and serving ones\n(default 5, or INFERD_REVISION_HISTORY); older ones are collected (docs/revisions.md)',
  },
  'models-per-replica': {
    type: 'string',
    arg: 'N',
    help: 'pack up to N sklearn/xgboost/lightgbm/onnx models of one namespace into one model-host\nprocess, a worker thread each serving on its own ports (default 100, or\nINFERD_MODELS_PER_REPLICA; 1: a process per model); ~10 MiB per extra model instead of ~60, same\nrps; a hung, crashing or runaway model fails alone, a host crash restarts its models',
  },
  'worker-heap-limit': {
    type: 'string',
    arg: 'N',
    help: "V8 heap limit of each packed model's worker thread: 256Mi, 2Gi (default 1Gi, or\nINFERD_WORKER_HEAP_LIMIT); past it only that model ends, reason OOMKilled",
  },
  'storage-max-ratio': {
    type: 'string',
    arg: 'R',
    help: 'an archive may unpack to at most R times its size, beyond a 32Mi floor (default 100,\nor INFERD_STORAGE_MAX_RATIO; 0 turns the check off); bombs fail with StorageTooLarge',
  },
  'cache-max-bytes': {
    type: 'string',
    arg: 'N',
    help: 'budget of the model download cache in STATE/cache (default 16Gi, or\nINFERD_CACHE_MAX_BYTES); least recently used models not in use are evicted past it',
  },
  'storage-allow-internal': {
    type: 'boolean',
    default: false,
    help: "let storageUri and storage endpoints reach link-local/cloud metadata addresses\nand inferd's own port (refused by default: SSRF; or INFERD_STORAGE_ALLOW_INTERNAL=1)",
  },
  'load-timeout': {
    type: 'string',
    arg: 'D',
    help: 'time a replica may take to load its model: 30s, 10m (default 5m, or\nINFERD_LOAD_TIMEOUT); past it the replica is killed and the service fails with\nModelLoadTimeout; a service overrides it with annotation serving.inferd.dev/load-timeout',
  },
  'max-body-bytes': {
    type: 'string',
    arg: 'N',
    help: 'largest model request body the gateway forwards: 16Mi, 100M or bytes (default 16Mi, or\nINFERD_MAX_BODY_BYTES; binary-extension requests up to 128Mi or N); larger ones get 413',
  },
  'body-timeout': {
    type: 'string',
    arg: 'D',
    help: "a model request's body must arrive within D (bodies up to 1 MiB) or at 32 KiB/s per D\n(larger ones), else 408 (default 30s, or INFERD_BODY_TIMEOUT)",
  },
  'allow-repository-api': {
    type: 'boolean',
    default: false,
    help: 'allow POST /v2/repository/models/NAME/load|unload (and the gRPC RPCs) through the\npublic port; without it they get 403 (docs/security.md)',
  },
  'allowed-hosts': {
    type: 'string',
    multiple: true,
    arg: 'H,...',
    help: 'Host names the control API (/api, /apis) answers besides loopback names, 127.0.0.1,\n::1 and the addresses it listens on: a name, .suffix for any subdomain, or * for any\n(default none, or INFERD_ALLOWED_HOSTS); others get 403 (DNS rebinding protection)',
  },
  'allowed-origins': {
    type: 'string',
    multiple: true,
    arg: 'O,...',
    help: 'browser origins (https://ui.example.com) allowed to call the control API besides its\nown (default none, or INFERD_ALLOWED_ORIGINS); others get 403 (CSRF protection)',
  },
  'tls-cert': {
    type: 'string',
    arg: 'FILE',
    help: 'serve HTTPS, HTTP/2 and gRPC over TLS on the port with this PEM certificate (chain),',
  },
  'tls-key': {
    type: 'string',
    arg: 'FILE',
    help: 'and its PEM private key (both or neither, or INFERD_TLS_CERT/INFERD_TLS_KEY);\nplain-HTTP clients then get 400; kill -HUP reloads them (docs/security.md#tls)',
  },
  python: {
    type: 'string',
    arg: 'PATH',
    help: 'python3 with scikit-learn for sklearn models the native runtime does not implement\n(default: the first of /usr/bin/python3, python3 that has it, or INFERD_PYTHON)',
  },
  'no-python': { type: 'boolean', default: false, help: 'turn that Python fallback off' },
  auth: {
    type: 'boolean',
    default: false,
    help: 'require an API token (Authorization: Bearer) on every route but health and readiness\n(default: on when --host is not a loopback address, off on loopback; or INFERD_AUTH=1);\ntokens: inferd token create --state DIR (docs/auth.md)',
  },
  'insecure-allow-anonymous': {
    type: 'boolean',
    default: false,
    help: 'serve a non-loopback address without auth (anyone who reaches the port can\nchange and call everything); prints a warning',
  },
  'oidc-issuer': {
    type: 'string',
    arg: 'URL',
    help: 'also accept JWTs from this OpenID Connect issuer (Dex, Keycloak, a Kubernetes\nservice-account issuer); roles from RoleBindings (docs/auth.md)',
  },
  'oidc-audience': {
    type: 'string',
    arg: 'AUD',
    help: "the audience (aud) the issuer's tokens must name (with --oidc-issuer)",
  },
  'oidc-groups-claim': { type: 'string', arg: 'CLAIM', help: "the claim listing the caller's groups (default groups)" },
  'oidc-username-claim': { type: 'string', arg: 'CLAIM', help: 'the claim naming the caller (default sub)' },
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
  const maxBodyBytes = sizeFlag(
    'max-body-bytes',
    values['max-body-bytes'] ?? env.INFERD_MAX_BODY_BYTES,
    SERVE_DEFAULTS.maxBodyBytes,
    '16Mi, 100M or 1000000',
    problems,
  );
  const bodyTimeoutMs = durationFlag(
    'body-timeout',
    values['body-timeout'] ?? env.INFERD_BODY_TIMEOUT,
    SERVE_DEFAULTS.bodyTimeoutMs,
    '10s or 1m',
    problems,
  );
  const storageMaxBytes = sizeFlag(
    'storage-max-bytes',
    values['storage-max-bytes'] ?? env.INFERD_STORAGE_MAX_BYTES,
    SERVE_DEFAULTS.storageMaxBytes,
    '500Mi, 64Gi or 1000000',
    problems,
  );
  const storageTimeoutMs = durationFlag(
    'storage-timeout',
    values['storage-timeout'] ?? env.INFERD_STORAGE_TIMEOUT,
    SERVE_DEFAULTS.storageTimeoutMs,
    '90s, 30m or 1h',
    problems,
  );
  const ratioText = values['storage-max-ratio'] ?? env.INFERD_STORAGE_MAX_RATIO;
  const storageMaxRatio = Number(ratioText ?? SERVE_DEFAULTS.storageMaxRatio);
  const ratioBlank = ratioText !== undefined && ratioText.trim() === '';
  if (ratioBlank || !Number.isFinite(storageMaxRatio) || storageMaxRatio < 0) {
    problems.push(`--storage-max-ratio: expected a number >= 0 (0: no cap), got '${ratioText}'`);
  }
  const cacheMaxBytes = sizeFlag(
    'cache-max-bytes',
    values['cache-max-bytes'] ?? env.INFERD_CACHE_MAX_BYTES,
    SERVE_DEFAULTS.cacheMaxBytes,
    '500Mi, 16Gi or 1000000',
    problems,
  );
  const allowInternalEnv = env.INFERD_STORAGE_ALLOW_INTERNAL;
  if (allowInternalEnv !== undefined && !['0', '1', 'true', 'false', ''].includes(allowInternalEnv)) {
    problems.push(`INFERD_STORAGE_ALLOW_INTERNAL: expected 1 or 0, got '${allowInternalEnv}'`);
  }
  const loadTimeoutMs = durationFlag(
    'load-timeout',
    values['load-timeout'] ?? env.INFERD_LOAD_TIMEOUT,
    SERVE_DEFAULTS.loadTimeoutMs,
    '30s, 5m or 1h',
    problems,
  );
  const standbyText = values['standby-replicas'] ?? env.INFERD_STANDBY_REPLICAS;
  const standbyReplicas = Number(standbyText ?? SERVE_DEFAULTS.standbyReplicas);
  if (!Number.isInteger(standbyReplicas) || standbyReplicas < 0 || standbyReplicas > 8) {
    problems.push(`--standby-replicas: expected 0-8, got '${standbyText}'`);
  }
  const scaleToZeroGraceMs = durationFlag(
    'scale-to-zero-grace',
    values['scale-to-zero-grace'] ?? env.INFERD_SCALE_TO_ZERO_GRACE,
    SERVE_DEFAULTS.scaleToZeroGraceMs,
    '30s or 5m',
    problems,
  );
  const engineText = values['container-engine'] as string | undefined;
  if (engineText !== undefined && engineText !== 'docker' && engineText !== 'podman') {
    problems.push(`--container-engine: expected docker or podman, got '${engineText}'`);
  }
  const historyText = values['revision-history'] ?? env.INFERD_REVISION_HISTORY;
  const revisionHistory = Number(historyText ?? SERVE_DEFAULTS.revisionHistory);
  if (!Number.isInteger(revisionHistory) || revisionHistory < 0 || revisionHistory > 1000) {
    problems.push(`--revision-history: expected 0-1000, got '${historyText}'`);
  }
  const packText = values['models-per-replica'] ?? env.INFERD_MODELS_PER_REPLICA;
  const modelsPerReplica = Number(packText ?? SERVE_DEFAULTS.modelsPerReplica);
  if (!Number.isInteger(modelsPerReplica) || modelsPerReplica < 1 || modelsPerReplica > 1000) {
    problems.push(`--models-per-replica: expected 1-1000, got '${packText}'`);
  }
  const workerHeapLimitBytes = sizeFlag(
    'worker-heap-limit',
    values['worker-heap-limit'] ?? env.INFERD_WORKER_HEAP_LIMIT,
    SERVE_DEFAULTS.workerHeapLimitBytes,
    '256Mi or 2Gi',
    problems,
  );
  if (workerHeapLimitBytes < 16 * 1024 ** 2) problems.push('--worker-heap-limit: expected at least 16Mi');
  const pvcRoots: Record<string, string> = {};
  for (const m of values.pvc ?? []) {
    const eq = m.indexOf('=');
    if (eq <= 0) problems.push(`--pvc: expected CLAIM=DIR, got '${m}'`);
    else pvcRoots[m.slice(0, eq)] = resolve(m.slice(eq + 1));
  }
  const domain = values.domain ?? env.INFERD_DOMAIN ?? SERVE_DEFAULTS.domain;
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(domain)) problems.push(`--domain: '${domain}' is not a DNS name`);
  if (values['no-python'] && values.python) problems.push('--python and --no-python: give one');
  const listOf = (flag: string[] | undefined, envValue: string | undefined) =>
    (flag ?? (envValue === undefined ? [] : [envValue]))
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
  const allowedHosts = listOf(values['allowed-hosts'], env.INFERD_ALLOWED_HOSTS).map((h) => h.toLowerCase());
  const allowedOrigins = listOf(values['allowed-origins'], env.INFERD_ALLOWED_ORIGINS);
  for (const o of allowedOrigins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+\/?$/.test(o)) {
      problems.push(`--allowed-origins: expected an origin like https://ui.example.com or *, got '${o}'`);
    }
  }
  const host = values.host ?? env.INFERD_HOST ?? SERVE_DEFAULTS.host;
  const authEnv = env.INFERD_AUTH;
  if (authEnv !== undefined && !['0', '1', 'true', 'false', ''].includes(authEnv)) {
    problems.push(`INFERD_AUTH: expected 1 or 0, got '${authEnv}'`);
  }
  const anonymous = values['insecure-allow-anonymous'] === true;
  const authAsked = values.auth === true || authEnv === '1' || authEnv === 'true';
  if (authAsked && anonymous) problems.push('--auth and --insecure-allow-anonymous: give one');
  // Open on a network address only when asked in so many words (docs/auth.md, "The switch").
  const auth = authAsked || (!isLoopbackHost(host) && !anonymous);
  const oidc = oidcConfig(values, problems);
  const metricsText = (values.metrics ?? env.INFERD_METRICS ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0', 'on', 'off'].includes(metricsText)) {
    problems.push(`--metrics: expected true or false, got '${values.metrics ?? env.INFERD_METRICS}'`);
  }
  const accessLog = values['access-log'] ?? env.INFERD_ACCESS_LOG;
  if (accessLog !== undefined && accessLog.trim() === '') problems.push("--access-log: expected a file or '-', got ''");
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
  const tlsCert = values['tls-cert'] ?? env.INFERD_TLS_CERT;
  const tlsKey = values['tls-key'] ?? env.INFERD_TLS_KEY;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new InferdError(
      'INVALID_CONFIG',
      tlsCert === undefined
        ? '--tls-key: needs --tls-cert FILE too (the certificate the key belongs to)'
        : "--tls-cert: needs --tls-key FILE too (the certificate's private key)",
    );
  }
  return Object.freeze({
    host,
    tls: tlsCert && tlsKey ? { certFile: resolve(tlsCert), keyFile: resolve(tlsKey) } : undefined,
    port,
    stateDir,
    domain,
    demo: values.demo === true,
    recordMetrics: !['false', '0', 'off'].includes(metricsText),
    ...(accessLog ? { accessLog: accessLog === '-' ? '-' : resolve(accessLog) } : {}),
    pvcRoot: resolve(values['pvc-root'] ?? join(stateDir, 'pvc')),
    pvcRoots,
    maxBodyBytes,
    bodyTimeoutMs: Math.round(bodyTimeoutMs),
    allowRepositoryApi: values['allow-repository-api'] === true,
    grpcLink: env.INFERD_GRPC_LINK !== 'off',
    holdTimeoutMs: SERVE_DEFAULTS.holdTimeoutMs,
    graphStepTimeoutMs: SERVE_DEFAULTS.graphStepTimeoutMs,
    restartBackoffMs: SERVE_DEFAULTS.restartBackoffMs,
    restartBackoffMaxMs: SERVE_DEFAULTS.restartBackoffMaxMs,
    logLevel,
    replicaEnv,
    processEnv: inheritedEnv(env),
    storageEnv,
    storageMaxBytes,
    storageTimeoutMs: Math.round(storageTimeoutMs),
    storageMaxRatio,
    cacheMaxBytes,
    storageAllowInternal:
      values['storage-allow-internal'] === true || allowInternalEnv === '1' || allowInternalEnv === 'true',
    loadTimeoutMs: Math.round(loadTimeoutMs),
    standbyReplicas,
    modelsPerReplica,
    workerHeapLimitBytes,
    scaleToZeroGraceMs: Math.round(scaleToZeroGraceMs),
    revisionHistory,
    ...(values['image-map'] ? { imageMaps: values['image-map'] as string[] } : {}),
    ...(engineText === 'docker' || engineText === 'podman' ? { containerEngine: engineText } : {}),
    allowedHosts,
    allowedOrigins,
    auth,
    anonymousOnNetwork: !auth && !isLoopbackHost(host),
    oidc,
  });
}

function oidcConfig(values: Record<string, unknown>, problems: string[]): ServeConfig['oidc'] {
  const issuer = values['oidc-issuer'] as string | undefined;
  const audience = values['oidc-audience'] as string | undefined;
  const groupsClaim = values['oidc-groups-claim'] as string | undefined;
  const usernameClaim = values['oidc-username-claim'] as string | undefined;
  if (issuer === undefined) {
    if (audience !== undefined || groupsClaim !== undefined || usernameClaim !== undefined)
      problems.push('--oidc-audience, --oidc-groups-claim and --oidc-username-claim need --oidc-issuer URL');
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {}
  if (
    !url ||
    (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ''))))
  ) {
    problems.push(`--oidc-issuer: expected an https:// URL (http:// only on loopback), got '${issuer}'`);
  }
  if (!audience) problems.push('--oidc-issuer needs --oidc-audience AUD (the client id its tokens are issued for)');
  return { issuer, audience: audience ?? '', groupsClaim, usernameClaim };
}

/** `127.0.0.1`, `127.x.y.z`, `::1`, `localhost`: addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
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

/** A positive size flag (its text from the flag or its env var), `fallback` when neither is set; a problem otherwise. */
function sizeFlag(
  flag: string,
  text: string | undefined,
  fallback: number,
  examples: string,
  problems: string[],
): number {
  const bytes = text === undefined ? fallback : parseByteSize(text);
  if (bytes === undefined || bytes <= 0) {
    problems.push(`--${flag}: expected a positive size like ${examples}, got '${text}'`);
    return fallback;
  }
  return bytes;
}

/** A positive duration flag in ms, `fallback` when neither the flag nor its env var is set; a problem otherwise. */
function durationFlag(
  flag: string,
  text: string | undefined,
  fallback: number,
  examples: string,
  problems: string[],
): number {
  if (text === undefined) return fallback;
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch {
    ms = Number.NaN;
  }
  if (!(ms >= 1)) problems.push(`--${flag}: expected a positive duration like ${examples}, got '${text}'`);
  return ms;
}

/** A byte count in Kubernetes quantity form (`500Mi`, `64Gi`, `10G`, `1000000`); undefined when it is not one. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(|k|K|M|G|T|Ki|Mi|Gi|Ti)B?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? Number.NaN));
  return Number.isSafeInteger(n) ? n : undefined;
}
