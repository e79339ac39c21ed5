// The shape of bench/results/latest.json, the ratios the design's performance targets are stated in, and
// the printed table. Pure (unit-tested in test/bench/).

export type Target = 'inferd-gateway' | 'inferd-replica' | 'inferd-sdk' | 'kserve' | 'bare-node';
export type CaseStatus = 'ok' | 'failed' | 'not implemented' | 'skipped';

export interface CaseResult {
  /** `{payload}_c{connections}` e.g. v1_c16, v2_1mib_binary_c1. Unique together with target. */
  name: string;
  target: Target;
  payload: string;
  connections: number;
  status: CaseStatus;
  duration_s: number;
  rps: number | null;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  mean_ms: number | null;
  max_ms: number | null;
  /** CPU time of the server's process tree (incl. child processes) per completed request. */
  cpu_ms_per_req: number | null;
  /** The same for the root process alone: for inferd serve that is the gateway without its replicas. */
  root_cpu_ms_per_req: number | null;
  /** Share of the server tree's CPU spent in the kernel (stime): syscalls, loopback TCP. */
  sys_cpu_pct: number | null;
  /** CPU cores the server tree used on average during the run. */
  server_cpu_cores: number | null;
  /** CPU cores wrk itself used. */
  wrk_cpu_cores: number | null;
  /** Sum of VmRSS over the server's process tree after the run. */
  rss_mib: number | null;
  requests: number | null;
  non2xx: number | null;
  socket_errors: number | null;
  /** How many measured runs this figure took (> 1 when the machine was busy). */
  runs: number;
  /** CPU cores used by processes that are not part of this case, during the chosen run. */
  other_cpu_cores: number | null;
  /** true when even the chosen (least disturbed) run was above the busy threshold. */
  busy: boolean;
  note?: string;
}

export interface ColdStart {
  /** `inferd serve --demo` start → the demo service answers its first prediction. */
  serve_start_to_ready_ms: number | null;
  /** `inferd serve` start → `inferd listening` printed. */
  serve_start_to_listening_ms: number | null;
  /** POST of an InferenceService to the control API → its first successful prediction (median). */
  apply_to_first_answer_ms: number | null;
  apply_to_first_answer_runs_ms: number[];
  /** KServe's sklearnserver process start → /v2/health/ready 200 → first prediction. */
  kserve_start_to_ready_ms: number | null;
  kserve_start_to_first_answer_ms: number | null;
  note?: string;
}

export interface DensityPoint {
  models_applied: number;
  models_ready: number;
  processes: number;
  rss_mib: number;
  wait_ms: number;
}

export interface Density {
  points: DensityPoint[];
  /** (RSS at the largest point − RSS at 1 model) / (ready models − 1). */
  mib_per_extra_model: number | null;
  /** RSS of KServe's one-model server from the throughput cases, for comparison. */
  kserve_mib_per_model: number | null;
  /** The 100-model figure: measured, or extrapolated from the largest measured point. */
  rss_mib_100_models: number | null;
  rss_100_extrapolated: boolean;
  note?: string;
}

export interface Results {
  cases: CaseResult[];
  ratios: Record<string, number | null>;
  cold_start: ColdStart;
  density: Density;
  /** Issue 14's traffic figures (bench/traffic.ts); absent when they were not run. */
  traffic?: unknown;
  /** Multi-model serving: TrainedModels in one parent (bench/trained-models.ts); absent when skipped. */
  trained_models?: unknown;
  transformer_hop?: unknown;
  /** Issue 18: metrics on ÷ off, the access log, recording micro-bench (bench/metrics-overhead.ts). */
  metrics_overhead?: unknown;
  /** V2 gRPC through the gateway against KServe's gRPC port (bench/grpc.ts); absent when skipped. */
  grpc_vs_kserve?: unknown;
  /** The heavy models' kernel times and native references (bench/heavy.ts); absent when they were skipped. */
  heavy?: unknown;
  profile?: unknown;
  machine: {
    cpus: number;
    cpu_model: string;
    mem_gib: number;
    node: string;
    os: string;
    wrk: string;
    /** /proc/loadavg at the start and end of the run. */
    loadavg_start: string;
    loadavg_end: string;
    note: string;
  };
  runs: {
    mode: 'quick' | 'full';
    started_at: string;
    wall_s: number;
    case_runs_total: number;
    cases_repeated: number;
    cases_busy: number;
    max_runs_per_case: number;
    busy_threshold_cores: number;
  };
}

