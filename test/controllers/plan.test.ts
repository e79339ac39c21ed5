// planService without processes, stores or time: each case is (spec, what was observed, the replicas) →
// the plan (actions, endpoint, events, status, next observed state). Inputs are deep-frozen, so a plan that
// mutated them would throw.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService, InferenceServiceStatus } from '../../src/api/types.js';
import type { ObservedPredictor } from '../../src/controllers/inference-service/observed.js';
import { type PlanContext, planService, type ServicePlan } from '../../src/controllers/inference-service/plan.js';
import type { ReplicaView } from '../../src/controllers/replicas/replica-manager.js';

const NOW = '2026-11-24T06:00:00Z';
const LATER = '2026-11-24T06:05:00Z';
const ctx = (now = NOW): PlanContext => ({ now, domain: 'example.com', modelName: 'iris' });
const REV1 = 'iris-predictor-00001';
const REV2 = 'iris-predictor-00002';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function isvc(generation = 1, opts: { status?: InferenceServiceStatus; noStorage?: boolean } = {}): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', namespace: 'default', generation },
    spec: {
      predictor: {
        model: { modelFormat: { name: 'sklearn' }, ...(opts.noStorage ? {} : { storageUri: 'gs://models/iris' }) },
      },
    },
    ...(opts.status ? { status: opts.status } : {}),
  };
}

function replica(revision: string, phase: ReplicaView['phase'], extra: Partial<ReplicaView> = {}): ReplicaView {
  return {
    key: `default/iris/${revision}`,
    revision,
    phase,
    port: phase === 'Ready' ? 5000 + Number(revision.slice(-1)) : undefined,
    grpcPort: phase === 'Ready' ? 6000 + Number(revision.slice(-1)) : undefined,
    pid: 100,
    restarts: 0,
    failure: undefined,
    ...extra,
  };
}

function plan(
  spec: InferenceService,
  observed: ObservedPredictor | undefined,
  replicas: ReplicaView[],
  c = ctx(),
): ServicePlan {
  return planService(deepFreeze(spec), deepFreeze(observed), deepFreeze(replicas), c);
}

const condition = (p: ServicePlan, type: string) => p.status?.conditions?.find((c) => c.type === type);
const creates = (p: ServicePlan) => p.actions.filter((a) => a.type === 'create');

interface Case {
  name: string;
  run: () => void;
}

