// planTrainedModel, table-driven with no processes: KServe's TrainedModel conditions, the memory budget spent
// oldest first, Ready from the load state, and status.url under the parent's host (V1 and V2 forms).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService, TrainedModel } from '../../../src/api/types.js';
import { type LoadState, planTrainedModel } from '../../../src/controllers/trained-model/plan.js';

const NOW = '2026-12-06T20:00:00Z';
const CTX = { now: NOW, domain: 'example.com', parentFormats: ['sklearn'] };

function parent(
  opts: { storageUri?: string; ready?: boolean; memory?: string; protocol?: 'v1' | 'v2' } = {},
): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'mms', namespace: 'ns1' },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'sklearn' },
          ...(opts.protocol ? { protocolVersion: opts.protocol } : {}),
          ...(opts.storageUri ? { storageUri: opts.storageUri } : {}),
          ...(opts.memory ? { resources: { limits: { memory: opts.memory } } } : {}),
        },
      },
    },
    status: {
      url: 'http://mms.ns1.example.com',
      address: { url: 'http://mms-predictor.ns1.svc.cluster.local' },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: NOW }],
    },
  } as InferenceService;
}

function tm(name: string, opts: { framework?: string; memory?: string; created?: string } = {}): TrainedModel {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'TrainedModel',
    metadata: { name, namespace: 'ns1', creationTimestamp: opts.created ?? NOW, generation: 1 },
    spec: {
      inferenceService: 'mms',
      model: { storageUri: 's3://b/m', framework: opts.framework ?? 'sklearn', memory: opts.memory ?? '128Mi' },
    },
  };
}

const LOADED: LoadState = { phase: 'Loaded', replicas: 1 };
const c = (p: ReturnType<typeof planTrainedModel>, type: string) => p.status.conditions?.find((x) => x.type === type);

test('all conditions True and Ready once loaded; url and address in the V1 form', () => {
  const p = planTrainedModel(tm('m1'), parent(), [tm('m1')], LOADED, CTX);
  assert.equal(p.placeable, true);
  for (const type of [
    'FrameworkSupported',
    'InferenceServiceReady',
    'IsMMSPredictor',
    'MemoryResourceAvailable',
    'Ready',
  ]) {
    assert.equal(c(p, type)?.status, 'True', type);
  }
  assert.equal(p.status.url, 'http://mms.ns1.example.com/v1/models/m1:predict');
  assert.equal(p.status.address?.url, 'http://mms-predictor.ns1.svc.cluster.local/v1/models/m1:predict');
  const v2 = planTrainedModel(tm('m1'), parent({ protocol: 'v2' }), [], LOADED, CTX);
  assert.equal(v2.status.url, 'http://mms.ns1.example.com/v2/models/m1/infer');
});

test('Ready follows the load state while the parent is fine', () => {
  const cases: [LoadState, string, string | undefined][] = [
    [{ phase: 'Downloading' }, 'Unknown', 'Downloading'],
    [{ phase: 'Loading' }, 'Unknown', 'ModelLoading'],
    [{ phase: 'Failed', reason: 'ModelMissing', message: 'no model found' }, 'False', 'ModelMissing'],
    [{ phase: 'DownloadFailed', reason: 'NotFound', message: 'no object' }, 'False', 'NotFound'],
    [LOADED, 'True', undefined],
  ];
  for (const [load, status, reason] of cases) {
    const p = planTrainedModel(tm('m1'), parent(), [], load, CTX);
    assert.equal(c(p, 'Ready')?.status, status, load.phase);
    assert.equal(c(p, 'Ready')?.reason, reason, load.phase);
    assert.equal(p.placeable, true);
  }
});

test('BAD CALL - parent missing, not ready, single-model, another framework: not placeable, Ready says which', () => {
  const missing = planTrainedModel(tm('m1'), undefined, [], LOADED, CTX);
  assert.equal(missing.placeable, false);
  assert.equal(c(missing, 'InferenceServiceReady')?.reason, 'InferenceServiceNotFound');
  assert.equal(c(missing, 'Ready')?.reason, 'InferenceServiceNotFound');
  assert.equal(missing.status.url, undefined);

  const notReady = planTrainedModel(tm('m1'), parent({ ready: false }), [], LOADED, CTX);
  assert.equal(c(notReady, 'InferenceServiceReady')?.reason, 'InferenceServiceNotReady');
  assert.equal(notReady.placeable, false);

  const single = planTrainedModel(tm('m1'), parent({ storageUri: 's3://b/one' }), [], LOADED, CTX);
  assert.equal(c(single, 'IsMMSPredictor')?.status, 'False');
  assert.equal(c(single, 'IsMMSPredictor')?.reason, 'IsNotMMSPredictor');
  assert.equal(c(single, 'Ready')?.reason, 'IsNotMMSPredictor');

  const fw = planTrainedModel(tm('m1', { framework: 'xgboost' }), parent(), [], LOADED, CTX);
  assert.equal(c(fw, 'FrameworkSupported')?.reason, 'FrameworkNotSupported');
  assert.match(c(fw, 'FrameworkSupported')?.message ?? '', /"xgboost".*serves: sklearn/);
  assert.equal(fw.placeable, false);
});

test("memory: the parent's limit is spent oldest first; a later model over it is not placed, earlier ones are", () => {
  const a = tm('a', { memory: '512Mi', created: '2026-12-06T19:00:00Z' });
  const b = tm('b', { memory: '512Mi', created: '2026-12-06T19:01:00Z' });
  const late = tm('c', { memory: '1Mi', created: '2026-12-06T19:02:00Z' });
  const all = [late, b, a];
  const p = parent({ memory: '1Gi' });
  assert.equal(planTrainedModel(a, p, all, LOADED, CTX).placeable, true);
  assert.equal(planTrainedModel(b, p, all, LOADED, CTX).placeable, true);
  const over = planTrainedModel(late, p, all, LOADED, CTX);
  assert.equal(over.placeable, false);
  assert.equal(c(over, 'MemoryResourceAvailable')?.reason, 'MemoryResourceNotAvailable');
  assert.match(
    c(over, 'MemoryResourceAvailable')?.message ?? '',
    /limit is 1024Mi, its other models take 1024Mi, this one asks 1Mi/,
  );
  // No limit on the parent: no budget to check.
  assert.equal(planTrainedModel(late, parent(), all, LOADED, CTX).placeable, true);
});

test('lastTransitionTime moves only when a status changes', () => {
  const first = planTrainedModel(tm('m1'), parent(), [], { phase: 'Loading' }, CTX);
  const stored = { ...tm('m1'), status: first.status };
  const later = planTrainedModel(stored, parent(), [], LOADED, { ...CTX, now: '2026-12-06T20:05:00Z' });
  assert.equal(c(later, 'IsMMSPredictor')?.lastTransitionTime, NOW);
  assert.equal(c(later, 'Ready')?.lastTransitionTime, '2026-12-06T20:05:00Z');
});
