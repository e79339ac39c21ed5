// Issue 19's acceptance without a cluster: inferd's API server with Kubernetes' storage-only kinds, the
// operator and the cluster gateway talking to it over real HTTP, and a fake kubelet running real
// storage-initializer and model-server processes from the Deployments the operator wrote.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { InferenceService, Resource } from '../../src/api/types.js';
import { type ClusterGateway, startClusterGateway } from '../../src/operator/cluster-gateway.js';
import { Operator } from '../../src/operator/operator.js';
import { repoRoot } from '../helpers/paths.js';
import { FakeKubelet } from './fake-kubelet.js';
import { type KubeApi, startKubeApi, testLogger } from './kube-harness.js';

const NS = 'kserve-test';
const IRIS_BODY = JSON.stringify({
  instances: [
    [6.8, 2.8, 4.8, 1.4],
    [6.0, 3.4, 4.5, 1.6],
  ],
});

function iris(name = 'sklearn-iris', extra: Partial<InferenceService['spec']> = {}): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: NS, annotations: { 'serving.inferd.dev/controller-class': 'inferd' } },
    spec: {
      predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: `${repoRoot}/models/sklearn-iris` } },
      ...extra,
    },
  } as InferenceService;
}

/** Resolves with fn()'s value once it is truthy; polls the API (bounded), naming `what` on timeout. */
async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not so after ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function predict(gw: ClusterGateway, name: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: gw.port,
        method: 'POST',
        path: `/v1/models/${name}:predict`,
        headers: { host: `${name}.${NS}.example.com`, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(IRIS_BODY);
  });
}

const condition = (o: Resource | undefined, type: string) =>
  (o?.status as InferenceService['status'])?.conditions?.find((c) => c.type === type);