const cases: Case[] = [
  {
    name: 'a new service gives create for its first revision, Downloading, a held endpoint',
    run: () => {
      const p = plan(isvc(1), undefined, []);
      assert.deepEqual(p.actions, [{ type: 'create', revision: REV1, generation: 1 }]);
      assert.equal(p.observed.phase, 'Downloading');
      assert.deepEqual(p.events, [
        { type: 'Normal', reason: 'Created', message: `created; rolling out revision ${REV1}` },
      ]);
      assert.equal(condition(p, 'Ready')?.status, 'Unknown');
      assert.equal(condition(p, 'Ready')?.reason, 'Downloading');
      assert.equal(p.endpoint.port, undefined);
      assert.equal(p.endpoint.starting, true);
      assert.equal(p.endpoint.modelName, 'iris');
    },
  },
  {
    name: 'a service seen before (inferd restarted: it has a status) gets no second Created event',
    run: () => {
      const p = plan(isvc(1, { status: { observedGeneration: 1 } }), undefined, []);
      assert.deepEqual(
        p.events.filter((e) => e.reason === 'Created'),
        [],
      );
    },
  },
  {
    name: 'a new generation gives create; the old revision keeps serving meanwhile',
    run: () => {
      const served: ObservedPredictor = {
        revision: REV1,
        generation: 1,
        phase: 'Ready',
        servingRevision: REV1,
        restarts: 0,
      };
      const p = plan(isvc(2), served, [replica(REV1, 'Ready')]);
      assert.deepEqual(creates(p), [{ type: 'create', revision: REV2, generation: 2 }]);
      assert.deepEqual(
        p.actions.filter((a) => a.type !== 'create'),
        [{ type: 'keep', key: `default/iris/${REV1}`, revision: REV1 }],
      );
      assert.deepEqual(p.events, [
        { type: 'Normal', reason: 'RevisionCreated', message: `created revision ${REV2} for generation 2` },
      ]);
      assert.equal(p.observed.revision, REV2);
      assert.equal(p.observed.servingRevision, REV1);
      assert.equal(p.endpoint.port, 5001);
      assert.equal(p.endpoint.grpcPort, 6001);
      assert.equal(p.endpoint.revision, REV1);
    },
  },
  {
    name: 'the same generation again gives no create',
    run: () => {
      const first = plan(isvc(1), undefined, []);
      const again = plan(isvc(1), first.observed, []);
      assert.deepEqual(creates(again), []);
      assert.deepEqual(again.events, []);
    },
  },
  {
    name: 'a Ready new revision retires the old one and takes 100% of traffic',
    run: () => {
      const rolling: ObservedPredictor = {
        revision: REV2,
        generation: 2,
        phase: 'Loading',
        servingRevision: REV1,
        restarts: 0,
      };
      const p = plan(isvc(2), rolling, [replica(REV1, 'Ready'), replica(REV2, 'Ready')]);
      assert.deepEqual(p.actions, [
        { type: 'retire', key: `default/iris/${REV1}`, revision: REV1 },
        { type: 'keep', key: `default/iris/${REV2}`, revision: REV2 },
      ]);
      assert.deepEqual(p.events, [
        { type: 'Normal', reason: 'Loaded', message: `revision ${REV2}: model loaded, 1 replica ready` },
        { type: 'Normal', reason: 'RevisionReady', message: `revision ${REV2} is ready and receives 100% of traffic` },
      ]);
      assert.equal(p.observed.phase, 'Ready');
      assert.equal(p.observed.servingRevision, REV2);
      assert.equal(p.endpoint.port, 5002);
      assert.equal(p.endpoint.revision, REV2);
      assert.deepEqual(p.status?.components?.predictor?.traffic, [
        { revisionName: REV2, percent: 100, latestRevision: true },
      ]);
      // Once serving, a later pass retires nothing more.
      const next = plan(isvc(2), p.observed, [replica(REV2, 'Ready')]);
      assert.deepEqual(next.actions, [{ type: 'keep', key: `default/iris/${REV2}`, revision: REV2 }]);
      assert.deepEqual(next.events, []);
    },
  },
  {
    name: 'a failed revision stays Failed while its replica retries; one event per failure',
    run: () => {
      const loading: ObservedPredictor = { revision: REV1, generation: 1, phase: 'Loading', restarts: 0 };
      const failure = { reason: 'ModelLoadFailed', message: 'bad pickle', exitCode: 1 };
      const failed = plan(isvc(1), loading, [replica(REV1, 'BackOff', { failure, restarts: 0 })]);
      assert.equal(failed.observed.phase, 'Failed');
      assert.deepEqual(failed.events, [{ type: 'Warning', reason: 'ModelLoadFailed', message: 'bad pickle' }]);
      assert.equal(condition(failed, 'Ready')?.status, 'False');
      assert.equal(failed.endpoint.starting, false, 'a revision that never served answers 503 at once');

      // Restarted by the manager: Starting, then Loading: still Failed, no flapping to Loading.
      for (const phase of ['Starting', 'Loading'] as const) {
        const retrying = plan(isvc(1), failed.observed, [replica(REV1, phase, { restarts: 1 })], ctx(LATER));
        assert.equal(retrying.observed.phase, 'Failed', phase);
        assert.equal(retrying.observed.restarts, 1);
        assert.equal(condition(retrying, 'Ready')?.status, 'False');
        assert.deepEqual(retrying.events, []);
      }
      // Failing again the same way: no second event, and the failure keeps its first time.
      const again = plan(isvc(1), failed.observed, [replica(REV1, 'BackOff', { failure, restarts: 1 })], ctx(LATER));
      assert.deepEqual(again.events, []);
      assert.equal(again.observed.failure?.time, NOW);
    },
  },
  {
    name: 'resuming after an inferd restart writes no status until the replica settles',
    run: () => {
      const ready = plan(isvc(1), { revision: REV1, generation: 1, phase: 'Loading', restarts: 0 }, [
        replica(REV1, 'Ready'),
      ]);
      assert.ok(ready.status, 'a Ready status to resume from');
      const stored = isvc(1, { status: ready.status });

      const resumed = plan(stored, undefined, []);
      assert.equal(resumed.status, undefined);
      assert.equal(resumed.observed.resuming, true);
      assert.deepEqual(creates(resumed), [{ type: 'create', revision: REV1, generation: 1 }]);
      const loading = plan(stored, resumed.observed, [replica(REV1, 'Loading')]);
      assert.equal(loading.status, undefined, 'no Loading flap in the stored status');

      const settled = plan(stored, loading.observed, [replica(REV1, 'Ready')]);
      assert.equal(settled.observed.resuming, undefined);
      assert.equal(settled.observed.phase, 'Ready');
      assert.equal(settled.endpoint.port, 5001);
      // The world is as stored: nothing to write.
      assert.equal(settled.status, undefined);

      // A service whose stored status is not Ready for this revision is not resumed.
      assert.ok(plan(isvc(1), undefined, []).status);
    },
  },
  {
    name: 'a crashed serving replica publishes a held ("starting") endpoint',
    run: () => {
      const serving: ObservedPredictor = {
        revision: REV1,
        generation: 1,
        phase: 'Ready',
        servingRevision: REV1,
        restarts: 0,
      };
      const crash = { reason: 'ReplicaCrashed', message: 'model server exited (signal SIGKILL) while serving' };
      for (const phase of ['BackOff', 'Exited', 'Starting', 'Loading'] as const) {
        const p = plan(isvc(1), serving, [replica(REV1, phase, { failure: phase === 'BackOff' ? crash : undefined })]);
        assert.equal(p.endpoint.port, undefined, phase);
        assert.equal(p.endpoint.starting, true, phase);
        assert.equal(p.endpoint.revision, undefined, phase);
      }
      const backoff = plan(isvc(1), serving, [replica(REV1, 'BackOff', { failure: crash })]);
      assert.equal(backoff.endpoint.reason, 'ReplicaCrashed');
      assert.deepEqual(backoff.events, [{ type: 'Warning', reason: crash.reason, message: crash.message }]);
      // Its restart, Loading again, shows as Restarting.
      const restarting = plan(isvc(1), { ...serving, phase: 'Ready' }, [replica(REV1, 'Loading', { restarts: 1 })]);
      assert.equal(restarting.observed.phase, 'Restarting');
      assert.equal(condition(restarting, 'Ready')?.reason, 'ReplicaRestarting');
    },
  },
  {
    name: 'a model predictor without storageUri is a multi-model server (rolled out); custom containers without one are final',
    run: () => {
      // KServe's IsMMSPredictor: started with no model, filled by TrainedModels (docs/multi-model.md).
      const p = plan(isvc(1, { noStorage: true }), undefined, []);
      assert.deepEqual(creates(p), [{ type: 'create', revision: REV1, generation: 1 }]);
      assert.equal(p.observed.phase, 'Downloading');
      assert.deepEqual(p.events, [
        { type: 'Normal', reason: 'Created', message: `created; rolling out revision ${REV1}` },
      ]);
      const again = p;

      // Custom containers name no storage and still roll out: they run as processes (docs/containers.md).
      const containers = deepFreeze({
        ...isvc(1),
        spec: { predictor: { containers: [{ name: 'kserve-container', command: ['my-server'] }] } },
      } as InferenceService);
      const c = plan(containers, undefined, []);
      assert.deepEqual(creates(c), [{ type: 'create', revision: REV1, generation: 1 }]);
      assert.equal(c.observed.failure, undefined);

      // Fixing the spec (a new generation) rolls out again.
      const fixed = plan(isvc(2), again.observed, []);
      assert.deepEqual(creates(fixed), [{ type: 'create', revision: REV2, generation: 2 }]);
      assert.equal(fixed.observed.phase, 'Downloading');
      assert.equal(fixed.observed.failure, undefined);
    },
  },
  {
    name: 'OOMKilled and load-timeout info is kept after the restart is Ready (a Pod lastState)',
    run: () => {
      const serving: ObservedPredictor = {
        revision: REV1,
        generation: 1,
        phase: 'Ready',
        servingRevision: REV1,
        restarts: 0,
      };
      for (const failure of [
        { reason: 'OOMKilled', message: 'model server used 600Mi of memory, over its limit', exitCode: 137 },
        { reason: 'ModelLoadTimeout', message: 'model did not load within 30s', exitCode: null },
      ]) {
        const killed = plan(isvc(1), serving, [replica(REV1, 'BackOff', { failure })]);
        assert.equal(killed.observed.failure?.reason, failure.reason);
        assert.equal(killed.status?.modelStatus?.lastFailureInfo?.reason, failure.reason);
        const back = plan(isvc(1), killed.observed, [replica(REV1, 'Ready', { restarts: 1 })], ctx(LATER));
        assert.equal(back.observed.phase, 'Ready');
        assert.equal(back.observed.failure, undefined);
        assert.equal(condition(back, 'Ready')?.status, 'True');
        const info = back.status?.modelStatus?.lastFailureInfo;
        assert.equal(info?.reason, failure.reason, 'kept after Ready');
        assert.equal(info?.message, failure.message);
        assert.equal(info?.time, NOW);
        if (failure.exitCode === 137) assert.equal(info?.exitCode, 137);
        else assert.equal(info?.exitCode, undefined);
        assert.equal(back.status?.components?.predictor?.restartCount, 1);
      }
    },
  },
];

for (const c of cases) test(c.name, c.run);
