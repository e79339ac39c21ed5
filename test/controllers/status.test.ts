import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { revisionName } from '../../src/controllers/inference-service/observed.js';
import {
  computeStatus,
  describeProgress,
  formatBytes,
  formatSeconds,
} from '../../src/controllers/inference-service/status.js';

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
    {
      revision: rev,
      generation: 1,
      phase: 'Ready',
      servingRevision: rev,
      restarts: 0,
      latestRolledout: rev,
      traffic: [{ revisionName: rev, percent: 100, latestRevision: true }],
    },
    ctx,
  );
  assert.equal(st.url, 'http://sklearn-iris.kserve-test.example.com');
  assert.equal(st.components?.predictor?.latestRolledoutRevision, rev);
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

test('a replica Ready again after an OOMKilled restart still shows the termination, as a Pod’s lastState', () => {
  const rev = revisionName('sklearn-iris', 1);
  const oom = { reason: 'OOMKilled', message: 'model server used 270Mi of memory', exitCode: 137, time: ctx.now };
  const st = computeStatus(
    isvc,
    { revision: rev, generation: 1, phase: 'Ready', servingRevision: rev, restarts: 1, lastTermination: oom },
    ctx,
  );
  assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(st.components?.predictor?.restartCount, 1);
  assert.deepEqual(st.modelStatus?.lastFailureInfo, {
    reason: 'OOMKilled',
    message: 'model server used 270Mi of memory',
    time: ctx.now,
    exitCode: 137,
  });
});

test('recomputing an unchanged status gives identical bytes (no resourceVersion churn)', () => {
  const rev = revisionName('sklearn-iris', 1);
  const obs = { revision: rev, generation: 1, phase: 'Ready' as const, servingRevision: rev, restarts: 0 };
  const first = computeStatus(isvc, obs, ctx);
  const again = computeStatus({ ...isvc, status: first }, obs, { ...ctx, now: '2026-11-24T07:00:00Z' });
  assert.equal(JSON.stringify(again), JSON.stringify(first));
});

test('a downloading predictor shows bytes, total, rate and ETA in PredictorReady and Ready', () => {
  const st = computeStatus(
    isvc,
    {
      revision: revisionName('sklearn-iris', 1),
      generation: 1,
      phase: 'Downloading',
      restarts: 0,
      progress: { bytes: 12.3 * 1024 ** 2, totalBytes: 50 * 1024 ** 2, rateBytesPerSec: 8.1 * 1024 ** 2, etaSec: 5 },
    },
    ctx,
  );
  for (const type of ['PredictorReady', 'Ready']) {
    const c = st.conditions?.find((x) => x.type === type);
    assert.equal(c?.status, 'Unknown');
    assert.equal(c?.reason, 'Downloading');
    assert.equal(c?.message, 'downloading model: 12.3 MiB of 50.0 MiB (8.1 MiB/s, ETA 5s)');
  }
});

test('a retried storage failure while downloading is Unknown (still trying) with the failure reason', () => {
  const st = computeStatus(
    isvc,
    {
      revision: revisionName('sklearn-iris', 1),
      generation: 1,
      phase: 'Downloading',
      restarts: 0,
      failure: {
        reason: 'StorageUnreachable',
        message: 'cannot reach storage at storage.googleapis.com:443: ENOTFOUND; retrying in 1s (attempt 2)',
        time: ctx.now,
      },
    },
    ctx,
  );
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'Unknown');
  assert.equal(ready?.reason, 'StorageUnreachable');
  assert.match(ready?.message ?? '', /storage\.googleapis\.com:443/);
});

test('progress text: unknown totals, sub-second ETAs, finished downloads, binary units', () => {
  assert.equal(describeProgress({ bytes: 512, rateBytesPerSec: 2048 }), '512 B (2.0 KiB/s)');
  assert.equal(
    describeProgress({ bytes: 900, totalBytes: 1000, rateBytesPerSec: 1000, etaSec: 0 }),
    '900 B of 1000 B (1000 B/s, ETA <1s)',
  );
  assert.equal(
    describeProgress({ bytes: 1000, totalBytes: 1000, rateBytesPerSec: 1000, etaSec: 0 }),
    '1000 B of 1000 B (1000 B/s)',
  );
  assert.equal(describeProgress({ bytes: 3 * 1024 ** 3, totalBytes: 64 * 1024 ** 3 }), '3.0 GiB of 64.0 GiB');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB');
  assert.equal(formatSeconds(59.4), '59s');
  assert.equal(formatSeconds(125), '2m05s');
  assert.equal(formatSeconds(3720), '1h02m');
});
