// A revision's download with a fake clock: failed downloads are retried after a doubling back-off up to its
// cap, the failure is on the observed state meanwhile, success starts the replica, cancel stops the retries.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService, PredictorSpec } from '../../src/api/types.js';
import type { ObservedPredictor } from '../../src/controllers/inference-service/observed.js';
import {
  DEFAULT_RETRY_BACKOFF_MS,
  type ModelFetcher,
  Rollout,
  retryDelayMs,
} from '../../src/controllers/inference-service/rollout.js';
import { InferdError } from '../../src/errors.js';
import { FakeClock } from '../support/fake-clock.js';

const isvc: InferenceService = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'iris', namespace: 'default', generation: 1 },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/iris' } } },
};

/** Lets the rollout's awaited fetch settle (microtasks only; no time passes). */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(outcomes: ('fail' | 'ok')[], backoff = { base: 5_000, max: 12_000 }) {
  const clock = new FakeClock();
  const observed: ObservedPredictor = {
    revision: 'iris-predictor-00001',
    generation: 1,
    phase: 'Downloading',
    restarts: 0,
  };
  const started: string[] = [];
  const events: string[] = [];
  let fetches = 0;
  let changes = 0;
  const fetchModel: ModelFetcher = async () => {
    const outcome = outcomes[fetches++] ?? 'ok';
    if (outcome === 'fail') {
      throw new InferdError('STORAGE_FAILED', 'cannot reach storage', { reason: 'StorageUnreachable' });
    }
    return { modelDir: '/models/iris' };
  };
  const rollout = new Rollout({
    isvc,
    revision: observed.revision,
    generation: 1,
    fetchModel,
    clock,
    retryBackoffMs: backoff.base,
    retryBackoffMaxMs: backoff.max,
    observed: () => observed,
    current: () => isvc,
    startReplica: (_spec, modelDir) => started.push(modelDir),
    event: (_spec, type, reason) => events.push(`${type} ${reason}`),
    changed: () => changes++,
  });
  return { clock, observed, started, events, rollout, fetches: () => fetches, changes: () => changes };
}

test('retryDelayMs doubles from the base up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, DEFAULT_RETRY_BACKOFF_MS, 60_000)),
    [5_000, 10_000, 20_000, 40_000, 60_000, 60_000],
  );
});

test('a failed download is retried after a doubling back-off, then starts the replica', async () => {
  const r = setup(['fail', 'fail', 'fail', 'ok']);
  r.rollout.start();
  await flush();
  assert.equal(r.fetches(), 1);
  assert.equal(r.observed.phase, 'Failed');
  assert.equal(r.observed.failure?.reason, 'StorageUnreachable', 'the InferdError reason reaches the status');
  assert.equal(r.observed.failure?.time, '2026-11-24T06:00:00Z');
  assert.deepEqual(r.events, ['Normal Downloading', 'Warning StorageUnreachable']);
  assert.deepEqual(r.clock.pendingDelays(), [5_000]);

  r.clock.advance(4_999);
  await flush();
  assert.equal(r.fetches(), 1, 'not before the back-off is over');
  r.clock.advance(1);
  await flush();
  assert.equal(r.fetches(), 2);
  assert.deepEqual(r.clock.pendingDelays(), [10_000]);

  r.clock.advance(10_000);
  await flush();
  assert.equal(r.fetches(), 3);
  assert.deepEqual(r.clock.pendingDelays(), [12_000], 'capped');

  r.clock.advance(12_000);
  await flush();
  assert.equal(r.fetches(), 4);
  assert.deepEqual(r.started, ['/models/iris']);
  assert.equal(r.observed.phase, 'Loading');
  assert.equal(r.observed.failure, undefined);
  assert.deepEqual(r.clock.pendingDelays(), []);
});

test('cancel stops a pending retry', async () => {
  const r = setup(['fail']);
  r.rollout.start();
  await flush();
  assert.deepEqual(r.clock.pendingDelays(), [5_000]);
  r.rollout.cancel();
  assert.deepEqual(r.clock.pendingDelays(), []);
  r.clock.advance(60_000);
  await flush();
  assert.equal(r.fetches(), 1);
  assert.deepEqual(r.started, []);
});

/** Rolls out a predictor with no storage; what it fetched, started and left pending. */
async function rollOutWithoutStorage(predictor: PredictorSpec) {
  const clock = new FakeClock();
  let fetches = 0;
  const started: string[] = [];
  const rollout = new Rollout({
    isvc: { ...isvc, spec: { predictor } },
    revision: 'iris-predictor-00001',
    generation: 1,
    fetchModel: async () => {
      fetches++;
      return { modelDir: '/x' };
    },
    clock,
    observed: () => undefined,
    current: () => undefined,
    startReplica: (_spec, modelDir) => started.push(modelDir),
    event: () => {},
    changed: () => {},
  });
  rollout.start();
  await flush();
  return { fetches, started, pending: clock.pendingDelays() };
}

test('a multi-model predictor (no storageUri) is never fetched: its replica starts with no model', async () => {
  const r = await rollOutWithoutStorage({ model: { modelFormat: { name: 'sklearn' } } });
  assert.equal(r.fetches, 0);
  assert.deepEqual(r.started, ['']);
  assert.deepEqual(r.pending, []);
});

test('a custom container without a model is never fetched: it starts at once with no model dir', async () => {
  const r = await rollOutWithoutStorage({ containers: [{ name: 'kserve-container', image: 'x' }] });
  assert.equal(r.fetches, 0);
  assert.deepEqual(r.started, ['']);
  assert.deepEqual(r.pending, []);
});
