// Revisions, canary traffic, tags and replicas per revision in planService (pure): each step of KServe's
// canary flow (v1 → v2 with canaryTrafficPercent → promote → 0 → undo) gives the traffic block, the rolled-out
// revisions, the routes and the events KServe's Knative path gives; scale actions follow the ScaleSource.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import type { RevisionScaleInput } from '../../src/controllers/autoscaler/scale-source.js';
import type { ObservedPredictor } from '../../src/controllers/inference-service/observed.js';
import { type PlanContext, planService, type ServicePlan } from '../../src/controllers/inference-service/plan.js';
import {
  MemoryRevisionLedger,
  resolveRevision,
  revisionsToCollect,
  templateHashOf,
} from '../../src/controllers/inference-service/revisions.js';
import { trafficFor } from '../../src/controllers/inference-service/traffic.js';
import type { ReplicaView } from '../../src/controllers/replicas/replica-manager.js';

const NOW = '2026-12-06T19:00:00Z';
const R1 = 'iris-predictor-00001';
const R2 = 'iris-predictor-00002';
const KEY = 'default/iris';

function isvc(
  uri: string,
  opts: { canary?: number; generation?: number; annotations?: Record<string, string>; minReplicas?: number } = {},
): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: 'iris',
      namespace: 'default',
      generation: opts.generation ?? 1,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: {
      predictor: {
        model: { modelFormat: { name: 'sklearn' }, storageUri: uri },
        ...(opts.canary !== undefined ? { canaryTrafficPercent: opts.canary } : {}),
        ...(opts.minReplicas !== undefined ? { minReplicas: opts.minReplicas } : {}),
      },
    },
  };
}

let port = 5000;
function replica(revision: string, phase: ReplicaView['phase'], key = `${KEY}/${revision}`): ReplicaView {
  port++;
  return {
    key,
    revision,
    phase,
    port: phase === 'Ready' ? port : undefined,
    pid: 1,
    restarts: 0,
    failure: phase === 'BackOff' ? { reason: 'ModelLoadFailed', message: 'bad pickle', exitCode: 1 } : undefined,
  };
}

const ctx = (revision: string, extra: Partial<PlanContext> = {}): PlanContext => ({
  now: NOW,
  domain: 'example.com',
  modelName: 'iris',
  revision,
  specOf: (rev) => (rev === R1 ? isvc('gs://m/v1') : undefined),
  ...extra,
});

const traffic = (p: ServicePlan) => p.status?.components?.predictor?.traffic ?? p.observed.traffic;
const reasons = (p: ServicePlan) => p.events.map((e) => e.reason);
const retired = (p: ServicePlan) => p.actions.filter((a) => a.type === 'retire').map((a) => a.key);
const starts = (p: ServicePlan) => p.actions.filter((a) => a.type === 'start').map((a) => a.key);

/** v1 rolled out and serving: the state each canary case starts from. */
function servingV1(): ObservedPredictor {
  const first = planService(isvc('gs://m/v1'), undefined, [], ctx(R1));
  const ready = planService(isvc('gs://m/v1'), first.observed, [replica(R1, 'Ready')], ctx(R1));
  assert.equal(ready.observed.latestRolledout, R1);
  assert.deepEqual(reasons(ready), ['Loaded', 'RevisionReady']);
  return ready.observed;
}

test('revision template: canaryTrafficPercent alone makes no revision; the model, env or autoscaling annotations do', () => {
  const base = templateHashOf(isvc('gs://m/v1'));
  assert.equal(templateHashOf(isvc('gs://m/v1', { canary: 20, generation: 2 })), base);
  assert.equal(templateHashOf(isvc('gs://m/v1', { annotations: { 'example.com/note': 'x' } })), base);
  assert.notEqual(templateHashOf(isvc('gs://m/v2')), base);
  assert.notEqual(templateHashOf(isvc('gs://m/v1', { annotations: { 'autoscaling.knative.dev/target': '5' } })), base);

  const ledger = new MemoryRevisionLedger();
  const one = resolveRevision(isvc('gs://m/v1'), ledger.list(KEY), NOW);
  assert.equal(one.latest.name, R1);
  assert.equal(one.created, true);
  ledger.add(KEY, one.latest);
  const same = resolveRevision(isvc('gs://m/v1', { canary: 20, generation: 2 }), ledger.list(KEY), NOW);
  assert.equal(same.created, false);
  assert.equal(same.latest.name, R1);
  const two = resolveRevision(isvc('gs://m/v2', { generation: 3 }), ledger.list(KEY), NOW);
  assert.equal(two.latest.name, R2);
  assert.equal(two.latest.spec.spec?.predictor.model?.storageUri, 'gs://m/v2');
});

