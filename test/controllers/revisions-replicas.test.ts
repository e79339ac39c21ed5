// The InferenceService controller with real replica processes under continuous load: a second replica of a
// revision, a scale-down, a canary revision and its promotion, and only 200s throughout. The load stands in
// for the gateway as the contract says it behaves: each request takes a route by percent and a replica of it
// (least in flight) from the published endpoint, counted in TrafficStats from begin to end, so a retired
// replica is stopped only after its last request answered.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import type { RevisionScaleInput, ScaleChange, ScaleSource } from '../../src/controllers/autoscaler/scale-source.js';
import { InferenceServiceController } from '../../src/controllers/inference-service/controller.js';
import { FileRevisionLedger } from '../../src/controllers/inference-service/revisions.js';
import { ReplicaManager } from '../../src/controllers/replicas/replica-manager.js';
import { InferdError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable, type ServiceEndpoint } from '../../src/routing/endpoint-table.js';
import { TrafficStats } from '../../src/routing/traffic-stats.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { distDir, repoRoot } from '../helpers/paths.js';
import { waitUntil } from '../support/wait.js';

const R1 = 'iris-predictor-00001';
const R2 = 'iris-predictor-00002';
const KEY = 'default/iris';
const BODY = '{"instances":[[6.8,2.8,4.8,1.4]]}';

/** A ScaleSource the test sets by hand. */
class ManualScale extends EventEmitter implements ScaleSource {
  readonly desired = new Map<string, number>();
  readonly seen: RevisionScaleInput[] = [];
  observe(input: RevisionScaleInput): number {
    this.seen.push(input);
    return this.desired.get(input.key) ?? 1;
  }
  set(key: string, n: number): void {
    const previous = this.desired.get(key) ?? 1;
    this.desired.set(key, n);
    const change: ScaleChange = {
      key,
      desired: n,
      previous,
      reason: n > previous ? 'ScaleUp' : 'ScaleDown',
      message: `test scaled ${key} from ${previous} to ${n}`,
    };
    this.emit('scale', change);
  }
  forget(key: string): void {
    this.desired.delete(key);
  }
  close(): void {}
}

function post(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/models/iris:predict',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(BODY);
  });
}

/** Workers sending requests back to back the way the gateway routes them; counts answers by status. */
function startLoad(endpoints: EndpointTable, stats: TrafficStats, workers: number) {
  const statuses = new Map<number, number>();
  const byRevision = new Map<string, number>();
  let stop = false;
  const pick = (ep: ServiceEndpoint) => {
    const routes = ep.routes.filter((r) => r.replicas.length > 0 && r.percent > 0);
    const total = routes.reduce((n, r) => n + r.percent, 0);
    let x = Math.random() * total;
    const route =
      routes.find((r) => {
        x -= r.percent;
        return x < 0;
      }) ?? routes[0];
    if (!route) return undefined;
    const replica = [...route.replicas].sort((a, b) => stats.inFlightTo(a.key) - stats.inFlightTo(b.key))[0]!;
    return { route, replica };
  };
  const worker = async () => {
    while (!stop) {
      const ep = endpoints.get('default', 'iris');
      const chosen = ep && pick(ep);
      if (!chosen) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      // Picked and counted in the same tick: the controller cannot stop this replica in between.
      stats.arrived(chosen.route.key);
      stats.begin(chosen.route.key, chosen.replica.key);
      const status = await post(chosen.replica.port);
      stats.end(chosen.route.key, chosen.replica.key);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      byRevision.set(chosen.route.revision, (byRevision.get(chosen.route.revision) ?? 0) + 1);
    }
  };
  const running = Promise.all(Array.from({ length: workers }, worker));
  return {
    statuses,
    byRevision,
    async stop() {
      stop = true;
      await running;
    },
  };
}