/** mib_per_extra_model from the smallest and largest measured points; 100 models measured or extrapolated. */
export function summarizeDensity(
  points: DensityPoint[],
): Pick<Density, 'mib_per_extra_model' | 'rss_mib_100_models' | 'rss_100_extrapolated'> & { note?: string } {
  const ok = points.filter((p) => p.models_ready >= 1);
  const first = ok[0];
  const last = ok[ok.length - 1];
  if (!first || !last || last.models_ready <= first.models_ready)
    return { mib_per_extra_model: null, rss_mib_100_models: null, rss_100_extrapolated: false };
  const per = (last.rss_mib - first.rss_mib) / (last.models_ready - first.models_ready);
  const at100 = ok.find((p) => p.models_ready === 100);
  if (at100)
    return { mib_per_extra_model: round(per, 1), rss_mib_100_models: at100.rss_mib, rss_100_extrapolated: false };
  return {
    mib_per_extra_model: round(per, 1),
    rss_mib_100_models: round(first.rss_mib + per * (100 - first.models_ready), 0),
    rss_100_extrapolated: true,
    note: `100 models not measured: extrapolated linearly from ${first.models_ready} and ${last.models_ready} ready models`,
  };
}

export function findCase(cases: CaseResult[], target: Target, name: string): CaseResult | undefined {
  return cases.find((c) => c.target === target && c.name === name && c.status === 'ok');
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b))
    return null;
  if (b === 0) return null;
  return round(a / b, 3);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The design's targets as ratios. "inferd" alone means the replica hit directly (like for like with
 * KServe's server, which is also hit directly); `_gateway_` variants go through inferd's gateway.
 * binary_vs_json = JSON mean latency / binary mean latency at 1 connection, on a linear model (the logistic
 * regression: the protocol's cost, as DESIGN.md's target says); `_svc` on the iris SVC, whose arithmetic dominates.
 */
export function computeRatios(cases: CaseResult[], cold: ColdStart, density: Density): Record<string, number | null> {
  const c = (t: Target, n: string) => findCase(cases, t, n);
  const r: Record<string, number | null> = {
    v1_c16_rps_vs_kserve: ratio(c('inferd-replica', 'v1_c16')?.rps, c('kserve', 'v1_c16')?.rps),
    v1_c16_p99_vs_kserve: ratio(c('inferd-replica', 'v1_c16')?.p99_ms, c('kserve', 'v1_c16')?.p99_ms),
    v1_c16_gateway_rps_vs_kserve: ratio(c('inferd-gateway', 'v1_c16')?.rps, c('kserve', 'v1_c16')?.rps),
    v1_c16_gateway_p99_vs_kserve: ratio(c('inferd-gateway', 'v1_c16')?.p99_ms, c('kserve', 'v1_c16')?.p99_ms),
    v2_c16_rps_vs_kserve: ratio(c('inferd-replica', 'v2_c16')?.rps, c('kserve', 'v2_c16')?.rps),
    gateway_v1_c16_rps_vs_bare: ratio(c('inferd-gateway', 'v1_c16')?.rps, c('bare-node', 'v1_c16')?.rps),
    replica_v1_c16_rps_vs_bare: ratio(c('inferd-replica', 'v1_c16')?.rps, c('bare-node', 'v1_c16')?.rps),
    gateway_v1_c16_rps_vs_replica: ratio(c('inferd-gateway', 'v1_c16')?.rps, c('inferd-replica', 'v1_c16')?.rps),
    // Issue 15: a TypeScript SDK model (`inferd run`) on the same iris logic as the built-in sklearn replica.
    sdk_vs_builtin_rps: ratio(c('inferd-sdk', 'v1_c16')?.rps, c('inferd-replica', 'v1_c16')?.rps),
    binary_vs_json_1mib: ratio(
      c('inferd-replica', 'v2_1mib_json_linear_c1')?.mean_ms,
      c('inferd-replica', 'v2_1mib_binary_linear_c1')?.mean_ms,
    ),
    binary_vs_json_1mib_svc: ratio(
      c('inferd-replica', 'v2_1mib_json_c1')?.mean_ms,
      c('inferd-replica', 'v2_1mib_binary_c1')?.mean_ms,
    ),
    json_1mib_vs_kserve_latency: ratio(
      c('inferd-replica', 'v2_1mib_json_c1')?.mean_ms,
      c('kserve', 'v2_1mib_json_c1')?.mean_ms,
    ),
    cold_start_ms: cold.apply_to_first_answer_ms,
    serve_start_to_ready_ms: cold.serve_start_to_ready_ms,
    kserve_start_to_ready_ms: cold.kserve_start_to_ready_ms,
    mib_per_extra_model: density.mib_per_extra_model,
    kserve_mib_per_model: density.kserve_mib_per_model,
  };
  return r;
}

