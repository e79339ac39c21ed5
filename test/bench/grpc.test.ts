// bench/grpc.ts: h2load's summary parsed, the hand-encoded iris request is the ModelInferRequest protobufjs
// reads, and the gRPC ratios and targets.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { type GrpcFigures, grpcRatios, irisGrpcRequest, parseH2load } from '../../bench/grpc.js';
import { checkTargets } from '../../bench/results.js';
import { PROTO_FILE } from '../server/grpc-client.js';

const H2LOAD = `starting benchmark...
finished in 10.00s, 5801.93 req/s, 685.79KB/s
requests: 58019 total, 58019 started, 58019 done, 58019 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 58019 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 6.70MB (7022929) total, 1.42MB (1485292) headers (space savings 93.02%), 2.76MB (2900950) data
                     min         max         mean         sd        +/- sd
time for request:      438us    165.91ms      2.66ms      5.40ms    96.90%
time for connect:      161us       263us       222us        47us    75.00%
`;

test('h2load summary: calls/s, mean and sd in ms, counts', () => {
  const r = parseH2load(H2LOAD);
  assert.equal(r.rps, 5801.93);
  assert.equal(r.mean_ms, 2.66);
  assert.equal(r.sd_ms, 5.4);
  assert.equal(r.max_ms, 165.91);
  assert.equal(r.requests, 58019);
  assert.equal(r.succeeded, 58019);
  assert.equal(r.status_2xx, 58019);
  assert.equal(r.status_other, 0);
  assert.equal(parseH2load(H2LOAD.replace('0 4xx', '3 4xx')).status_other, 3);
  assert.equal(parseH2load(H2LOAD.replace('2.66ms', '950us')).mean_ms, 0.95);
  assert.throws(() => parseH2load('h2load: connection refused'), /could not read/);
});

test('the iris request is a framed ModelInferRequest protobufjs reads as sent', () => {
  const def = protoLoader.loadSync(PROTO_FILE, { keepCase: true, longs: String, defaults: true, oneofs: true });
  const infer = (def['inference.GRPCInferenceService'] as unknown as Record<string, Record<string, unknown>>)
    .ModelInfer as { requestDeserialize(b: Buffer): Record<string, unknown> };
  const framed = irisGrpcRequest();
  assert.equal(framed[0], 0);
  assert.equal(framed.readUInt32BE(1), framed.length - 5);
  const req = infer.requestDeserialize(framed.subarray(5)) as {
    model_name: string;
    inputs: { name: string; datatype: string; shape: string[]; contents: { fp32_contents: number[] } }[];
  };
  assert.equal(req.model_name, 'sklearn-iris');
  assert.equal(req.inputs[0]!.name, 'input-0');
  assert.equal(req.inputs[0]!.datatype, 'FP32');
  assert.deepEqual(req.inputs[0]!.shape, ['2', '4']);
  const want = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
  for (const [i, v] of req.inputs[0]!.contents.fp32_contents.entries()) assert.ok(Math.abs(v - want[i]!) < 1e-6);
});

test('gRPC ratios: only from ok cases; the targets are >= 4x calls/s and <= 0.5x mean', () => {
  const c = (target: string, rps: number, mean: number, status: 'ok' | 'failed' = 'ok') => ({
    ...parseH2load(H2LOAD),
    target,
    rps,
    mean_ms: mean,
    sampled_status: ['0', '0'],
    status,
  });
  const g: GrpcFigures = { load: 'x', h2load: 'y', cases: [c('inferd-gateway', 10_000, 1.5), c('kserve', 2_000, 6)] };
  assert.deepEqual(grpcRatios(g, 20_000), {
    grpc_c4x4_rps_vs_kserve: 5,
    grpc_c4x4_mean_vs_kserve: 0.25,
    grpc_c4x4_vs_rest_v2_rps: 0.5,
  });
  const failed: GrpcFigures = { ...g, cases: [c('inferd-gateway', 10_000, 1.5), c('kserve', 2_000, 6, 'failed')] };
  assert.equal(grpcRatios(failed, undefined).grpc_c4x4_rps_vs_kserve, null);
  assert.equal(grpcRatios(undefined, undefined).grpc_c4x4_vs_rest_v2_rps, null);
  const checks = new Map(checkTargets(grpcRatios(g, null)).map((t) => [t.what, t]));
  assert.equal(checks.get('grpc_c4x4_rps_vs_kserve')?.met, true);
  assert.equal(checks.get('grpc_c4x4_mean_vs_kserve')?.met, true);
  const slow = new Map(
    checkTargets({ grpc_c4x4_rps_vs_kserve: 2.2, grpc_c4x4_mean_vs_kserve: 0.6 }).map((t) => [t.what, t]),
  );
  assert.equal(slow.get('grpc_c4x4_rps_vs_kserve')?.met, false);
  assert.equal(slow.get('grpc_c4x4_mean_vs_kserve')?.met, false);
});
