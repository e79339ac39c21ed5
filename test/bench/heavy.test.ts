// The heavy-model part of the bench: its ratios come from the right cases, its targets are checked, and its
// payloads carry the batch the way inferd and KServe read it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heavyPayload, heavyRatios } from '../../bench/heavy.js';
import type { KernelTime } from '../../bench/kernels.js';
import { type CaseResult, checkTargets } from '../../bench/results.js';

function okCase(target: CaseResult['target'], name: string, rps: number, p99: number): CaseResult {
  return {
    name,
    target,
    payload: name.replace(/_c\d+$/, ''),
    connections: Number(name.split('_c').at(-1)),
    status: 'ok',
    duration_s: 5,
    rps,
    p50_ms: p99 / 2,
    p90_ms: p99,
    p99_ms: p99,
    mean_ms: p99 / 2,
    max_ms: p99,
    cpu_ms_per_req: 1,
    root_cpu_ms_per_req: 1,
    sys_cpu_pct: 1,
    server_cpu_cores: 1,
    wrk_cpu_cores: 0.1,
    rss_mib: 100,
    requests: 100,
    non2xx: 0,
    socket_errors: 0,
    runs: 1,
    other_cpu_cores: 0,
    busy: false,
  };
}

test('heavy ratios: gateway against KServe at c4 (rps) and c1 (p99), kernel against native', () => {
  const cases = [
    okCase('inferd-gateway', 'heavy_xgboost_1000_json_c4', 90, 50),
    okCase('kserve', 'heavy_xgboost_1000_json_c4', 30, 200),
    okCase('inferd-gateway', 'heavy_xgboost_1000_json_c1', 40, 20),
    okCase('kserve', 'heavy_xgboost_1000_json_c1', 20, 80),
    okCase('inferd-replica', 'heavy_rf_1000_json_c4', 90, 50), // not the gateway: not used
    okCase('kserve', 'heavy_rf_1000_json_c4', 30, 200),
  ];
  const kernels: KernelTime[] = [
    {
      model: 'xgboost',
      inferd_ms: 9,
      native_single_thread_ms: 7.5,
      native_two_thread_ms: 3.9,
      ratio_to_native: 1.2,
      inferd_two_thread_ms: 6,
      two_thread_ratio_to_native: 0.8,
      agrees: true,
    },
  ];
  const r = heavyRatios(cases, kernels);
  assert.equal(r.heavy_xgboost_1000_c4_rps_vs_kserve, 3);
  assert.equal(r.heavy_xgboost_1000_c1_p99_vs_kserve, 0.25);
  assert.equal(r.heavy_xgboost_kernel_vs_native, 1.2);
  assert.equal(r.heavy_rf_1000_c4_rps_vs_kserve, null);
  assert.equal(r.heavy_gb_kernel_vs_native, null);
  const checks = new Map(checkTargets(r).map((c) => [c.what, c.met]));
  assert.equal(checks.get('heavy_xgboost_1000_c4_rps_vs_kserve'), true);
  assert.equal(checks.get('heavy_xgboost_1000_c1_p99_vs_kserve'), true);
  assert.equal(checks.get('heavy_xgboost_kernel_vs_native'), true);
  assert.equal(r.heavy_xgboost_kernel_two_threads_vs_native, 0.8);
  assert.equal(checks.get('heavy_xgboost_kernel_two_threads_vs_native'), true);
  assert.equal(checks.get('heavy_rf_1000_c4_rps_vs_kserve'), null);
});

test('heavy payloads: JSON text and binary bytes carry the same float32 rows', () => {
  const x = Float32Array.from({ length: 3 * 20 }, (_, i) => Math.fround(Math.round((i - 30) * 7.3) / 100));
  const json = heavyPayload('rf', x, 2, false);
  const body = JSON.parse(json.body.toString()) as { inputs: { name: string; shape: number[]; data: number[][] }[] };
  assert.equal(body.inputs[0]!.name, 'input-0');
  assert.deepEqual(body.inputs[0]!.shape, [2, 20]);
  assert.deepEqual(Float32Array.from(body.inputs[0]!.data.flat()), x.subarray(0, 40));
  const bin = heavyPayload('onnx', x, 2, true);
  const headerLen = Number(bin.headers['Inference-Header-Content-Length']);
  const header = JSON.parse(bin.body.subarray(0, headerLen).toString()) as { inputs: { name: string }[] };
  assert.equal(header.inputs[0]!.name, 'input');
  const raw = bin.body.subarray(headerLen);
  assert.deepEqual(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)), x.subarray(0, 40));
  assert.match(
    json.check({ status: 200, headers: {}, rawHeaders: [], body: Buffer.from('{"outputs":[{"data":[1,0]}]}') }) ?? 'ok',
    /^ok$/,
  );
  assert.match(
    json.check({ status: 200, headers: {}, rawHeaders: [], body: Buffer.from('{"outputs":[{"data":[1]}]}') }) ?? '',
    /2 answers/,
  );
});
