// Issue 14's figures on the running `inferd serve` (through its gateway):
// - cold_from_zero_ms: a service with minReplicas 0 that the autoscaler took to zero; the time of the first
//   answer (the activator holds it while a replica starts; the model files stay in the cache). p50 and p99
//   over several runs.
// - scale_out_rps_ratio: throughput of a CPU-bound request (V1, 2,000 iris rows) at 32 connections with 2
//   replicas against 1 (minReplicas = maxReplicas, so the autoscaler's ramp is not measured).
// - canary_overhead: gateway rps with a 50/50 canary split over two revisions of one replica each, against one
//   revision with two replicas (the same processes, so only the split's cost differs).

import { request } from './http-client.js';
import type { CaseSpec } from './measure.js';
import type { Payload } from './payloads.js';
import { type CaseResult, round } from './results.js';
import { applyIsvc, ISVC_API, irisModelDir, waitIsvcReady } from './targets.js';

export interface TrafficResults {
  cold_from_zero_runs_ms: number[];
  cold_from_zero_p50_ms: number | null;
  cold_from_zero_p99_ms: number | null;
  scale_out_rps_ratio: number | null;
  canary_overhead: number | null;
  notes: string[];
}

export interface TrafficContext {
  serveUrl: string;
  servePid: number;
  quick: boolean;
  log: (msg: string) => void;
  /** Measures one wrk case (bench/run.ts's runner) and returns it; undefined when it was skipped. */
  measure: (spec: CaseSpec) => Promise<CaseResult | undefined>;
}

const ROWS_2K = Array.from({ length: 2_000 }, (_, i) => [
  4.5 + (i % 7) * 0.4,
  2.2 + (i % 5) * 0.3,
  1.2 + (i % 11) * 0.5,
  0.2 + (i % 9) * 0.25,
]);

/** V1 with 2,000 rows: the replica's work dominates the gateway's, so more replicas should mean more rps. */
export const v1Iris2k: Payload = {
  id: 'v1_2k',
  path: (m) => `/v1/models/${m}:predict`,
  body: Buffer.from(JSON.stringify({ instances: ROWS_2K })),
  headers: { 'Content-Type': 'application/json' },
  check: (r) => {
    if (r.status !== 200) return `status ${r.status}: ${r.body.toString().slice(0, 300)}`;
    const n = (JSON.parse(r.body.toString()) as { predictions?: unknown[] }).predictions?.length;
    return n === ROWS_2K.length ? undefined : `expected ${ROWS_2K.length} predictions, got ${n}`;
  },
};

const irisV1: Payload = {
  id: 'v1',
  path: (m) => `/v1/models/${m}:predict`,
  body: Buffer.from('{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}'),
  headers: { 'Content-Type': 'application/json' },
  check: (r) => (r.body.toString() === '{"predictions":[1,1]}' ? undefined : `got ${r.body.toString().slice(0, 200)}`),
};

function manifest(
  name: string,
  predictor: Record<string, unknown>,
  opts: { annotations?: Record<string, string>; version?: string } = {},
): object {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      predictor: {
        ...predictor,
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: irisModelDir,
          env: [{ name: 'MODEL_VERSION', value: opts.version ?? 'v1' }],
        },
      },
    },
  };
}

interface PredictorStatus {
  readyReplicas?: number;
  traffic?: { percent?: number }[];
}

async function predictorStatus(url: string, name: string): Promise<PredictorStatus | undefined> {
  const r = await request(`${url}${ISVC_API}/default/inferenceservices/${name}`, { timeoutMs: 10_000 });
  if (r.status !== 200) return undefined;
  const o = JSON.parse(r.body.toString()) as { status?: { components?: { predictor?: PredictorStatus } } };
  return o.status?.components?.predictor;
}

/** Polls the predictor's status (20 ms) until `ok`, bounded. */
async function waitPredictor(url: string, name: string, what: string, ok: (p: PredictorStatus) => boolean, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await predictorStatus(url, name);
    if (p && ok(p)) return;
    if (Date.now() > deadline) throw new Error(`${name}: ${what} not within ${ms} ms (${JSON.stringify(p)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Updates a service's spec (a merge patch, as `kubectl apply` would send for these fields). */
async function replaceIsvc(url: string, m: object): Promise<void> {
  const { metadata, spec } = m as { metadata: { name: string }; spec: unknown };
  const r = await request(`${url}${ISVC_API}/default/inferenceservices/${metadata.name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec }),
    timeoutMs: 15_000,
  });
  if (r.status !== 200) throw new Error(`update failed: ${r.status} ${r.body.toString().slice(0, 300)}`);
}

