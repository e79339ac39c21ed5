// planTrainedModel, table-driven with no processes: KServe's TrainedModel conditions, the memory budget spent
// oldest first, Ready from the load state, and status.url under the parent's host (V1 and V2 forms).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService, TrainedModel } from '../../../src/api/types.js';
import {
  LOADED_BYTES_ANNOTATION,
  type LoadState,
  modelWorkerHeapMb,
  planTrainedModel,
} from '../../../src/controllers/trained-model/plan.js';

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

test("the TrainedModels' worker heap limit: the parent's memory limit, else the models' budgets plus the base", () => {
  const models = (...memory: string[]) => memory.map((m, i) => tm(`m${i}`, { memory: m }));
  const cases: {
    what: string;
    parent: InferenceService | undefined;
    models: TrainedModel[];
    cap: number;
    mb: number;
  }[] = [
    { what: "the parent's limit", parent: parent({ memory: '512Mi' }), models: models('128Mi'), cap: 1024, mb: 512 },
    { what: 'a limit not in whole MiB, rounded up', parent: parent({ memory: '1G' }), models: [], cap: 4096, mb: 954 },
    { what: "the parent's limit, capped", parent: parent({ memory: '4Gi' }), models: [], cap: 1024, mb: 1024 },
    { what: "the parent's limit, floored", parent: parent({ memory: '8Mi' }), models: [], cap: 1024, mb: 32 },
    { what: 'no limit: base 64 + 2 × 1Mi → 128', parent: parent(), models: models('1Mi', '1Mi'), cap: 1024, mb: 128 },
    { what: 'no limit: base 64 + 0 → 64', parent: parent(), models: [], cap: 1024, mb: 64 },
    { what: 'no limit: 64 + 128 + 256 → 512', parent: parent(), models: models('128Mi', '256Mi'), cap: 1024, mb: 512 },
    {
      what: 'no limit: 64 + 1000 × 1Mi → 2048, capped',
      parent: parent(),
      models: models(...Array(1000).fill('1Mi')),
      cap: 1024,
      mb: 1024,
    },
    { what: 'no limit, a small cap', parent: parent(), models: models('64Mi'), cap: 100, mb: 100 },
    { what: 'no parent (yet)', parent: undefined, models: models('16Mi'), cap: 1024, mb: 128 },
  ];
  for (const k of cases) assert.equal(modelWorkerHeapMb(k.parent, k.models, k.cap), k.mb, k.what);
});

test("the size measured at load is in status.annotations while loaded; KServe's fields and other annotations stay", () => {
  const m = tm('a');
  m.status = { annotations: { 'example.com/other': 'x' } };
  const loaded = planTrainedModel(m, parent(), [m], { phase: 'Loaded', replicas: 1, loadedBytes: 12_345 }, CTX);
  assert.deepEqual(loaded.status.annotations, { 'example.com/other': 'x', [LOADED_BYTES_ANNOTATION]: '12345' });
  assert.equal(loaded.status.url, 'http://mms.ns1.example.com/v1/models/a:predict');
  const failed = planTrainedModel(
    { ...m, status: loaded.status },
    parent(),
    [m],
    {
      phase: 'Failed',
      reason: 'MemoryLimitExceeded',
      message: 'model a uses 310 MiB after load, its memory is 256 MiB',
    },
    CTX,
  );
  assert.deepEqual(failed.status.annotations, { 'example.com/other': 'x' }, 'no size while not loaded');
  assert.equal(c(failed, 'Ready')?.reason, 'MemoryLimitExceeded');
  assert.match(c(failed, 'Ready')?.message ?? '', /uses 310 MiB after load, its memory is 256 MiB/);
  const bare = planTrainedModel(tm('b'), parent(), [tm('b')], LOADED, CTX);
  assert.equal(bare.status.annotations, undefined, 'no annotations map without a size');
});
