// scaleSettingsOf: spec fields, then the autoscaling.knative.dev annotations (the predictor's over the
// metadata's), then Knative's defaults and `inferd serve`'s grace period.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService } from '../../../src/api/types.js';
import { isAutoscaled, KNATIVE_DEFAULTS, scaleSettingsOf } from '../../../src/controllers/autoscaler/scale-source.js';

function isvc(predictor: Record<string, unknown>, annotations?: Record<string, string>): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', ...(annotations ? { annotations } : {}) },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://b/m' }, ...predictor } as never },
  };
}

test("no knobs: KServe's minReplicas 1, no max, concurrency 100 at 70%, Knative's windows, serve's grace", () => {
  const s = scaleSettingsOf(isvc({}), { scaleToZeroGraceMs: 12_000 });
  assert.deepEqual(s, {
    minScale: 1,
    maxScale: 0,
    initialScale: 1,
    metric: 'concurrency',
    target: 100,
    targetUtilizationPercent: 70,
    windowMs: 60_000,
    panicWindowPercent: 10,
    panicThresholdPercent: 200,
    scaleDownDelayMs: 0,
    scaleToZeroGraceMs: 12_000,
    containerConcurrency: 0,
    autoscaled: true,
  });
});

test('serving.kserve.io/autoscalerClass none or external turns autoscaling off (fixed count)', () => {
  for (const cls of ['none', 'external']) {
    const svc = isvc({});
    svc.metadata.annotations = { 'serving.kserve.io/autoscalerClass': cls };
    assert.equal(scaleSettingsOf(svc).autoscaled, false, cls);
  }
});

test('annotations fill what the spec leaves unset; the predictor annotations win over the metadata ones', () => {
  const s = scaleSettingsOf(
    isvc(
      { annotations: { 'autoscaling.knative.dev/window': '20s', 'autoscaling.knative.dev/target': '3' } },
      {
        'autoscaling.knative.dev/window': '90s',
        'autoscaling.knative.dev/metric': 'rps',
        'autoscaling.knative.dev/target-utilization-percentage': '50',
        'autoscaling.knative.dev/panic-window-percentage': '25',
        'autoscaling.knative.dev/panic-threshold-percentage': '300',
        'autoscaling.knative.dev/scale-down-delay': '15s',
        'autoscaling.knative.dev/initial-scale': '3',
        'autoscaling.knative.dev/min-scale': '0',
        'autoscaling.knative.dev/max-scale': '5',
        'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '1m',
      },
    ),
  );
  assert.equal(s.windowMs, 20_000);
  assert.equal(s.target, 3);
  assert.equal(s.metric, 'rps');
  assert.equal(s.targetUtilizationPercent, 50);
  assert.equal(s.panicWindowPercent, 25);
  assert.equal(s.panicThresholdPercent, 300);
  assert.equal(s.scaleDownDelayMs, 15_000);
  assert.equal(s.initialScale, 3);
  assert.equal(s.minScale, 0);
  assert.equal(s.maxScale, 5);
  assert.equal(s.scaleToZeroGraceMs, 60_000);
});

test('spec fields win over their annotations (KServe overwrites the annotations with them)', () => {
  const s = scaleSettingsOf(
    isvc(
      { minReplicas: 2, maxReplicas: 4, scaleMetric: 'concurrency', scaleTarget: 7 },
      {
        'autoscaling.knative.dev/min-scale': '0',
        'autoscaling.knative.dev/max-scale': '9',
        'autoscaling.knative.dev/metric': 'rps',
        'autoscaling.knative.dev/target': '1',
      },
    ),
  );
  assert.deepEqual([s.minScale, s.maxScale, s.metric, s.target, s.initialScale], [2, 4, 'concurrency', 7, 2]);
  // maxReplicas 0 is "unset" in KServe: the annotation applies.
  assert.equal(scaleSettingsOf(isvc({ maxReplicas: 0 }, { 'autoscaling.knative.dev/max-scale': '3' })).maxScale, 3);
});

test('class hpa defaults the metric to cpu at 80%; containerConcurrency is the concurrency target when set', () => {
  const hpa = scaleSettingsOf(isvc({}, { 'autoscaling.knative.dev/class': 'hpa.autoscaling.knative.dev' }));
  assert.deepEqual([hpa.metric, hpa.target], ['cpu', KNATIVE_DEFAULTS.cpuUtilizationPercent]);
  const cc = scaleSettingsOf(isvc({ containerConcurrency: 4 }));
  assert.deepEqual([cc.metric, cc.target, cc.containerConcurrency], ['concurrency', 4, 4]);
  // initial-scale is clamped to max-scale.
  assert.equal(
    scaleSettingsOf(isvc({ maxReplicas: 2 }, { 'autoscaling.knative.dev/initial-scale': '5' })).initialScale,
    2,
  );
});

test('a bad stored annotation falls back to the default instead of breaking the controller', () => {
  const s = scaleSettingsOf(isvc({}, { 'autoscaling.knative.dev/window': 'soon' }));
  assert.equal(s.windowMs, 60_000);
});

test("serving.kserve.io/autoscalerClass none or external means a fixed count (KServe's external class)", () => {
  assert.equal(isAutoscaled(isvc({})), true);
  assert.equal(isAutoscaled(isvc({}, { 'serving.kserve.io/autoscalerClass': 'hpa' })), true);
  assert.equal(isAutoscaled(isvc({}, { 'serving.kserve.io/autoscalerClass': 'none' })), false);
  assert.equal(isAutoscaled(isvc({}, { 'serving.kserve.io/autoscalerClass': 'external' })), false);
});