test('a service from before the ledger goes on from its stored revision (same generation: resumed, not remade)', () => {
  const stored = {
    ...isvc('gs://m/v1', { generation: 3 }),
    status: { observedGeneration: 3, components: { predictor: { latestCreatedRevision: 'iris-predictor-00003' } } },
  };
  assert.equal(resolveRevision(stored, [], NOW).latest.name, 'iris-predictor-00003');
  const changed = { ...stored, metadata: { ...stored.metadata, generation: 4 } };
  assert.equal(resolveRevision(changed, [], NOW).latest.name, 'iris-predictor-00004');
});

test('canary 20: the latest ready revision takes 20%, the rolled-out one 80%, both keep replicas', () => {
  const v1 = servingV1();
  const v2 = isvc('gs://m/v2', { canary: 20, generation: 2 });
  const created = planService(v2, v1, [replica(R1, 'Ready')], ctx(R2));
  assert.deepEqual(reasons(created), ['RevisionCreated']);
  // Until v2 is Ready, Knative resolves the latest target to v1: all traffic on v1, in KServe's two entries.
  assert.deepEqual(traffic(created), [
    { revisionName: R1, percent: 20, latestRevision: true },
    { revisionName: R1, percent: 80, latestRevision: false },
  ]);
  const ready = planService(v2, created.observed, [replica(R1, 'Ready'), replica(R2, 'Ready')], ctx(R2));
  assert.deepEqual(traffic(ready), [
    { revisionName: R2, percent: 20, latestRevision: true },
    { revisionName: R1, percent: 80, latestRevision: false },
  ]);
  const p = ready.status?.components?.predictor;
  assert.equal(p?.latestCreatedRevision, R2);
  assert.equal(p?.latestReadyRevision, R2);
  assert.equal(p?.latestRolledoutRevision, R1);
  assert.equal(p?.previousRolledoutRevision, undefined);
  assert.deepEqual(retired(ready), [], 'v1 keeps serving its 80%');
  assert.deepEqual(reasons(ready), ['Loaded', 'RevisionReady', 'TrafficSplit']);
  assert.match(ready.events[1]!.message, /receives 20% of traffic/);
  assert.deepEqual(
    ready.endpoint.routes.map((r) => [r.revision, r.percent, r.replicas.length, r.latestRevision]),
    [
      [R2, 20, 1, true],
      [R1, 80, 1, false],
    ],
  );
  assert.equal(ready.endpoint.revision, R1, 'the main route (largest share) names the listing port');

  // Promote: the field removed. v2 rolled out, v1 previous, v1's replica drained.
  const promoted = planService(
    isvc('gs://m/v2', { generation: 3 }),
    ready.observed,
    [replica(R1, 'Ready'), replica(R2, 'Ready')],
    ctx(R2),
  );
  assert.deepEqual(traffic(promoted), [{ revisionName: R2, percent: 100, latestRevision: true }]);
  assert.equal(promoted.status?.components?.predictor?.latestRolledoutRevision, R2);
  assert.equal(promoted.status?.components?.predictor?.previousRolledoutRevision, R1);
  assert.deepEqual(retired(promoted), [`${KEY}/${R1}`]);
  assert.deepEqual(reasons(promoted), ['Promoted']);

  // Roll back with 0: all traffic to v1 (started again), v2 keeps running with 0%.
  const back = planService(
    isvc('gs://m/v2', { canary: 0, generation: 4 }),
    promoted.observed,
    [replica(R2, 'Ready')],
    ctx(R2),
  );
  assert.deepEqual(traffic(back), [
    { revisionName: R2, percent: 0, latestRevision: true },
    { revisionName: R1, percent: 100, latestRevision: false },
  ]);
  assert.equal(back.status?.components?.predictor?.latestRolledoutRevision, R1);
  assert.deepEqual(starts(back), [`${KEY}/${R1}`], 'v1 is started again from its stored spec');
  assert.deepEqual(retired(back), [], 'v2 keeps running');
  assert.deepEqual(reasons(back), ['RolledBack']);
  assert.match(back.events[0]!.message, new RegExp(`${R1} receives 100%.*${R2} keeps running with 0%`));
  const v1Route = back.endpoint.routes.find((r) => r.revision === R1);
  assert.equal(v1Route?.activating, true, 'requests are held while v1 starts again');
  const settled = planService(
    { ...isvc('gs://m/v2', { canary: 0, generation: 4 }), status: back.status },
    back.observed,
    [replica(R1, 'Ready'), replica(R2, 'Ready')],
    ctx(R2),
  );
  assert.deepEqual(settled.events, []);
  assert.deepEqual(traffic(settled), traffic(back), 'converged: the same traffic');
  assert.equal(settled.status?.components?.predictor?.readyReplicas, 2);

  // Promote again.
  const again = planService(
    isvc('gs://m/v2', { generation: 5 }),
    settled.observed,
    [replica(R1, 'Ready'), replica(R2, 'Ready')],
    ctx(R2),
  );
  assert.deepEqual(traffic(again), [{ revisionName: R2, percent: 100, latestRevision: true }]);
  assert.equal(again.status?.components?.predictor?.latestRolledoutRevision, R2);
});

