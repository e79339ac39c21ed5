import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CaseResult,
  type ColdStart,
  checkTargets,
  computeRatios,
  type Density,
  formatTable,
  validateResults,
} from '../../bench/results.js';

function kase(target: CaseResult['target'], name: string, over: Partial<CaseResult> = {}): CaseResult {
  return {
    name,
    target,
    payload: name.replace(/_c\d+$/, ''),
    connections: Number(/_c(\d+)$/.exec(name)?.[1] ?? 1),
    status: 'ok',
    duration_s: 8,
    rps: 1000,
    p50_ms: 1,
    p90_ms: 2,
    p99_ms: 3,
    mean_ms: 1.2,
    max_ms: 9,
    cpu_ms_per_req: 0.5,
    root_cpu_ms_per_req: 0.4,
    sys_cpu_pct: 40,
    server_cpu_cores: 0.9,
    wrk_cpu_cores: 0.2,
    rss_mib: 60,
    requests: 8000,
    non2xx: 0,
    socket_errors: 0,
    runs: 1,
    other_cpu_cores: 0.05,
    busy: false,
    ...over,
  };
}

const cold: ColdStart = {
  serve_start_to_ready_ms: 900,
  serve_start_to_listening_ms: 300,
  apply_to_first_answer_ms: 250,
  apply_to_first_answer_runs_ms: [250],
  kserve_start_to_ready_ms: 3100,
  kserve_start_to_first_answer_ms: 3200,
};
const density: Density = {
  points: [],
  mib_per_extra_model: 42.5,
  kserve_mib_per_model: 211,
  rss_mib_100_models: null,
  rss_100_extrapolated: false,
};

const cases = [
  kase('kserve', 'v1_c16', { rps: 1600, p99_ms: 15 }),
  kase('inferd-replica', 'v1_c16', { rps: 9600, p99_ms: 2.5 }),
  kase('inferd-gateway', 'v1_c16', { rps: 6000, p99_ms: 4 }),
  kase('bare-node', 'v1_c16', { rps: 10_000 }),
  kase('inferd-replica', 'v2_1mib_json_linear_c1', { mean_ms: 40 }),
  kase('inferd-replica', 'v2_1mib_binary_linear_c1', { mean_ms: 4 }),
  kase('inferd-replica', 'v2_1mib_json_c1', { mean_ms: 60 }),
  kase('inferd-replica', 'v2_1mib_binary_c1', { mean_ms: 40 }),
];

test('ratios: inferd/KServe rps and p99, gateway/bare, JSON/binary time, cold start, MiB per model', () => {
  const r = computeRatios(cases, cold, density);
  assert.equal(r.v1_c16_rps_vs_kserve, 6);
  assert.equal(r.v1_c16_p99_vs_kserve, 0.167);
  assert.equal(r.v1_c16_gateway_rps_vs_kserve, 3.75);
  assert.equal(r.gateway_v1_c16_rps_vs_bare, 0.6);
  assert.equal(r.binary_vs_json_1mib, 10, 'on the linear model (the protocol, DESIGN.md)');
  assert.equal(r.binary_vs_json_1mib_svc, 1.5);
  assert.equal(r.cold_start_ms, 250);
  assert.equal(r.mib_per_extra_model, 42.5);
  assert.equal(r.kserve_start_to_ready_ms, 3100);
});

test('a missing or failed case gives a null ratio, never a number', () => {
  const withFailed = cases.map((c) =>
    c.target === 'inferd-replica' && c.name === 'v2_1mib_binary_linear_c1'
      ? { ...c, status: 'not implemented' as const, rps: null, mean_ms: null }
      : c,
  );
  const r = computeRatios(withFailed, cold, density);
  assert.equal(r.binary_vs_json_1mib, null);
  assert.equal(computeRatios([], cold, density).v1_c16_rps_vs_kserve, null);
  assert.equal(
    computeRatios([kase('kserve', 'v1_c16', { rps: 0 }), kase('inferd-replica', 'v1_c16')], cold, density)
      .v1_c16_rps_vs_kserve,
    null,
  );
});

test('targets: met, not met, not measured', () => {
  const checks = new Map(checkTargets(computeRatios(cases, cold, density)).map((c) => [c.what, c]));
  assert.equal(checks.get('v1_c16_rps_vs_kserve')?.met, true);
  assert.equal(checks.get('v1_c16_p99_vs_kserve')?.met, true);
  assert.equal(checks.get('gateway_v1_c16_rps_vs_bare')?.met, true);
  assert.equal(checks.get('binary_vs_json_1mib')?.met, true, '>= 10 on the linear model');
  assert.equal(checks.get('cold_start_ms')?.met, true);
  assert.equal(checks.get('mib_per_extra_model')?.met, false);
  const none = new Map(checkTargets({}).map((c) => [c.what, c]));
  assert.equal(none.get('cold_start_ms')?.met, null);
  // Issue 15: the transformer hop is a target (≤ 0.3 ms), not just a figure.
  assert.equal(none.get('transformer_hop_ms')?.met, null);
  const hop = (v: number) => checkTargets({ transformer_hop_ms: v }).find((c) => c.what === 'transformer_hop_ms');
  assert.deepEqual([hop(0.25)?.met, hop(0.8)?.met, hop(0.8)?.goal], [true, false, '<= 0.3']);
});

test('results JSON shape: the required keys, and what is wrong when they are not there', () => {
  const good = {
    cases,
    ratios: computeRatios(cases, cold, density),
    machine: { cpus: 2 },
    runs: { mode: 'quick' },
  };
  assert.deepEqual(validateResults(JSON.parse(JSON.stringify(good))), []);
  const bad = validateResults({ cases: [{ name: 'v1_c16', target: 'kserve', status: 'ok', rps: 'fast' }], ratios: {} });
  assert.ok(bad.includes('cases[0].rps: not a number or null'));
  assert.ok(bad.includes('cases[0].p50_ms: not a number or null'));
  assert.ok(bad.includes('ratios.v1_c16_rps_vs_kserve: missing'));
  assert.ok(bad.includes('machine: not an object'));
  assert.deepEqual(validateResults(null), ['results: not an object']);
});

test('table: one row per case, not-implemented cases say so', () => {
  const t = formatTable([
    ...cases,
    kase('inferd-gateway', 'v2_1mib_binary_c1', { status: 'not implemented', note: 'status 400' }),
  ]);
  const lines = t.split('\n');
  assert.equal(lines.length, 2 + cases.length + 1);
  assert.match(lines[2]!, /^\| v1_c16 \| kserve \| 1600 \|/);
  assert.match(lines[lines.length - 1]!, /not implemented: status 400/);
});
