// Issue 14's acceptance against a real `inferd serve` with real replica processes: the autoscaler, the
// controller and the gateway together.
// - minReplicas 0 goes to zero after the retention period; 50 concurrent requests at zero all succeed (never
//   KServe's 400 "Model is not ready yet"), the cold start shows in a header and in the histogram.
// - A burst against scaleTarget 2 grows replicas up to maxReplicas and back down after the window; no request
//   fails meanwhile.
// - A canary at 20% takes 20 ± 2% of 10,000 requests through the gateway, counted by revision in /metrics.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { type Inferd, removeDir, runCli, startInferd } from '../helpers/inferd.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
let inferd: Inferd;
let agent: http.Agent;

before(async () => {
  inferd = await startInferd();
  agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
});

after(async () => {
  agent?.destroy();
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

function manifest(name: string, predictor: object, annotations: Record<string, string> = {}, env = 'v1'): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      predictor: {
        ...predictor,
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: 'models/sklearn-iris',
          env: [{ name: 'MODEL_VERSION', value: env }],
        },
      },
    },
  });
}

async function apply(yaml: string): Promise<void> {
  const r = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
}

async function getIsvc(name: string): Promise<InferenceService> {
  const res = await fetch(`${inferd.url}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/${name}`);
  return (await res.json()) as InferenceService;
}

/** Polls the stored object until `pred` holds (bounded). */
async function waitStatus(name: string, what: string, pred: (o: InferenceService) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: InferenceService | undefined;
  while (Date.now() < deadline) {
    last = await getIsvc(name);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} ${what}: not so within ${timeoutMs} ms; last status ${JSON.stringify(last?.status)}`);
}

const ready = (o: InferenceService) =>
  o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
  o.status.observedGeneration === o.metadata.generation;
const replicasOf = (o: InferenceService) => {
  const p = o.status?.components?.predictor as { desiredReplicas?: number; readyReplicas?: number } | undefined;
  return { desired: p?.desiredReplicas, ready: p?.readyReplicas };
};

function predict(name: string): Promise<{ status: number; text: string; coldStartMs?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: inferd.port,
        path: `/v1/models/${name}:predict`,
        method: 'POST',
        agent,
        headers: { host: `${name}.default.example.com`, 'content-type': 'application/json' },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            coldStartMs: res.headers['x-inferd-cold-start-ms'] as string | undefined,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('predict timed out')));
    req.on('error', reject);
    req.end(IRIS);
  });
}

async function metrics(): Promise<string> {
  const res = await fetch(`${inferd.url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** A counter or gauge value from the Prometheus text (0 when the series is absent). */
function series(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

test('minReplicas 0: to zero after the retention period, then 50 concurrent requests at zero all succeed', async () => {
  await apply(
    manifest('to-zero', { minReplicas: 0 }, { 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '1s' }),
  );
  await waitStatus('to-zero', 'Ready', ready);
  await waitStatus('to-zero', 'at zero replicas', (o) => ready(o) && replicasOf(o).ready === 0, 30_000);
  const row = await runCli(['get', 'isvc', 'to-zero', '-o', 'wide', '--server', inferd.url]);
  assert.match(row.stdout, /\s0\/0\s/, row.stdout);
  const before = series(await metrics(), 'inferd_gateway_cold_start_seconds_count', '');

  const answers = await Promise.all(Array.from({ length: 50 }, () => predict('to-zero')));
  for (const a of answers) assert.deepEqual([a.status, a.text], [200, '{"predictions":[1,1]}']);
  const held = answers.filter((a) => a.coldStartMs !== undefined);
  assert.ok(held.length >= 1, 'at least the first request waited for the cold start');
  for (const a of held) assert.ok(Number(a.coldStartMs) >= 0 && Number(a.coldStartMs) < 30_000, a.coldStartMs);
  const text = await metrics();
  const count = Number(/^inferd_gateway_cold_start_seconds_count (\S+)$/m.exec(text)?.[1] ?? 0);
  assert.ok(count >= before + held.length, `cold-start histogram counted ${count - before}, held ${held.length}`);

  const events = await runCli(['describe', 'isvc', 'to-zero', '--server', inferd.url]);
  assert.match(events.stdout, /ScaleToZero/);
  assert.match(events.stdout, /Activate/);
});

test('a burst against scaleTarget 2 grows replicas to maxReplicas and back down; no request fails', async () => {
  await apply(
    manifest(
      'burst',
      { minReplicas: 1, maxReplicas: 3, scaleTarget: 2 },
      // A short stable window so that the scale-down comes within the test's time.
      { 'autoscaling.knative.dev/window': '6s' },
    ),
  );
  await waitStatus('burst', 'Ready', ready);
  let stop = false;
  const codes = new Map<number, number>();
  const worker = async () => {
    while (!stop) {
      const a = await predict('burst');
      codes.set(a.status, (codes.get(a.status) ?? 0) + 1);
    }
  };
  const load = Promise.all(Array.from({ length: 16 }, worker));
  try {
    await waitStatus('burst', 'at 3 ready replicas under load', (o) => replicasOf(o).ready === 3, 60_000);
  } finally {
    stop = true;
    await load;
  }
  await waitStatus('burst', 'back to 1 replica after the window', (o) => replicasOf(o).ready === 1, 60_000);
  assert.deepEqual([...codes.keys()], [200], `answers by status: ${JSON.stringify([...codes])}`);
  assert.ok((codes.get(200) ?? 0) > 100, 'the burst sent requests');
  const events = await runCli(['describe', 'isvc', 'burst', '--server', inferd.url]);
  assert.match(events.stdout, /1 → [23]/);
  assert.match(events.stdout, /→ 1/);
});

test('canaryTrafficPercent 20 takes 20 ± 2% of 10,000 requests through the gateway', async () => {
  await apply(manifest('split', {}));
  await waitStatus('split', 'Ready', ready);
  await apply(manifest('split', { canaryTrafficPercent: 20 }, {}, 'v2'));
  const o = await waitStatus(
    'split',
    'split 20/80 and Ready',
    (x) => ready(x) && (x.status?.components?.predictor?.traffic ?? []).length === 2,
  );
  const traffic = o.status!.components!.predictor!.traffic!;
  const latest = traffic.find((t) => t.latestRevision)!;
  const prev = traffic.find((t) => !t.latestRevision)!;
  assert.deepEqual([latest.percent, prev.percent], [20, 80]);
  const before = await metrics();
  const count = (text: string, rev: string | undefined) =>
    series(
      text,
      'inferd_gateway_requests_total',
      `namespace="default",service="split",component="predictor",revision="${rev}",protocol="v1",code="200"`,
    );
  const latestName = latest.revisionName ?? o.status!.components!.predictor!.latestCreatedRevision;
  const [l0, p0] = [count(before, latestName), count(before, prev.revisionName)];
  let sent = 0;
  const worker = async () => {
    while (sent < 10_000) {
      sent++;
      const a = await predict('split');
      assert.equal(a.status, 200, a.text);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const afterText = await metrics();
  const l = count(afterText, latestName) - l0;
  const p = count(afterText, prev.revisionName) - p0;
  assert.equal(l + p, 10_000, `counted ${l} latest + ${p} previous`);
  const share = (100 * l) / (l + p);
  assert.ok(Math.abs(share - 20) <= 2, `latest took ${share.toFixed(2)}%`);
});