describe('inferd operator against a Kubernetes-style API (no cluster)', { timeout: 240_000 }, () => {
  let api: KubeApi;
  let kubelet: FakeKubelet;
  let operator: Operator;
  let gw: ClusterGateway;

  before(async () => {
    const log = testLogger();
    api = await startKubeApi(log);
    kubelet = new FakeKubelet(api.client);
    await kubelet.start();
    operator = new Operator({
      client: api.client,
      log,
      image: 'ghcr.io/inferd/inferd:test',
      leaderElection: { namespace: 'default', leaseDurationMs: 2000, retryPeriodMs: 200 },
      resyncMs: 1000,
    });
    await operator.start();
    gw = await startClusterGateway({
      client: api.client,
      log,
      port: 0,
      host: '127.0.0.1',
      domain: 'example.com',
      holdTimeoutMs: 30_000,
    });
  });

  after(async () => {
    await gw?.close();
    await operator?.stop();
    await kubelet?.close();
    await api?.close();
  });

  test('iris through the gateway: Deployment, Service, status Ready, {"predictions":[1,1]}', async () => {
    await api.client.create(iris());
    const ready = await eventually(async () => {
      const o = await api.client.get<InferenceService>('InferenceService', NS, 'sklearn-iris');
      return condition(o, 'Ready')?.status === 'True' && o;
    }, 'sklearn-iris Ready');
    assert.equal(ready.status?.url, `http://sklearn-iris.${NS}.example.com`);
    assert.deepEqual(ready.status?.components?.predictor?.traffic, [
      { revisionName: 'sklearn-iris-predictor-00001', percent: 100, latestRevision: true },
    ]);
    assert.ok(ready.metadata.finalizers?.includes('serving.inferd.dev/finalizer'));

    const dep = await api.client.get<Resource>('Deployment', NS, 'sklearn-iris-predictor-00001');
    assert.equal(dep.metadata.labels?.['app.kubernetes.io/managed-by'], 'inferd');
    assert.equal(dep.metadata.ownerReferences?.[0]?.uid, ready.metadata.uid);
    type C = { name: string; args: string[] };
    const podSpec = (dep.spec as { template: { spec: { initContainers: C[]; containers: C[] } } }).template.spec;
    assert.deepEqual(podSpec.initContainers[0]!.args, [
      'storage-initializer',
      `${repoRoot}/models/sklearn-iris`,
      '/mnt/models',
    ]);
    assert.equal(podSpec.containers[0]!.name, 'kserve-container');
    assert.deepEqual(podSpec.containers[0]!.args.slice(0, 9), [
      'model-server',
      '--model_name',
      'sklearn-iris',
      '--model_dir',
      '/mnt/models',
      '--http_port',
      '8080',
      '--grpc_port',
      '8081',
    ]);
    assert.ok(await api.client.find('Service', NS, 'sklearn-iris-predictor-00001'));

    const res = await eventually(async () => {
      const r = await predict(gw, 'sklearn-iris');
      return r.status === 200 && r;
    }, 'a prediction through the gateway');
    assert.equal(res.body, '{"predictions":[1,1]}');
    assert.deepEqual(kubelet.failures, []);
  });

  test('a canary at 20% takes ~20% of the requests', async () => {
    const live = await api.client.get<InferenceService>('InferenceService', NS, 'sklearn-iris');
    const spec = structuredClone(live.spec!);
    spec.predictor.canaryTrafficPercent = 20;
    // A template change makes a revision: an env var on the model container.
    (spec.predictor.model as { env?: unknown[] }).env = [{ name: 'CANARY', value: '1' }];
    await api.client.replace({ ...live, spec });
    const split = await eventually(async () => {
      const o = await api.client.get<InferenceService>('InferenceService', NS, 'sklearn-iris');
      const t = o.status?.components?.predictor?.traffic ?? [];
      return t.length === 2 && t.find((x) => x.revisionName.endsWith('00002'))?.percent === 20 && t;
    }, 'traffic 20/80');
    assert.deepEqual(
      split.map((t) => [t.revisionName, t.percent]),
      [
        ['sklearn-iris-predictor-00002', 20],
        ['sklearn-iris-predictor-00001', 80],
      ],
    );
    await eventually(
      async () => gw.endpoints.get(NS, 'sklearn-iris')?.routes.every((r) => r.replicas.length > 0),
      'both revisions routable',
    );
    const before = (rev: string) => gw.stats.snapshot(`${NS}/sklearn-iris/${rev}`).requestsTotal;
    const c0 = before('sklearn-iris-predictor-00002');
    const s0 = before('sklearn-iris-predictor-00001');
    const N = 400;
    for (let i = 0; i < N; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => predict(gw, 'sklearn-iris')));
      for (const r of batch) assert.equal(r.body, '{"predictions":[1,1]}');
    }
    const canary = before('sklearn-iris-predictor-00002') - c0;
    const stable = before('sklearn-iris-predictor-00001') - s0;
    assert.equal(canary + stable, N);
    const share = canary / N;
    // Binomial(400, 0.2): sd 2%; ±6% is 3 sd.
    assert.ok(Math.abs(share - 0.2) <= 0.06, `canary share ${share}`);
    process.stderr.write(`# canary share over ${N} requests: ${(share * 100).toFixed(1)}%\n`);
  });

  test('a 409 Conflict on the status write is retried from a fresh read', async () => {
    const path = `/apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices/conflicted/status`;
    api.conflictOnce.add(`PUT ${path}`);
    await api.client.create(iris('conflicted'));
    await eventually(async () => {
      const o = await api.client.get<InferenceService>('InferenceService', NS, 'conflicted');
      return condition(o, 'Ready')?.status === 'True';
    }, 'conflicted Ready after the 409');
    assert.ok(!api.conflictOnce.has(`PUT ${path}`), 'the 409 was answered');
    const gets = api.requests.filter(
      (r) => r === `GET /apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices/conflicted`,
    );
    assert.ok(gets.length >= 2, 're-read after the conflict');
    await api.client.delete('InferenceService', NS, 'conflicted');
  });

  test('a Deployment edited by hand is put back', async () => {
    const name = 'sklearn-iris-predictor-00001';
    const dep = await api.client.get<Resource>('Deployment', NS, name);
    const spec = structuredClone(dep.spec) as { template: { spec: { containers: { args: string[] }[] } } };
    spec.template.spec.containers[0]!.args = ['model-server', '--model_name', 'hacked'];
    await api.client.replace({ ...dep, spec });
    await eventually(async () => {
      const d = await api.client.get<Resource>('Deployment', NS, name);
      const args = (d.spec as typeof spec).template.spec.containers[0]!.args;
      return (
        args[2] === 'sklearn-iris' && Number(d.metadata.resourceVersion) > Number(dep.metadata.resourceVersion) + 1
      );
    }, 'the operator restores the Deployment');
  });

  test('an object without the managed-by label is never touched; the service says why', async () => {
    // A Deployment with the name the operator would use, made by someone else.
    const foreign = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'other-predictor-00001', namespace: NS, labels: { app: 'mine' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'mine' } },
        template: { metadata: { labels: { app: 'mine' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    } as Resource;
    const created = await api.client.create(foreign);
    await api.client.create(iris('other'));
    const o = await eventually(async () => {
      const x = await api.client.get<InferenceService>('InferenceService', NS, 'other');
      return condition(x, 'PredictorReady')?.reason === 'NotManaged' && x;
    }, 'NotManaged condition');
    assert.equal(condition(o, 'Ready')?.status, 'False');
    const after = await api.client.get<Resource>('Deployment', NS, 'other-predictor-00001');
    assert.equal(after.metadata.resourceVersion, created.metadata.resourceVersion);
    await api.client.delete('InferenceService', NS, 'other');
  });

  test('RBAC forbidden surfaces as a condition, not a crash, and recovers when allowed', async () => {
    api.forbidden.add('Deployment:create');
    await api.client.create(iris('denied'));
    const o = await eventually(async () => {
      const x = await api.client.get<InferenceService>('InferenceService', NS, 'denied');
      return condition(x, 'PredictorReady')?.reason === 'Forbidden' && x;
    }, 'Forbidden condition');
    assert.match(condition(o, 'PredictorReady')?.message ?? '', /deployments\.apps is forbidden/);
    api.forbidden.clear();
    await eventually(async () => {
      const x = await api.client.get<InferenceService>('InferenceService', NS, 'denied');
      return condition(x, 'Ready')?.status === 'True';
    }, 'denied becomes Ready once allowed');
    await api.client.delete('InferenceService', NS, 'denied');
  });

  test('a transformer the operator does not run yet: ComponentNotSupported naming the field, nothing generated', async () => {
    const svc = iris('two-tier') as InferenceService;
    (svc.spec as unknown as Record<string, unknown>)['transformer'] = {
      containers: [{ name: 'kserve-container', image: 'me/transformer:1' }],
    };
    await api.client.create(svc as Resource);
    const o = await eventually(async () => {
      const x = await api.client.get<InferenceService>('InferenceService', NS, 'two-tier');
      return condition(x, 'Ready')?.reason === 'ComponentNotSupported' && x;
    }, 'ComponentNotSupported condition');
    assert.equal(condition(o, 'Ready')?.status, 'False');
    assert.match(condition(o, 'Ready')?.message ?? '', /^spec\.transformer: /);
    const generated = (await api.client.list<Resource>('Deployment', NS)).items.filter((d) =>
      d.metadata.name.startsWith('two-tier-'),
    );
    assert.deepEqual(generated, []);
    await api.client.delete('InferenceService', NS, 'two-tier');
  });

  test('deleting the service garbage-collects every generated object', async () => {
    await api.client.delete('InferenceService', NS, 'sklearn-iris');
    await eventually(async () => !(await api.client.find('InferenceService', NS, 'sklearn-iris')), 'isvc gone');
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'EndpointSlice']) {
      await eventually(async () => {
        const items = (await api.client.list<Resource>(kind, NS)).items.filter((o) =>
          o.metadata.name.startsWith('sklearn-iris'),
        );
        return items.length === 0;
      }, `${kind}s of sklearn-iris collected`);
    }
    await eventually(async () => gw.endpoints.get(NS, 'sklearn-iris') === undefined, 'gateway forgets the service');
    const r = await predict(gw, 'sklearn-iris');
    assert.equal(r.status, 404);
  });

  test('the operator recorded what it did as Events on the service', async () => {
    const events = (await api.client.list<Resource & { reason: string; involvedObject: { name: string } }>('Event', NS))
      .items;
    const reasons = events.filter((e) => e.involvedObject.name === 'sklearn-iris').map((e) => e.reason);
    for (const r of ['RevisionReady', 'RevisionCreated', 'TrafficSplit'])
      assert.ok(reasons.includes(r), `${r} in ${reasons}`);
    const denied = events.filter((e) => e.involvedObject.name === 'denied').map((e) => e.reason);
    assert.ok(denied.includes('Forbidden'), `Forbidden in ${denied}`);
  });
});
