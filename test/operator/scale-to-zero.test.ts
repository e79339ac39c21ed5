// Scale to zero and back on a cluster: the cluster gateway's autoscaler (the local KPA) scales an idle
// minReplicas-0 revision's Deployment to 0 after the retention period; the next requests are held by the
// gateway, the revision is activated (Deployment back to 1), the fake kubelet starts a pod, and every held
// request is answered.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import type { InferenceService, Resource } from '../../src/api/types.js';
import { repoRoot } from '../helpers/paths.js';
import { startFakeCluster } from './fake-cluster.js';

const NS = 'default';

function predict(port: number): Promise<{ status: number; body: string; coldMs?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/models/idle:predict',
        headers: { host: `idle.${NS}.example.com` },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            coldMs: res.headers['x-inferd-cold-start-ms'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({
        instances: [
          [6.8, 2.8, 4.8, 1.4],
          [6.0, 3.4, 4.5, 1.6],
        ],
      }),
    );
  });
}

async function until<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(
  'minReplicas 0: the Deployment goes to 0 when idle, and held requests bring it back',
  { timeout: 120_000 },
  async (t) => {
    const { api, kubelet, gw } = await startFakeCluster(t);

    await api.client.create({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: {
        name: 'idle',
        namespace: NS,
        annotations: { 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '1s' },
      },
      spec: {
        predictor: {
          minReplicas: 0,
          model: { modelFormat: { name: 'sklearn' }, storageUri: `${repoRoot}/models/sklearn-iris` },
        },
      },
    } as Resource);
    await until(async () => {
      const o = await api.client.get<InferenceService>('InferenceService', NS, 'idle');
      return o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    }, 'idle Ready');
    const dep = () => api.client.get<Resource>('Deployment', NS, 'idle-predictor-00001');
    await until(async () => ((await dep()).spec as { replicas: number }).replicas === 0, 'scaled to zero', 60_000);
    await until(async () => kubelet.pods.size === 0, 'its pod stopped');
    await until(async () => gw.endpoints.get(NS, 'idle')?.routes[0]?.replicas.length === 0, 'no replica routed');

    const startedBefore = kubelet.podsStarted;
    const answers = await Promise.all(Array.from({ length: 10 }, () => predict(gw.port)));
    for (const a of answers) assert.deepEqual([a.status, a.body], [200, '{"predictions":[1,1]}']);
    const held = answers.filter((a) => a.coldMs !== undefined).map((a) => Number(a.coldMs));
    assert.ok(held.length > 0, 'at least one request was held for the cold start');
    process.stderr.write(
      `# cold start from zero on the fake cluster: ${held.length} held, longest ${Math.max(...held)} ms\n`,
    );
    // The held requests brought a pod back. (Not the Deployment's replicas now: with a 1 s retention the
    // scaler may already have taken it back to zero once they were answered.)
    assert.ok(kubelet.podsStarted > startedBefore, 'a pod was started for the held requests');
    const status = await api.client.get<InferenceService>('InferenceService', NS, 'idle');
    assert.equal(status.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  },
);
