// The worker-thread model adapter and the model host's main thread: a hung model is terminated by the
// heartbeat watchdog and reported failed while the others keep answering; an uncaught error in a worker
// fails only that model; a load error is reported; unload removes one model; BYTES and typed arrays cross.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InferdError } from '../../../src/errors.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { WorkerModel } from '../../../src/server/model-host/worker-model.js';
import { repoRoot } from '../../helpers/paths.js';
import { FAKE_WORKER as FAKE, REAL_WORKER as REAL, startTestHost } from './harness.js';

const x = (vals: number[]): Tensor[] => [
  { name: 'x', datatype: 'FP64', shape: [vals.length], data: new Float64Array(vals) },
];

test('worker model: answers, hands errors back typed, and a hang is terminated by the watchdog', async () => {
  const failed: string[] = [];
  const a = new WorkerModel({
    entry: FAKE,
    modelName: 'a',
    modelDir: '-',
    modelFormat: 'fake',
    heartbeatMs: 20,
    hangTimeoutMs: 300,
    onFailed: (reason) => failed.push(reason),
  });
  const b = new WorkerModel({ entry: FAKE, modelName: 'b', modelDir: '-', modelFormat: 'fake', heartbeatMs: 20 });
  await Promise.all([a.load(), b.load()]);
  assert.equal(a.metadata().platform, 'fake');
  const [out] = await a.predict(x([1, 2, 3]));
  assert.ok(out!.data instanceof Float64Array);
  assert.deepEqual([...(out!.data as Float64Array)], [1, 2, 3]);
  await assert.rejects(
    a.predict(x([1]), { parameters: { fail: true } }),
    (e: InferdError) => e.code === 'INVALID_INPUT',
  );

  const t0 = Date.now();
  // The hung call gets 504 at its time limit; the call queued behind it never runs: 504 or 503 (worker ended).
  const hung = a.predict(x([1]), { parameters: { hang: true } });
  const queued = a.predict(x([2]));
  await assert.rejects(hung, (e: InferdError) => e.code === 'TIMEOUT');
  await assert.rejects(
    queued,
    (e: InferdError) => e.code === 'TIMEOUT' || (e.code === 'MODEL_NOT_READY' && e.details.reason === 'ModelHung'),
  );
  assert.ok(Date.now() - t0 < 5_000);
  assert.deepEqual(failed, ['ModelHung']);
  await assert.rejects(a.predict(x([1])), /failed/);
  assert.deepEqual([...((await b.predict(x([4])))[0]!.data as Float64Array)], [4], 'the other model still answers');
  await a.unload();
  await b.unload();
});

test('worker model: an uncaught error ends that worker only; load errors reject load()', async () => {
  const failed: string[] = [];
  const a = new WorkerModel({
    entry: FAKE,
    modelName: 'a',
    modelDir: '-',
    modelFormat: 'fake',
    onFailed: (r) => failed.push(r),
  });
  const b = new WorkerModel({ entry: FAKE, modelName: 'b', modelDir: '-', modelFormat: 'fake' });
  await Promise.all([a.load(), b.load()]);
  const pending = a.predict(x([1]), { parameters: { crash: true } });
  await assert.rejects(pending, (e: InferdError) => e.details.reason === 'ModelCrashed');
  assert.deepEqual(failed, ['ModelCrashed']);
  assert.equal((await b.predict(x([2])))[0]!.shape[0], 1);
  await b.unload();
  await a.unload();

  const bad = new WorkerModel({ entry: FAKE, modelName: 'c', modelDir: 'fail-load', modelFormat: 'fake' });
  await assert.rejects(
    bad.load(),
    (e: InferdError) => e.code === 'MODEL_LOAD_FAILED' && e.details.reason === 'ModelMissing',
  );
});