export interface TargetCheck {
  what: string;
  value: number | null;
  goal: string;
  met: boolean | null;
}

/** The design's performance targets, checked against the ratios (null: not measured). */
export function checkTargets(r: Record<string, number | null>): TargetCheck[] {
  const t = (what: string, value: number | null, goal: string, ok: (v: number) => boolean): TargetCheck => ({
    what,
    value,
    goal,
    met: value === null ? null : ok(value),
  });
  return [
    t('v1_c16_rps_vs_kserve', r.v1_c16_rps_vs_kserve ?? null, '>= 5', (v) => v >= 5),
    t('v1_c16_p99_vs_kserve', r.v1_c16_p99_vs_kserve ?? null, '<= 0.2', (v) => v <= 0.2),
    t('gateway_v1_c16_rps_vs_bare', r.gateway_v1_c16_rps_vs_bare ?? null, '>= 0.5', (v) => v >= 0.5),
    t('binary_vs_json_1mib', r.binary_vs_json_1mib ?? null, '>= 10', (v) => v >= 10),
    t('cold_start_ms', r.cold_start_ms ?? null, '<= 300', (v) => v <= 300),
    t('mib_per_extra_model', r.mib_per_extra_model ?? null, '<= 10', (v) => v <= 10),
    // Issue 16: multi-model serving.
    t('trained_model_mib_per_extra_model', r.trained_model_mib_per_extra_model ?? null, '<= 10', (v) => v <= 10),
    t('load_1000_models_s', r.load_1000_models_s ?? null, '<= 60', (v) => v <= 60),
    t('tm_one_of_1000_rps_vs_lone', r.tm_one_of_1000_rps_vs_lone ?? null, '>= 0.9', (v) => v >= 0.9),
    t('sdk_vs_builtin_rps', r.sdk_vs_builtin_rps ?? null, '>= 0.8', (v) => v >= 0.8),
    t('transformer_hop_ms', r.transformer_hop_ms ?? null, '<= 0.3', (v) => v <= 0.3),
    t('metrics_overhead', r.metrics_overhead ?? null, '>= 0.97', (v) => v >= 0.97),
    // Issue 20 item 4: V2 gRPC on iris through the gateway, h2load 4×4.
    t('grpc_c4x4_rps_vs_kserve', r.grpc_c4x4_rps_vs_kserve ?? null, '>= 4', (v) => v >= 4),
    t('grpc_c4x4_mean_vs_kserve', r.grpc_c4x4_mean_vs_kserve ?? null, '<= 0.5', (v) => v <= 0.5),
    // Issue 14: traffic and scaling (full run or --traffic-only).
    t('cold_from_zero_ms', r.cold_from_zero_ms ?? null, '<= 300 (p50)', (v) => v <= 300),
    t('cold_from_zero_p99_ms', r.cold_from_zero_p99_ms ?? null, '<= 1000', (v) => v <= 1000),
    t('scale_out_rps_ratio', r.scale_out_rps_ratio ?? null, '> 1.5', (v) => v > 1.5),
    t('canary_overhead', r.canary_overhead ?? null, '>= 0.95', (v) => v >= 0.95),
    // Issue 20: heavy models, 1,000-row batches.
    ...['xgboost', 'rf', 'gb', 'mlp'].flatMap((m) => [
      t(`heavy_${m}_1000_c4_rps_vs_kserve`, r[`heavy_${m}_1000_c4_rps_vs_kserve`] ?? null, '>= 2', (v) => v >= 2),
      t(`heavy_${m}_1000_c1_p99_vs_kserve`, r[`heavy_${m}_1000_c1_p99_vs_kserve`] ?? null, '<= 0.5', (v) => v <= 0.5),
    ]),
    ...['xgboost', 'rf', 'gb', 'mlp'].map((m) =>
      t(`heavy_${m}_kernel_vs_native`, r[`heavy_${m}_kernel_vs_native`] ?? null, '<= 1.2', (v) => v <= 1.2),
    ),
    ...['xgboost', 'rf', 'gb', 'mlp'].map((m) =>
      t(
        `heavy_${m}_kernel_two_threads_vs_native`,
        r[`heavy_${m}_kernel_two_threads_vs_native`] ?? null,
        '< 1',
        (v) => v < 1,
      ),
    ),
  ];
}