test('canary 0 before promotion pins the rolled-out revision; 100 promotes like removing the field', () => {
  const s = { latestCreated: R2, latestReady: R2, latestRolledout: R1 };
  assert.deepEqual(trafficFor(0, s).traffic, [
    { revisionName: R2, percent: 0, latestRevision: true },
    { revisionName: R1, percent: 100, latestRevision: false },
  ]);
  assert.equal(trafficFor(0, s).latestRolledout, R1);
  const full = trafficFor(100, s);
  assert.deepEqual(full.traffic, [{ revisionName: R2, percent: 100, latestRevision: true }]);
  assert.equal(full.latestRolledout, R2);
  assert.equal(full.previousRolledout, R1);
  // The very first revision: canaryTrafficPercent means nothing without a rolled-out revision.
  assert.deepEqual(trafficFor(20, { latestCreated: R1, latestReady: R1 }).traffic, [
    { revisionName: R1, percent: 100, latestRevision: true },
  ]);
  assert.deepEqual(trafficFor(20, { latestCreated: R1 }).traffic, []);
});

test('a canary revision that never becomes Ready takes no traffic; the reason is in the status and events', () => {
  const v1 = servingV1();
  const v2 = isvc('gs://m/v2', { canary: 20, generation: 2 });
  const created = planService(v2, v1, [replica(R1, 'Ready')], ctx(R2));
  const failed = planService(v2, created.observed, [replica(R1, 'Ready'), replica(R2, 'BackOff')], ctx(R2));
  assert.ok(traffic(failed)?.every((t) => t.revisionName === R1));
  assert.deepEqual(
    failed.endpoint.routes.map((r) => [r.revision, r.replicas.length]),
    [
      [R1, 1],
      [R1, 1],
    ],
  );
  assert.equal(failed.endpoint.port !== undefined, true, 'v1 serves');
  const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.reason, 'ModelLoadFailed');
  assert.equal(failed.status?.components?.predictor?.latestReadyRevision, R1);
  assert.equal(failed.events[0]?.type, 'Warning');
  assert.match(failed.events[0]!.message, new RegExp(`revision ${R2} takes no traffic; ${R1} serves`));
});

test('tag routing: latest and prev tags with their hosts in traffic[].url and on the routes', () => {
  const tags = { 'serving.kserve.io/enable-tag-routing': 'true' };
  const v1 = servingV1();
  const v2 = isvc('gs://m/v2', { canary: 10, generation: 2, annotations: tags });
  const specOf = (rev: string) => (rev === R1 ? isvc('gs://m/v1', { annotations: tags }) : undefined);
  const created = planService(v2, v1, [replica(R1, 'Ready')], ctx(R2, { specOf }));
  const ready = planService(v2, created.observed, [replica(R1, 'Ready'), replica(R2, 'Ready')], ctx(R2, { specOf }));
  assert.deepEqual(traffic(ready), [
    {
      revisionName: R2,
      percent: 10,
      latestRevision: true,
      tag: 'latest',
      url: 'http://latest-iris-predictor.default.example.com',
    },
    {
      revisionName: R1,
      percent: 90,
      latestRevision: false,
      tag: 'prev',
      url: 'http://prev-iris-predictor.default.example.com',
    },
  ]);
  assert.deepEqual(
    ready.endpoint.routes.map((r) => [r.revision, r.tag]),
    [
      [R2, 'latest'],
      [R1, 'prev'],
    ],
  );
});

