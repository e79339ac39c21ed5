// Issue 14's bad scaling input through the real control API with inferd's admission: each is a 422 Status whose
// cause names the JSON path, in KServe's wording where KServe has one (component.go) and Knative's for the
// autoscaling annotations; a create, a merge-patch and a replace are all refused; good values are accepted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admit } from '../../src/api/admission.js';
import { ctx, SERVED_SOON } from '../api/helpers.js';
import { call, type Harness, startApi } from './harness.js';

const ISVCS = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';

const withAdmission = (t: Parameters<typeof startApi>[0]) =>
  startApi(t, { admit: (obj, op, old) => admit(obj, op, old, ctx(SERVED_SOON)) });

const isvc = (name: string, predictor: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://bucket/iris' }, ...predictor } },
});

async function refused(h: Harness, body: unknown, field: string, message: RegExp): Promise<void> {
  const res = await call(h, 'POST', ISVCS, body);
  assert.equal(res.status, 422, res.text);
  assert.equal(res.json.reason, 'Invalid');
  const cause = res.json.details.causes.find((c: { field: string }) => c.field === field);
  assert.ok(cause, `no cause at ${field}: ${res.text}`);
  assert.match(cause.message, message);
  const name = (body as { metadata: { name: string } }).metadata.name;
  assert.equal((await call(h, 'GET', `${ISVCS}/${name}`)).status, 404, 'nothing was stored');
}

test('BAD CALL - canaryTrafficPercent outside 0-100 is 422 at spec.predictor.canaryTrafficPercent', async (t) => {
  const h = await withAdmission(t);
  const path = 'spec.predictor.canaryTrafficPercent';
  await refused(h, isvc('c1', { canaryTrafficPercent: 101 }), path, /must be between 0 and 100, got 101/);
  await refused(h, isvc('c2', { canaryTrafficPercent: -1 }), path, /must be between 0 and 100, got -1/);
  await refused(h, isvc('c3', { canaryTrafficPercent: 12.5 }), path, /must be an integer/);
  // A merge-patch to a bad value is refused too, and the stored object keeps its value.
  assert.equal((await call(h, 'POST', ISVCS, isvc('c4', { canaryTrafficPercent: 20 }))).status, 201);
  const patch = await call(
    h,
    'PATCH',
    `${ISVCS}/c4`,
    { spec: { predictor: { canaryTrafficPercent: 120 } } },
    'application/merge-patch+json',
  );
  assert.equal(patch.status, 422, patch.text);
  assert.equal(patch.json.details.causes[0].field, path);
  assert.equal((await call(h, 'GET', `${ISVCS}/c4`)).json.spec.predictor.canaryTrafficPercent, 20);
});

test("BAD CALL - minReplicas > maxReplicas is 422 with KServe's wording, also across spec and annotations", async (t) => {
  const h = await withAdmission(t);
  await refused(
    h,
    isvc('r1', { minReplicas: 3, maxReplicas: 2 }),
    'spec.predictor.maxReplicas',
    /^MinReplicas cannot be greater than MaxReplicas: minReplicas is 3, maxReplicas 2/,
  );
  await refused(h, isvc('r2', { minReplicas: -1 }), 'spec.predictor.minReplicas', /^MinReplicas cannot be less than 0/);
  await refused(
    h,
    isvc('r3', { minReplicas: 3 }, { 'autoscaling.knative.dev/max-scale': '2' }),
    'metadata.annotations["autoscaling.knative.dev/max-scale"]',
    /minReplicas is 3 and autoscaling.knative.dev\/max-scale is 2/,
  );
  assert.equal((await call(h, 'POST', ISVCS, isvc('r4', { minReplicas: 0, maxReplicas: 3 }))).status, 201);
});

test('BAD CALL - an unknown scaleMetric is 422 with KServe\'s "is not a supported metric"', async (t) => {
  const h = await withAdmission(t);
  await refused(
    h,
    isvc('m1', { scaleMetric: 'latency' }),
    'spec.predictor.scaleMetric',
    /^\[latency\] is not a supported metric; must be one of "cpu", "memory", "concurrency" or "rps"$/,
  );
  await refused(h, isvc('m2', { scaleMetric: 'rsp' }), 'spec.predictor.scaleMetric', /did you mean "rps"\?/);
});

test('BAD CALL - a negative containerConcurrency is 422 with KServe\'s "Parallelism cannot be less than 0"', async (t) => {
  const h = await withAdmission(t);
  await refused(
    h,
    isvc('p1', { containerConcurrency: -1 }),
    'spec.predictor.containerConcurrency',
    /^Parallelism cannot be less than 0, got -1/,
  );
});

test('BAD CALL - autoscaling annotations out of bounds are 422 at their annotation path, saying the range', async (t) => {
  const h = await withAdmission(t);
  await refused(
    h,
    isvc('a1', {}, { 'autoscaling.knative.dev/window': '2s' }),
    'metadata.annotations["autoscaling.knative.dev/window"]',
    /^expected 6s <= 2s <= 1h \(the stable window, from 6s to 1h\)$/,
  );
  await refused(
    h,
    isvc('a2', { annotations: { 'autoscaling.knative.dev/panic-threshold-percentage': '1500' } }),
    'spec.predictor.annotations["autoscaling.knative.dev/panic-threshold-percentage"]',
    /^expected 110 <= 1500 <= 1000/,
  );
  const good = isvc(
    'a3',
    { minReplicas: 0, maxReplicas: 4, scaleMetric: 'concurrency', scaleTarget: 2, containerConcurrency: 4 },
    {
      'autoscaling.knative.dev/window': '30s',
      'autoscaling.knative.dev/panic-window-percentage': '20',
      'autoscaling.knative.dev/scale-down-delay': '10s',
      'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '45s',
    },
  );
  const res = await call(h, 'POST', ISVCS, good);
  assert.equal(res.status, 201, res.text);
});