const fmt = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '-' : v.toFixed(d));

/** Markdown table of the cases (what `npm run bench` prints and docs/benchmarks.md shows). */
export function formatTable(cases: CaseResult[]): string {
  const head =
    '| case | target | rps | p50 ms | p99 ms | CPU ms/req | sys % | RSS MiB | runs | other CPU (cores) | note |\n' +
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|';
  const rows = cases.map((c) => {
    if (c.status !== 'ok')
      return `| ${c.name} | ${c.target} | - | - | - | - | - | - | ${c.runs} | - | ${c.status}${c.note ? `: ${c.note.slice(0, 120)}` : ''} |`;
    const notes = [
      c.busy ? 'busy machine' : '',
      c.non2xx ? `${c.non2xx} non-2xx` : '',
      c.socket_errors ? `${c.socket_errors} socket errors` : '',
      c.note ?? '',
    ]
      .filter(Boolean)
      .join('; ');
    return `| ${c.name} | ${c.target} | ${fmt(c.rps, 0)} | ${fmt(c.p50_ms, 2)} | ${fmt(c.p99_ms, 2)} | ${fmt(c.cpu_ms_per_req, 3)} | ${fmt(c.sys_cpu_pct, 0)} | ${fmt(c.rss_mib, 0)} | ${c.runs} | ${fmt(c.other_cpu_cores, 2)} | ${notes} |`;
  });
  return [head, ...rows].join('\n');
}

export function formatRatios(r: Record<string, number | null>): string {
  const checks = new Map(checkTargets(r).map((c) => [c.what, c]));
  const lines = ['| ratio | value | target |', '|---|--:|---|'];
  for (const [k, v] of Object.entries(r)) {
    const c = checks.get(k);
    const target = c ? `${c.goal} ${c.met === null ? '(not measured)' : c.met ? 'met' : 'NOT met'}` : '';
    lines.push(`| ${k} | ${v === null ? '-' : v} | ${target} |`);
  }
  return lines.join('\n');
}

/** Problems with a results object's shape (empty when it is well-formed). */
export function validateResults(x: unknown): string[] {
  const problems: string[] = [];
  if (!x || typeof x !== 'object') return ['results: not an object'];
  const o = x as Record<string, unknown>;
  if (!Array.isArray(o.cases)) problems.push('cases: not an array');
  else
    o.cases.forEach((c, i) => {
      const cc = c as Record<string, unknown>;
      for (const k of ['name', 'target', 'status'])
        if (typeof cc[k] !== 'string') problems.push(`cases[${i}].${k}: not a string`);
      for (const k of ['rps', 'p50_ms', 'p99_ms', 'rss_mib'])
        if (!(k in cc) || (cc[k] !== null && typeof cc[k] !== 'number'))
          problems.push(`cases[${i}].${k}: not a number or null`);
      if (cc.status === 'ok' && typeof cc.rps !== 'number') problems.push(`cases[${i}].rps: ok case without rps`);
      if (typeof cc.runs !== 'number' || (cc.runs as number) < 0) problems.push(`cases[${i}].runs: not a count`);
    });
  if (!o.ratios || typeof o.ratios !== 'object') problems.push('ratios: not an object');
  else
    for (const k of [
      'v1_c16_rps_vs_kserve',
      'v1_c16_p99_vs_kserve',
      'gateway_v1_c16_rps_vs_bare',
      'binary_vs_json_1mib',
      'cold_start_ms',
      'mib_per_extra_model',
    ]) {
      const v = (o.ratios as Record<string, unknown>)[k];
      if (!(k in (o.ratios as object)) || (v !== null && typeof v !== 'number')) problems.push(`ratios.${k}: missing`);
    }
  if (!o.machine || typeof o.machine !== 'object') problems.push('machine: not an object');
  if (!o.runs || typeof o.runs !== 'object') problems.push('runs: not an object');
  return problems;
}
