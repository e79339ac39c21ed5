// resources.limits quantities and the load-timeout annotation: parsed as Kubernetes and Go parse them,
// refused at admission with their JSON path, and turned into what the replica runs with.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admit, type InferenceService, validateInferenceService } from '../../src/api/index.js';
import {
  DEFAULT_LOAD_TIMEOUT_MS,
  INTRA_OP_THREADS_ANNOTATION,
  intraOpThreadsFor,
  LOAD_TIMEOUT_ANNOTATION,
  limitsOf,
  loadTimeoutFor,
  parseDurationText,
  parseQuantity,
  threadEnvFor,
} from '../../src/api/limits.js';
import { ERROR_TABLE } from '../../src/errors.js';
import { ctx, isvc, SERVED_SOON, sklearnModel, throwsAt } from './helpers.js';

test('memory and cpu quantities parse as Kubernetes does', () => {
  assert.equal(parseQuantity('256Mi'), 256 * 2 ** 20);
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('128974848'), 128974848);
  assert.equal(parseQuantity('129e6'), 129e6);
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity(1.5), 1.5);
  for (const bad of ['lots', '1.5.1Gi', '-1Gi', 'Mi', '', '1 Gi x', null, {}]) {
    assert.equal(parseQuantity(bad), undefined, JSON.stringify(bad));
  }
});

test('durations: Go style, positive only', () => {
  assert.equal(parseDurationText('30s'), 30_000);
  assert.equal(parseDurationText('1m30s'), 90_000);
  assert.equal(parseDurationText('500ms'), 500);
  assert.equal(parseDurationText('2h'), 7_200_000);
  for (const bad of ['soon', '30', '-5s', '0s', '', 5]) assert.equal(parseDurationText(bad), undefined, String(bad));
});

test('limitsOf reads resources.limits; absent or zero limits are no limits', () => {
  assert.deepEqual(limitsOf({ limits: { memory: '256Mi', cpu: '500m' } }), { memoryBytes: 268435456, cpu: 0.5 });
  assert.deepEqual(limitsOf({ requests: { memory: '1Gi' } }), {});
  assert.deepEqual(limitsOf(undefined), {});
  assert.deepEqual(limitsOf({ limits: { cpu: '0' } }), {});
});

test('the load timeout comes from the annotation, else serve’s default, and says which', () => {
  assert.deepEqual(loadTimeoutFor({ [LOAD_TIMEOUT_ANNOTATION]: '30s' }, DEFAULT_LOAD_TIMEOUT_MS), {
    loadTimeoutMs: 30_000,
    loadTimeoutSource: 'annotation serving.inferd.dev/load-timeout: 30s',
  });
  const d = loadTimeoutFor(undefined, 120_000);
  assert.equal(d.loadTimeoutMs, 120_000);
  assert.match(d.loadTimeoutSource, /--load-timeout/);
  assert.equal(DEFAULT_LOAD_TIMEOUT_MS, 300_000);
});

test('cpu limits become thread counts; libuv’s pool is never raised above its default 4', () => {
  assert.deepEqual(threadEnvFor({}), {});
  assert.deepEqual(threadEnvFor({ cpu: 0.5 }), {
    UV_THREADPOOL_SIZE: '1',
    OMP_NUM_THREADS: '1',
    OPENBLAS_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    ORT_INTRA_OP_NUM_THREADS: '1',
  });
  const eight = threadEnvFor({ cpu: 8 });
  assert.equal(eight.UV_THREADPOOL_SIZE, '4');
  assert.equal(eight.OMP_NUM_THREADS, '8');
});

test('bad quantities and a bad load-timeout annotation are refused at their paths', () => {
  const obj = isvc(sklearnModel({ resources: { limits: { memory: 'lots', cpu: '2' }, requests: { cpu: 'x' } } }));
  obj.metadata.annotations = { [LOAD_TIMEOUT_ANNOTATION]: 'soon' };
  const problems = validateInferenceService(obj, { servedFormats: ['sklearn'] });
  const paths = problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    'metadata.annotations["serving.inferd.dev/load-timeout"]',
    'spec.predictor.model.resources.limits.memory',
    'spec.predictor.model.resources.requests.cpu',
  ]);
  const tiny = isvc(sklearnModel({ resources: { limits: { memory: '10Mi' } } }));
  const tinyProblems = validateInferenceService(tiny, { servedFormats: ['sklearn'] });
  assert.equal(tinyProblems.length, 1);
  assert.match(tinyProblems[0]!.message, /at least 64Mi/);
  const ok = isvc(sklearnModel({ resources: { limits: { memory: '256Mi', cpu: '500m' } } }));
  ok.metadata.annotations = { [LOAD_TIMEOUT_ANNOTATION]: '10m' };
  assert.deepEqual(validateInferenceService(ok, { servedFormats: ['sklearn'] }), []);
});

test('intra-op threads: the annotation forces, else serve default, else the CPU limit, else min(2, cores / minReplicas)', () => {
  const base = { annotations: undefined, limits: {}, minReplicas: undefined, cores: 16 };
  assert.equal(intraOpThreadsFor(base), 2);
  assert.equal(intraOpThreadsFor({ ...base, cores: 1 }), 1);
  assert.equal(intraOpThreadsFor({ ...base, minReplicas: 0 }), 2);
  assert.equal(intraOpThreadsFor({ ...base, cores: 4, minReplicas: 3 }), 1);
  assert.equal(intraOpThreadsFor({ ...base, cores: 2, minReplicas: 2 }), 1);
  // resources.limits.cpu, rounded down: each replica (Pod) has its own.
  assert.equal(intraOpThreadsFor({ ...base, limits: { cpu: 4 } }), 4);
  assert.equal(intraOpThreadsFor({ ...base, limits: { cpu: 2.5 } }), 2);
  assert.equal(intraOpThreadsFor({ ...base, limits: { cpu: 0.5 } }), 1);
  assert.equal(intraOpThreadsFor({ ...base, limits: limitsOf({ limits: { cpu: '3500m' } }) }), 3);
  // serve's own INFERD_INTRA_OP_THREADS comes before the limit; the annotation before everything.
  assert.equal(intraOpThreadsFor({ ...base, limits: { cpu: 4 }, serveDefault: '1' }), 1);
  const annotated = { [INTRA_OP_THREADS_ANNOTATION]: '6' };
  assert.equal(intraOpThreadsFor({ ...base, annotations: annotated, limits: { cpu: 1 }, serveDefault: '1' }), 6);
});

test('the intra-op-threads annotation is validated at admission: 422 at its path', () => {
  for (const bad of ['0', '-2', '1.5', 'many', '65', '']) {
    const obj = isvc(sklearnModel()) as InferenceService;
    obj.metadata.annotations = { [INTRA_OP_THREADS_ANNOTATION]: bad };
    const err = throwsAt(
      () => admit(obj, 'CREATE', undefined, ctx(SERVED_SOON)),
      `metadata.annotations["${INTRA_OP_THREADS_ANNOTATION}"]`,
      /whole number of threads from 1 to 64/,
    );
    assert.equal(ERROR_TABLE[err.code].http, 422);
  }
  const ok = isvc(sklearnModel()) as InferenceService;
  ok.metadata.annotations = { [INTRA_OP_THREADS_ANNOTATION]: '4' };
  assert.deepEqual(validateInferenceService(ok, { servedFormats: ['sklearn'] }), []);
});