test('model host: two iris models in workers under one port; unload one, the other answers', async (t) => {
  const { host, sent } = await startTestHost(t, { worker: REAL, grpc: true });
  const dir = join(repoRoot, 'models', 'sklearn-iris');
  await Promise.all([
    host.handle({ type: 'load', modelName: 'iris-a', modelDir: dir, modelFormat: 'sklearn' }),
    host.handle({ type: 'load', modelName: 'iris-b', modelDir: dir, modelFormat: 'sklearn' }),
  ]);
  assert.deepEqual(
    sent
      .filter((m) => m.type === 'model-ready')
      .map((m) => m.modelName)
      .sort(),
    ['iris-a', 'iris-b'],
  );
  const body = JSON.stringify({
    instances: [
      [6.8, 2.8, 4.8, 1.4],
      [6.0, 3.4, 4.5, 1.6],
    ],
  });
  const ask = async (name: string) => {
    const r = await fetch(`http://127.0.0.1:${host.port}/v1/models/${name}:predict`, { method: 'POST', body });
    return { status: r.status, body: await r.text() };
  };
  assert.deepEqual(await ask('iris-a'), { status: 200, body: '{"predictions":[1,1]}' });
  assert.deepEqual(await ask('iris-b'), { status: 200, body: '{"predictions":[1,1]}' });
  const v2 = await fetch(`http://127.0.0.1:${host.port}/v2/models/iris-b/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [6.8, 2.8, 4.8, 1.4] }] }),
  });
  assert.equal(((await v2.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data[0], 1);

  await host.handle({ type: 'unload', modelName: 'iris-a' });
  assert.ok(sent.some((m) => m.type === 'model-unloaded' && m.modelName === 'iris-a'));
  assert.equal((await ask('iris-a')).status, 404);
  assert.deepEqual(await ask('iris-b'), { status: 200, body: '{"predictions":[1,1]}' });

  await host.handle({ type: 'load', modelName: 'broken', modelDir: join(repoRoot, 'nope'), modelFormat: 'sklearn' });
  const f = sent.find((m) => m.type === 'model-failed');
  assert.ok(f && f.type === 'model-failed' && f.modelName === 'broken' && f.reason, JSON.stringify(f));
});

test('model host: a hung model is failed and removed; its neighbour keeps answering', async (t) => {
  const { host, sent, infer, waitFor } = await startTestHost(t, { heartbeatMs: 20, hangTimeoutMs: 300 });
  await host.handle({ type: 'load', modelName: 'a', modelDir: '-', modelFormat: 'fake' });
  await host.handle({ type: 'load', modelName: 'b', modelDir: '-', modelFormat: 'fake' });
  const hung = await infer('a', { hang: true });
  assert.equal(hung.status, 504, 'past its time limit the call answers 504');
  assert.match(await hung.text(), /^\{"error":".*time limit of 300 ms/);
  await waitFor((m) => m.type === 'model-failed');
  assert.ok(sent.some((m) => m.type === 'model-failed' && m.modelName === 'a' && m.reason === 'ModelHung'));
  assert.equal((await infer('a')).status, 404, 'removed from the repository');
  const ok = await infer('b');
  assert.equal(ok.status, 200);
});

test('worker model: a call past its time limit gets TIMEOUT; a worker still beating is kept', async () => {
  const failed: string[] = [];
  const a = new WorkerModel({
    entry: FAKE,
    modelName: 'slow',
    modelDir: '-',
    modelFormat: 'fake',
    heartbeatMs: 20,
    requestTimeoutMs: 200,
    onFailed: (r) => failed.push(r),
  });
  await a.load();
  await assert.rejects(a.predict(x([1]), { parameters: { slowMs: 600 } }), (e: InferdError) => e.code === 'TIMEOUT');
  assert.deepEqual(failed, [], 'its event loop was free: not ended');
  assert.deepEqual([...((await a.predict(x([3])))[0]!.data as Float64Array)], [3]);
  await a.unload();
});

test('model host: a heap bomb ends only its worker (OOMKilled); the neighbour keeps answering', async (t) => {
  const { host, sent, infer } = await startTestHost(t, { heartbeatMs: 20 });
  await host.handle({ type: 'load', modelName: 'bomb', modelDir: '-', modelFormat: 'fake', heapLimitMb: 32 });
  await host.handle({ type: 'load', modelName: 'calm', modelDir: '-', modelFormat: 'fake' });
  const rssBefore = process.memoryUsage().rss;
  const boom = await infer('bomb', { bomb: true });
  assert.equal(boom.status, 503, await boom.text());
  const f = sent.find((m) => m.type === 'model-failed');
  assert.ok(f && f.type === 'model-failed' && f.modelName === 'bomb' && f.reason === 'OOMKilled', JSON.stringify(f));
  assert.match(f.message, /32 MiB heap limit/);
  assert.equal((await infer('bomb')).status, 404, 'removed from the repository');
  const ok = await infer('calm');
  assert.equal(ok.status, 200);
  // The host's own memory did not balloon with the bomb (its heap was the worker's, now freed).
  assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 ** 2);
});
