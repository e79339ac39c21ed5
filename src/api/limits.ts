// What a predictor may use while it loads and runs: `resources.limits.memory` / `.cpu` (Kubernetes quantities)
// and the load timeout annotation. Pure parsing for validation and for the controller; how the limits are
// enforced on a local process lives in controllers/replicas (docs/security.md, "Resource limits").

/** Per-service load timeout, a Go duration (`30s`, `10m`); default: `inferd serve --load-timeout`. */
export const LOAD_TIMEOUT_ANNOTATION = 'serving.inferd.dev/load-timeout';

/**
 * Threads a replica's model may use for one large batch (runtimes/intra-op), an integer 1-64: forces what
 * intraOpThreadsFor would otherwise derive from `resources.limits.cpu`.
 */
export const INTRA_OP_THREADS_ANNOTATION = 'serving.inferd.dev/intra-op-threads';
export const MAX_INTRA_OP_THREADS = 64;

/** The limits a replica runs under; each is absent when the manifest sets none. */
export interface ReplicaLimits {
  /** `resources.limits.memory` in bytes. */
  memoryBytes?: number;
  /** `resources.limits.cpu` in cores (`500m` → 0.5). */
  cpu?: number;
}

const BINARY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * A Kubernetes resource quantity (`256Mi`, `1G`, `500m`, `1e9`, `2`) as a number; undefined when it is not one.
 * Numbers are accepted as they are (YAML `memory: 1000000000`).
 */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  const value =
    m[3] !== undefined ? n * 10 ** Number(m[3]) : n * (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix] ?? Number.NaN);
  return Number.isFinite(value) ? value : undefined;
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A positive Go-style duration (`30s`, `1m30s`, `500ms`, `2h`) in milliseconds; undefined otherwise. */
export function parseDurationText(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^((\d+(\.\d+)?)(ms|s|m|h))+$/.test(text.trim())) return undefined;
  let total = 0;
  for (const part of text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(part[1]) * (DURATION_UNIT_MS[part[2]!] ?? Number.NaN);
  }
  return total >= 1 && Number.isFinite(total) ? Math.round(total) : undefined;
}

/** The limits in a container's `resources` (undefined fields when absent or not quantities: validation reports those). */
export function limitsOf(resources: unknown): ReplicaLimits {
  const limits = isRecord(resources) && isRecord(resources['limits']) ? resources['limits'] : {};
  const out: ReplicaLimits = {};
  const memory = parseQuantity(limits['memory']);
  if (memory !== undefined && memory > 0) out.memoryBytes = Math.floor(memory);
  const cpu = parseQuantity(limits['cpu']);
  if (cpu !== undefined && cpu > 0) out.cpu = cpu;
  return out;
}

/** Problems with `resources.limits`/`requests` quantities, as `{subpath, message}` relative to `resources`. */
export function resourceQuantityProblems(resources: Record<string, unknown>): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  for (const section of ['limits', 'requests']) {
    const values = resources[section];
    if (!isRecord(values)) continue;
    for (const [name, q] of Object.entries(values)) {
      if (parseQuantity(q) === undefined) {
        out.push({
          path: [section, name],
          message: `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (e.g. 256Mi, 1Gi, 500m, 2), got ${JSON.stringify(q)}`,
        });
      }
    }
  }
  const mem = isRecord(resources['limits']) ? parseQuantity(resources['limits']['memory']) : undefined;
  if (mem !== undefined && mem > 0 && mem < MIN_MEMORY_LIMIT_BYTES) {
    out.push({
      path: ['limits', 'memory'],
      message: `a model server needs at least 64Mi; got ${JSON.stringify((resources['limits'] as Record<string, unknown>)['memory'])}`,
    });
  }
  return out;
}

/** Below this a Node model server cannot even start (its own heap and code take ~40 MiB). */
export const MIN_MEMORY_LIMIT_BYTES = 64 * 2 ** 20;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `inferd serve --load-timeout`'s default: a model that has not loaded in 5 minutes is stuck, not slow. */
export const DEFAULT_LOAD_TIMEOUT_MS = 5 * 60_000;

/** The load timeout of a service: its annotation, else serve's default; `source` says which, for messages. */
export function loadTimeoutFor(
  annotations: Record<string, string> | undefined,
  serveDefaultMs: number,
): { loadTimeoutMs: number; loadTimeoutSource: string } {
  const text = annotations?.[LOAD_TIMEOUT_ANNOTATION];
  const fromAnnotation = parseDurationText(text);
  if (fromAnnotation !== undefined) {
    return { loadTimeoutMs: fromAnnotation, loadTimeoutSource: `annotation ${LOAD_TIMEOUT_ANNOTATION}: ${text}` };
  }
  return { loadTimeoutMs: serveDefaultMs, loadTimeoutSource: 'the default of inferd serve --load-timeout' };
}

/**
 * What `resources.limits.cpu` can become without root: thread counts. Node's libuv pool (file and zlib work),
 * OpenMP/BLAS in the Python fallback, onnxruntime's intra-op pool. CPU time itself is not capped (no cgroup).
 */
export function threadEnvFor(limits: ReplicaLimits): Record<string, string> {
  if (limits.cpu === undefined) return {};
  const threads = String(Math.max(1, Math.ceil(limits.cpu)));
  return {
    UV_THREADPOOL_SIZE: String(Math.min(4, Math.max(1, Math.ceil(limits.cpu)))), // libuv's default is 4: never raise it
    OMP_NUM_THREADS: threads,
    OPENBLAS_NUM_THREADS: threads,
    MKL_NUM_THREADS: threads,
    ORT_INTRA_OP_NUM_THREADS: threads,
  };
}

/** The annotation's value as a thread count; undefined when it is not an integer in [1, MAX_INTRA_OP_THREADS]. */
export function parseIntraOpThreads(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_INTRA_OP_THREADS ? n : undefined;
}

/**
 * Threads one call of a replica may use (env INFERD_INTRA_OP_THREADS), the calling thread included:
 * - the annotation, when set (validated), whatever the machine;
 * - else `inferd serve`'s own INFERD_INTRA_OP_THREADS, when set (an operator's default for every service);
 * - else `resources.limits.cpu` rounded down (at least 1): each replica has its own limit, as each Pod does;
 * - else the cores the replicas that always run (minReplicas, at least 1) leave each other, at most 2: a replica
 *   that shares the machine with others must not take every core for one request.
 * Only calls large enough to pay for a thread hop use more than one (docs/operations.md, "Threads").
 */
export function intraOpThreadsFor(opts: {
  annotations: Record<string, string> | undefined;
  limits: ReplicaLimits;
  minReplicas: number | undefined;
  cores: number;
  serveDefault?: string | undefined;
}): number {
  const forced = parseIntraOpThreads(opts.annotations?.[INTRA_OP_THREADS_ANNOTATION]);
  if (forced !== undefined) return forced;
  const serve = parseIntraOpThreads(opts.serveDefault);
  if (serve !== undefined) return serve;
  if (opts.limits.cpu !== undefined) return Math.max(1, Math.floor(opts.limits.cpu));
  const replicas = Math.max(1, Math.floor(opts.minReplicas ?? 1));
  return Math.max(1, Math.min(DEFAULT_INTRA_OP_THREADS, Math.floor(opts.cores / replicas)));
}

/** Without a CPU limit or the annotation: 2 threads where the cores allow (issue 20: "min(cores, 2)"). */
export const DEFAULT_INTRA_OP_THREADS = 2;
