// The InferenceService controller while a model downloads: progress reaches the stored status at most once a
// second (each write bumps resourceVersion), the last report before a pause is still shown, and a failure the
// storage initializer is about to retry is in the status at once (Ready Unknown, its reason and message).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { Condition, InferenceService } from '../../src/api/types.js';
import {
  InferenceServiceController,
  type ModelFetcher,
  PROGRESS_STATUS_INTERVAL_MS,
} from '../../src/controllers/inference-service/controller.js';
import { ReplicaManager } from '../../src/controllers/replicas/replica-manager.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../support/fake-clock.js';

type FetchCall = Parameters<ModelFetcher>[0];

async function setup(t: TestContext) {
  const clock = new FakeClock();
  const stateDir = mkdtempSync(join(tmpdir(), 'inferd-controller-'));
  const store = SqliteStore.open({ stateDir, log: silentLogger });
  const replicas = new ReplicaManager({
    entry: '/nonexistent/replica.js',
    log: silentLogger,
    restartBackoffMs: 1_000,
    restartBackoffMaxMs: 1_000,
  });
  const calls: FetchCall[] = [];
  const controller = new InferenceServiceController({
    store,
    replicas,
    endpoints: new EndpointTable(),
    log: silentLogger,
    domain: 'example.com',
    replicaEnv: {},
    clock,
    // Never finishes: the test drives the download through the callbacks.
    fetchModel: (call) => {
      calls.push(call);
      return new Promise(() => {});
    },
  });
  t.after(async () => {
    await controller.stop();
    store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  let writes = 0;
  store.watch({ kind: 'InferenceService' }, (ev) => {
    if (ev.type === 'MODIFIED') writes++;
  });
  controller.start();
  const isvc: InferenceService = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'big-model', namespace: 'default' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/big' } } },
  };
  store.create(isvc);
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  await settle();
  assert.equal(calls.length, 1, 'the controller asked for the model');
  const ready = (): Condition | undefined =>
    store
      .get<InferenceService>({ kind: 'InferenceService', namespace: 'default', name: 'big-model' })
      ?.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    call: calls[0]!,
    ready,
    settle,
    writes: () => writes,
    advance: (ms: number) => clock.advance(ms),
  };
}

const MiB = 1024 * 1024;
const report = (bytes: number) => ({
  bytes,
  totalBytes: 100 * MiB,
  rateBytesPerSec: 10 * MiB,
  etaSec: (100 * MiB - bytes) / (10 * MiB),
});

test('download progress reaches the status at most once a second, the latest report trailing', async (t) => {
  const c = await setup(t);
  assert.equal(c.ready()?.message, 'downloading model');
  const before = c.writes();

  c.call.onProgress?.(report(1 * MiB));
  await c.settle();
  assert.equal(c.ready()?.message, 'downloading model: 1.0 MiB of 100.0 MiB (10.0 MiB/s, ETA 10s)');
  assert.equal(c.ready()?.reason, 'Downloading');
  assert.equal(c.writes(), before + 1);

  // Many reports within the second: none is written yet...
  for (let mb = 2; mb <= 9; mb++) c.call.onProgress?.(report(mb * MiB));
  await c.settle();
  assert.equal(c.writes(), before + 1);
  assert.match(c.ready()?.message ?? '', /^downloading model: 1\.0 MiB/);
  // ...the latest one is, once the second is over, even if no report comes after it.
  c.advance(PROGRESS_STATUS_INTERVAL_MS);
  await c.settle();
  assert.equal(c.writes(), before + 2);
  assert.equal(c.ready()?.message, 'downloading model: 9.0 MiB of 100.0 MiB (10.0 MiB/s, ETA 9s)');

  // A report a second after the last shown one is shown at once.
  c.advance(PROGRESS_STATUS_INTERVAL_MS);
  c.call.onProgress?.(report(20 * MiB));
  await c.settle();
  assert.equal(c.writes(), before + 3);
  assert.match(c.ready()?.message ?? '', /^downloading model: 20\.0 MiB of 100\.0 MiB/);
});

test('a failure the storage initializer retries shows at once; new bytes clear it', async (t) => {
  const c = await setup(t);
  c.call.onProgress?.(report(1 * MiB));
  c.call.onProgress?.(report(2 * MiB)); // pending, from before the failure
  c.call.onRetry?.({
    reason: 'StorageUnreachable',
    message: 'cannot reach storage at storage.googleapis.com:443: ENOTFOUND',
    attempt: 1,
    waitMs: 500,
  });
  await c.settle();
  let ready = c.ready();
  assert.equal(ready?.status, 'Unknown');
  assert.equal(ready?.reason, 'StorageUnreachable');
  assert.equal(
    ready?.message,
    'cannot reach storage at storage.googleapis.com:443: ENOTFOUND; retrying in 1s (attempt 2)',
  );
  // The report from before the failure does not hide it when the second is over.
  c.advance(PROGRESS_STATUS_INTERVAL_MS);
  await c.settle();
  assert.equal(c.ready()?.reason, 'StorageUnreachable');
  // Bytes from the retried download do.
  c.call.onProgress?.(report(3 * MiB));
  await c.settle();
  ready = c.ready();
  assert.equal(ready?.reason, 'Downloading');
  assert.match(ready?.message ?? '', /^downloading model: 3\.0 MiB/);
});