async function deleteIsvc(url: string, name: string): Promise<void> {
  await request(`${url}${ISVC_API}/default/inferenceservices/${name}`, { method: 'DELETE', timeoutMs: 15_000 });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export async function trafficBench(ctx: TrafficContext): Promise<TrafficResults> {
  const out: TrafficResults = {
    cold_from_zero_runs_ms: [],
    cold_from_zero_p50_ms: null,
    cold_from_zero_p99_ms: null,
    scale_out_rps_ratio: null,
    canary_overhead: null,
    notes: [],
  };
  const url = ctx.serveUrl;
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      out.notes.push(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      ctx.log(`  ${out.notes[out.notes.length - 1]}`);
    }
  };

  await attempt('cold_from_zero', async () => {
    const runs = ctx.quick ? 3 : 10;
    ctx.log(`cold start from zero replicas: ${runs} runs (scale-to-zero retention 1s)`);
    const name = 'bench-zero';
    await applyIsvc(
      url,
      manifest(
        name,
        { minReplicas: 0 },
        {
          annotations: { 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '1s' },
        },
      ),
    );
    await waitIsvcReady(url, 'default', name, 60_000);
    for (let i = 0; i < runs; i++) {
      await waitPredictor(url, name, 'zero ready replicas', (p) => p.readyReplicas === 0, 60_000);
      const t0 = performance.now();
      const r = await request(`${url}/v1/models/${name}:predict`, {
        method: 'POST',
        headers: { host: `${name}.default.example.com`, 'content-type': 'application/json' },
        body: irisV1.body,
        timeoutMs: 30_000,
      });
      const ms = performance.now() - t0;
      if (r.status !== 200) throw new Error(`first answer from zero: ${r.status} ${r.body.toString().slice(0, 200)}`);
      out.cold_from_zero_runs_ms.push(round(ms, 1));
    }
    out.cold_from_zero_p50_ms = round(percentile(out.cold_from_zero_runs_ms, 50), 1);
    out.cold_from_zero_p99_ms = round(percentile(out.cold_from_zero_runs_ms, 99), 1);
    ctx.log(
      `  runs ${out.cold_from_zero_runs_ms.join(', ')} ms: p50 ${out.cold_from_zero_p50_ms}, p99 ${out.cold_from_zero_p99_ms}`,
    );
    await deleteIsvc(url, name);
  });

  const gatewayCase = (name: string, payload: Payload, variant: string, connections: number): CaseSpec => ({
    target: 'inferd-gateway',
    payload,
    variant,
    baseUrl: url,
    model: name,
    connections,
    headers: { Host: `${name}.default.example.com` },
    serverPids: [ctx.servePid],
  });

  await attempt('scale_out_rps_ratio', async () => {
    ctx.log('scale out: CPU-bound V1 (2,000 rows) at 32 connections, 1 replica vs 2');
    const rps: number[] = [];
    for (const n of [1, 2]) {
      const name = `bench-scale${n}`;
      await applyIsvc(url, manifest(name, { minReplicas: n, maxReplicas: n }));
      await waitIsvcReady(url, 'default', name, 60_000);
      await waitPredictor(url, name, `${n} ready replicas`, (p) => p.readyReplicas === n, 60_000);
      const c = await ctx.measure(gatewayCase(name, v1Iris2k, `_replicas${n}`, 32));
      if (c?.rps) rps.push(c.rps);
      await deleteIsvc(url, name);
    }
    if (rps.length === 2) out.scale_out_rps_ratio = round(rps[1]! / rps[0]!, 3);
  });

  await attempt('canary_overhead', async () => {
    ctx.log('canary overhead: 50/50 split over two revisions vs one revision, two replicas each way (V1 c16)');
    const one = 'bench-onerev';
    await applyIsvc(url, manifest(one, { minReplicas: 2, maxReplicas: 2 }));
    await waitIsvcReady(url, 'default', one, 60_000);
    await waitPredictor(url, one, '2 ready replicas', (p) => p.readyReplicas === 2, 60_000);
    const split = 'bench-canary';
    await applyIsvc(url, manifest(split, { minReplicas: 1, maxReplicas: 1 }));
    await waitIsvcReady(url, 'default', split, 60_000);
    await replaceIsvc(
      url,
      manifest(split, { minReplicas: 1, maxReplicas: 1, canaryTrafficPercent: 50 }, { version: 'v2' }),
    );
    await waitPredictor(
      url,
      split,
      'a 50/50 split',
      (p) => (p.traffic ?? []).filter((t) => t.percent === 50).length === 2,
      60_000,
    );
    await waitIsvcReady(url, 'default', split, 60_000);
    const a = await ctx.measure(gatewayCase(one, irisV1, '_one_revision', 16));
    const b = await ctx.measure(gatewayCase(split, irisV1, '_canary5050', 16));
    if (a?.rps && b?.rps) out.canary_overhead = round(b.rps / a.rps, 3);
    await deleteIsvc(url, one);
    await deleteIsvc(url, split);
  });
  return out;
}