test('scale up and down, a canary and its promotion under continuous load: only 200s', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'inferd-revisions-'));
  const store = SqliteStore.open({ stateDir, log: silentLogger });
  const replicas = new ReplicaManager({
    entry: join(distDir, 'src', 'server', 'main.js'),
    log: silentLogger,
    restartBackoffMs: 500,
    restartBackoffMaxMs: 500,
  });
  const endpoints = new EndpointTable();
  const stats = new TrafficStats();
  // In flight to each replica when the controller stops it: the drain makes these all 0.
  const busyAtStop: number[] = [];
  const remove = replicas.remove.bind(replicas);
  replicas.remove = (key: string) => {
    busyAtStop.push(stats.inFlightTo(key));
    return remove(key);
  };
  const scale = new ManualScale();
  const events: { reason: string; message: string }[] = [];
  const released: string[] = [];
  const controller = new InferenceServiceController({
    store,
    replicas,
    endpoints,
    stats,
    scale,
    revisions: new FileRevisionLedger(join(stateDir, 'revisions')),
    revisionHistory: 0,
    releaseModel: (key, uri) => released.push(`${key} ${uri}`),
    log: silentLogger,
    domain: 'example.com',
    replicaEnv: {},
    fetchModel: async ({ storageUri }) => {
      if (storageUri.endsWith('/broken')) {
        throw new InferdError('STORAGE_FAILED', `no model at ${storageUri}`, { reason: 'StorageNotFound' });
      }
      return { modelDir: join(repoRoot, 'models', 'sklearn-iris') };
    },
    retryBackoffMs: 60_000,
    recordEvent: (_isvc, _type, reason, message) => events.push({ reason, message }),
  });
  let load: ReturnType<typeof startLoad> | undefined;
  t.after(async () => {
    await load?.stop();
    await controller.stop();
    store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  controller.start();

  const get = () => store.get<InferenceService>({ kind: 'InferenceService', namespace: 'default', name: 'iris' })!;
  const predictor = () => get().status?.components?.predictor;
  const ready = (rev: string) => (endpoints.get('default', 'iris')?.routes ?? []).find((r) => r.revision === rev);
  const own = () => replicas.keys().filter((k) => k.startsWith(`${KEY}/`));
  store.create<InferenceService>({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', namespace: 'default' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/iris/v1' } } },
  });
  await waitUntil(() => (ready(R1)?.replicas.length ?? 0) === 1, 'v1 Ready', 30_000);
  load = startLoad(endpoints, stats, 4);
  await waitUntil(() => (load?.statuses.get(200) ?? 0) > 20, 'load answered', 10_000);

  // A second replica: started once the first is Ready, in the endpoint once Ready itself.
  scale.set(`${KEY}/${R1}`, 2);
  await waitUntil(() => (ready(R1)?.replicas.length ?? 0) === 2, 'two replicas of v1', 30_000);
  assert.deepEqual(
    ready(R1)!
      .replicas.map((r) => r.key)
      .sort(),
    [`${KEY}/${R1}`, `${KEY}/${R1}#2`],
  );
  await waitUntil(() => predictor()?.readyReplicas === 2, 'status shows 2 Ready', 10_000);
  assert.equal(predictor()?.desiredReplicas, 2);
  assert.ok(
    events.some((e) => e.reason === 'ScaleUp' && /from 1 to 2/.test(e.message)),
    'the scale event',
  );
  const input = scale.seen.at(-1)!;
  assert.equal(input.key, `${KEY}/${R1}`);
  assert.equal(input.routable, true);

  // Back to one: out of the endpoint first, drained, stopped.
  scale.set(`${KEY}/${R1}`, 1);
  await waitUntil(() => own().length === 1, 'one replica left', 30_000);
  assert.equal(ready(R1)?.replicas.length, 1);

  // A new revision as a canary: 20% to it, 80% to v1; canaryTrafficPercent alone makes no revision.
  const v2 = get();
  store.update<InferenceService>({
    ...v2,
    spec: {
      predictor: {
        canaryTrafficPercent: 20,
        model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/iris/v2' },
      },
    },
  });
  await waitUntil(() => (ready(R2)?.replicas.length ?? 0) === 1, 'v2 Ready', 30_000);
  await waitUntil(() => predictor()?.latestReadyRevision === R2, 'status: v2 ready', 10_000);
  assert.deepEqual(predictor()?.traffic, [
    { revisionName: R2, percent: 20, latestRevision: true },
    { revisionName: R1, percent: 80, latestRevision: false },
  ]);
  assert.equal(predictor()?.latestRolledoutRevision, R1);
  const mid = load.byRevision.get(R2) ?? 0;
  await waitUntil(() => (load?.byRevision.get(R2) ?? 0) > mid + 10, 'v2 answers its share', 20_000);

  // Promote: v1 leaves the endpoint, drains, stops; its revision is collected (history 0), its model unpinned.
  store.update<InferenceService>({
    ...get(),
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/iris/v2' } } },
  });
  await waitUntil(() => own().length === 1 && own()[0] === `${KEY}/${R2}`, 'v1 stopped', 30_000);
  await waitUntil(() => predictor()?.latestRolledoutRevision === R2, 'status: v2 rolled out', 10_000);
  assert.equal(predictor()?.previousRolledoutRevision, R1);
  assert.deepEqual(predictor()?.traffic, [{ revisionName: R2, percent: 100, latestRevision: true }]);
  const after = load.statuses.get(200) ?? 0;
  await waitUntil(() => (load?.statuses.get(200) ?? 0) > after + 20, 'load goes on on v2', 10_000);
  // v1 is the previous rolled-out revision: kept (a rollback needs it), not collected.
  assert.deepEqual(released, []);

  // v3, promoted at once: v2 becomes the previous, v1 is collected (history 0) and its model unpinned.
  const R3 = 'iris-predictor-00003';
  store.update<InferenceService>({
    ...get(),
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/iris/v3' } } },
  });
  await waitUntil(() => predictor()?.latestRolledoutRevision === R3, 'v3 rolled out', 30_000);
  await waitUntil(() => released.length === 1, 'v1 collected', 10_000);
  assert.deepEqual(released, [`${KEY} gs://models/iris/v1`]);
  await waitUntil(() => own().length === 1, 'v2 drained and stopped', 30_000);

  // A canary whose model cannot be fetched takes no traffic: v3 serves everything, the reason is in the status.
  store.update<InferenceService>({
    ...get(),
    spec: {
      predictor: {
        canaryTrafficPercent: 50,
        model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/iris/broken' },
      },
    },
  });
  await waitUntil(
    () => get().status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'StorageNotFound',
    'the failed canary in the status',
    10_000,
  );
  assert.equal(predictor()?.latestCreatedRevision, 'iris-predictor-00004');
  assert.equal(predictor()?.latestReadyRevision, R3);
  assert.ok(predictor()?.traffic?.every((x) => x.revisionName === R3));
  assert.ok(events.some((e) => e.reason === 'StorageNotFound'));
  const during = load.statuses.get(200) ?? 0;
  await waitUntil(() => (load?.statuses.get(200) ?? 0) > during + 20, 'v3 keeps serving', 10_000);
  await load.stop();

  const reasons = events.map((e) => e.reason);
  for (const r of ['RevisionReady', 'ScaleUp', 'ScaleDown', 'RevisionCreated', 'TrafficSplit', 'Promoted']) {
    assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(', ')}`);
  }
  assert.deepEqual([...load.statuses.keys()], [200], `only 200s: ${JSON.stringify([...load.statuses])}`);
  assert.equal(busyAtStop.length, 3, 'the second v1 replica, v1, v2');
  assert.deepEqual(busyAtStop, [0, 0, 0], 'stopped only once drained');
  assert.ok((load.statuses.get(200) ?? 0) > 100);
  t.diagnostic(
    `answers by status ${JSON.stringify([...load.statuses])}, by revision ${JSON.stringify([...load.byRevision])}`,
  );
});
