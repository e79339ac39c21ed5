import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { revisionName } from '../../src/controllers/inference-service/observed.js';
import { computeStatus } from '../../src/controllers/inference-service/status.js';

const isvc: InferenceService = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'sklearn-iris', namespace: 'kserve-test', generation: 1 },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: '/m' } } },
};
const ctx = { domain: 'example.com', now: '2026-11-24T06:00:00Z' };

test('revision names follow the generation like Knative', () => {
  assert.equal(revisionName('sklearn-iris', 1), 'sklearn-iris-predictor-00001');
  assert.equal(revisionName('x', 12), 'x-predictor-00012');
});

test('a ready predictor gives KServe-shaped Ready status with url, traffic and Loaded model', () => {
  const rev = revisionName('sklearn-iris', 1);
  const st = computeStatus(
    isvc,
    { revision: rev, generation: 1, phase: 'Ready', servingRevision: rev, restarts: 0 },
    ctx,
  );
  assert.equal(st.url, 'http://sklearn-iris.kserve-test.example.com');
  assert.equal(st.address?.url, 'http://sklearn-iris.kserve-test.svc.cluster.local');
  assert.deepEqual(
    st.conditions?.map((c) => [c.type, c.status]),
    [
      ['IngressReady', 'True'],
      ['PredictorReady', 'True'],
      ['Ready', 'True'],
    ],
  );
  assert.equal(st.components?.predictor?.latestReadyRevision, rev);
  assert.deepEqual(st.components?.predictor?.traffic, [{ revisionName: rev, percent: 100, latestRevision: true }]);
  assert.equal(st.modelStatus?.states?.activeModelState, 'Loaded');
  assert.equal(st.observedGeneration, 1);
});

test('a failed load is not Ready and carries the reason and message', () => {
  const st = computeStatus(
    isvc,
    {
      revision: 'sklearn-iris-predictor-00001',
      generation: 1,
      phase: 'Failed',
      restarts: 2,
      failure: { reason: 'UnsafeModel', message: "pickle references 'posix.system'", time: ctx.now },
    },
    ctx,
  );
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.reason, 'UnsafeModel');
  assert.match(ready?.message ?? '', /posix\.system/);
  assert.equal(st.modelStatus?.states?.activeModelState, 'FailedToLoad');
  assert.equal(st.modelStatus?.lastFailureInfo?.reason, 'UnsafeModel');
  assert.equal(st.components?.predictor?.restartCount, 2);
  assert.deepEqual(st.components?.predictor?.traffic, []);
});

test('recomputing an unchanged status gives identical bytes (no resourceVersion churn)', () => {
  const rev = revisionName('sklearn-iris', 1);
  const obs = { revision: rev, generation: 1, phase: 'Ready' as const, servingRevision: rev, restarts: 0 };
  const first = computeStatus(isvc, obs, ctx);
  const again = computeStatus({ ...isvc, status: first }, obs, { ...ctx, now: '2026-11-24T07:00:00Z' });
  assert.equal(JSON.stringify(again), JSON.stringify(first));
});