test('replicas follow the ScaleSource: up once the first is Ready, down by draining Ready ones from the last', () => {
  const v1 = servingV1();
  let desired = 3;
  const seen: RevisionScaleInput[] = [];
  const scale = (input: RevisionScaleInput) => {
    seen.push(input);
    return desired;
  };
  const up = planService(isvc('gs://m/v1'), v1, [replica(R1, 'Ready')], ctx(R1, { scale }));
  assert.deepEqual(starts(up), [`${KEY}/${R1}#2`, `${KEY}/${R1}#3`]);
  assert.deepEqual(seen.at(-1), {
    key: `${KEY}/${R1}`,
    settings: seen.at(-1)!.settings,
    ready: 1,
    starting: 0,
    routable: true,
  });
  assert.equal(up.status?.components?.predictor?.desiredReplicas, 3);
  assert.equal(up.status?.components?.predictor?.readyReplicas, 1);

  const three = [
    replica(R1, 'Ready'),
    replica(R1, 'Ready', `${KEY}/${R1}#2`),
    replica(R1, 'Loading', `${KEY}/${R1}#3`),
  ];
  const same = planService(isvc('gs://m/v1'), up.observed, three, ctx(R1, { scale }));
  assert.deepEqual(starts(same), []);
  assert.deepEqual(
    same.endpoint.routes[0]!.replicas.map((r) => r.key),
    [`${KEY}/${R1}`, `${KEY}/${R1}#2`],
  );

  desired = 1;
  const down = planService(isvc('gs://m/v1'), same.observed, three, ctx(R1, { scale }));
  assert.deepEqual(retired(down), [`${KEY}/${R1}#2`], 'never the one still loading');
  assert.deepEqual(
    down.endpoint.routes[0]!.replicas.map((r) => r.key),
    [`${KEY}/${R1}`],
    'a retired replica leaves the endpoint at once',
  );
  // While it drains it is not counted, and its key is not reused.
  desired = 3;
  const draining = new Set([`${KEY}/${R1}#2`]);
  const regrow = planService(isvc('gs://m/v1'), down.observed, three, ctx(R1, { scale, draining }));
  assert.deepEqual(starts(regrow), [`${KEY}/${R1}#4`]);
});

test('scaled to zero: no replica, the route is activating; demand starts the first replica again', () => {
  const own = { specOf: () => undefined };
  const first = planService(isvc('gs://m/v1', { minReplicas: 0 }), undefined, [], ctx(R1, own));
  const ready = planService(
    isvc('gs://m/v1', { minReplicas: 0 }),
    first.observed,
    [replica(R1, 'Ready')],
    ctx(R1, own),
  );
  const zero = planService(isvc('gs://m/v1', { minReplicas: 0 }), ready.observed, [replica(R1, 'Ready')], {
    ...ctx(R1, own),
    scale: () => 0,
  });
  assert.deepEqual(retired(zero), [`${KEY}/${R1}`]);
  const atZero = planService(isvc('gs://m/v1', { minReplicas: 0 }), zero.observed, [], {
    ...ctx(R1, own),
    scale: () => 0,
  });
  assert.equal(atZero.endpoint.routes[0]?.activating, true);
  assert.equal(atZero.endpoint.starting, true);
  assert.equal(atZero.observed.phase, 'Ready', 'scaled to zero is still Ready (KServe: Ready with 0 pods)');
  assert.equal(atZero.status?.components?.predictor?.desiredReplicas, 0);
  const woken = planService(isvc('gs://m/v1', { minReplicas: 0 }), atZero.observed, [], {
    ...ctx(R1, own),
    scale: () => 1,
  });
  assert.deepEqual(starts(woken), [`${KEY}/${R1}`]);
});

test('revision GC keeps the protected ones and the newest `retain` others', () => {
  const recs = [1, 2, 3, 4, 5, 6].map((n) => ({
    ...resolveRevision(isvc(`gs://m/v${n}`), [], NOW).latest,
    name: `iris-predictor-0000${n}`,
    number: n,
  }));
  const gone = revisionsToCollect(recs, new Set(['iris-predictor-00006', 'iris-predictor-00001']), 2);
  assert.deepEqual(
    gone.map((r) => r.name),
    ['iris-predictor-00003', 'iris-predictor-00002'],
  );
  assert.deepEqual(revisionsToCollect(recs, new Set(), 10), []);
});
