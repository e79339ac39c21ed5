// A service's model in a model host: its worker thread serves it on its own ports (no hop through the host's
// main thread), and the host's main thread still supervises it: a hung model is terminated (its sockets close;
// the gateway answers the in-flight request 502 JSON), an async call past its limit is answered 504 by the
// worker, an uncaught error or a heap bomb ends that worker only, unload lets in-flight requests finish.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReplicaProxy } from '../../../src/gateway/proxy.js';
import { repoRoot } from '../../helpers/paths.js';
import { REAL_WORKER as REAL, startTestHost } from './harness.js';

test('model host: each iris model serves on its own ports (V1, V2, metrics); unload one, the other answers', async (t) => {
  const { host, sent, portOf } = await startTestHost(t, { worker: REAL, grpc: true });
  const dir = join(repoRoot, 'models', 'sklearn-iris');
  await Promise.all([
    host.handle({ type: 'load', modelName: 'iris-a', modelDir: dir, modelFormat: 'sklearn' }),
    host.handle({ type: 'load', modelName: 'iris-b', modelDir: dir, modelFormat: 'sklearn' }),
  ]);
  const ready = sent.filter((m) => m.type === 'model-ready');
  assert.deepEqual(ready.map((m) => m.modelName).sort(), ['iris-a', 'iris-b']);
  const ports = new Set([host.port, portOf('iris-a'), portOf('iris-b')]);
  assert.equal(ports.size, 3, 'each model on a port of its own, not the host port');
  for (const m of ready) {
    assert.ok(m.type === 'model-ready' && typeof m.grpcPort === 'number' && m.grpcPort !== host.grpcPort);
  }
  const body = JSON.stringify({
    instances: [
      [6.8, 2.8, 4.8, 1.4],
      [6.0, 3.4, 4.5, 1.6],
    ],
  });
  const ask = async (name: string, port = portOf(name)) => {
    const r = await fetch(`http://127.0.0.1:${port}/v1/models/${name}:predict`, { method: 'POST', body });
    return { status: r.status, body: await r.text() };
  };
  assert.deepEqual(await ask('iris-a'), { status: 200, body: '{"predictions":[1,1]}' });
  assert.deepEqual(await ask('iris-b'), { status: 200, body: '{"predictions":[1,1]}' });
  assert.equal((await ask('iris-a', host.port)).status, 404, "the host's own port does not serve it");
  const v2 = await fetch(`http://127.0.0.1:${portOf('iris-b')}/v2/models/iris-b/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [6.8, 2.8, 4.8, 1.4] }] }),
  });
  assert.equal(((await v2.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data[0], 1);
  // The worker loads the V2 handlers on first use (lazyHandlers): their validation errors still map to 422.
  const invalid = await fetch(`http://127.0.0.1:${portOf('iris-a')}/v2/models/iris-a/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], data: [1, 2, 3, 4] }] }),
  });
  assert.equal(invalid.status, 422, await invalid.text());
  // Its own metrics page, as a replica process has: its requests and its load time, not its neighbour's.
  const page = await (await fetch(`http://127.0.0.1:${portOf('iris-b')}/metrics`)).text();
  assert.match(page, /model_name="iris-b"/);
  assert.doesNotMatch(page, /"iris-a"/);

  const portA = portOf('iris-a');
  await host.handle({ type: 'unload', modelName: 'iris-a' });
  assert.ok(sent.some((m) => m.type === 'model-unloaded' && m.modelName === 'iris-a'));
  await assert.rejects(fetch(`http://127.0.0.1:${portA}/v2/health/live`), 'its port is closed');
  assert.deepEqual(await ask('iris-b'), { status: 200, body: '{"predictions":[1,1]}' });

  await host.handle({ type: 'load', modelName: 'broken', modelDir: join(repoRoot, 'nope'), modelFormat: 'sklearn' });
  const f = sent.find((m) => m.type === 'model-failed');
  assert.ok(f && f.type === 'model-failed' && f.modelName === 'broken' && f.reason, JSON.stringify(f));
});

test('model host: a hung model is terminated (ModelHung); the gateway answers its in-flight request 502 JSON; the neighbour answers', async (t) => {
  const { host, sent, infer, portOf, waitFor } = await startTestHost(t, { heartbeatMs: 20, hangTimeoutMs: 300 });
  await host.handle({ type: 'load', modelName: 'a', modelDir: '-', modelFormat: 'fake' });
  await host.handle({ type: 'load', modelName: 'b', modelDir: '-', modelFormat: 'fake' });
  // The gateway's replica client in front of the hung model's port.
  const proxy = new ReplicaProxy({});
  const front = http.createServer((req, res) =>
    proxy.forward(req, res, portOf('a'), req.url ?? '/', undefined, undefined, 'default/a'),
  );
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  t.after(() => {
    front.closeAllConnections();
    front.close();
    proxy.close();
  });
  const t0 = Date.now();
  const viaGateway = await fetch(`http://127.0.0.1:${(front.address() as AddressInfo).port}/v2/models/a/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }],
      parameters: { hang: true },
    }),
  });
  assert.equal(viaGateway.status, 502);
  assert.match(viaGateway.headers.get('content-type') ?? '', /json/);
  assert.match(
    ((await viaGateway.json()) as { error: string }).error,
    /^the model server of default\/a did not answer: /,
    'a JSON error naming the model',
  );
  assert.ok(Date.now() - t0 < 5_000, 'answered soon after the time limit, not hung');
  await waitFor((m) => m.type === 'model-failed');
  assert.ok(sent.some((m) => m.type === 'model-failed' && m.modelName === 'a' && m.reason === 'ModelHung'));
  assert.equal((await infer('b')).status, 200);
});

test('model host: an async call past its time limit is answered 504 by the worker; the worker is kept', async (t) => {
  const { host, sent, infer } = await startTestHost(t, { heartbeatMs: 20 });
  // The limit is 20 times the busy call below: a worker thread descheduled on a loaded machine after its 100 ms
  // of work still beats within the limit (with 200 ms, 100 ms of descheduling was judged a hang).
  await host.handle({ type: 'load', modelName: 'slow', modelDir: '-', modelFormat: 'fake', requestTimeoutMs: 2_000 });
  const late = await infer('slow', { slowMs: 20_000 });
  assert.equal(late.status, 504);
  assert.match(await late.text(), /^\{"error":"model slow did not answer within its time limit of 2000 ms"/);
  // A synchronous call within the limit blocks the loop for a while but ends: not hung.
  assert.equal((await infer('slow', { busyMs: 100 })).status, 200);
  const ok = await infer('slow');
  assert.equal(ok.status, 200);
  assert.deepEqual(((await ok.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [1, 2]);
  assert.ok(!sent.some((m) => m.type === 'model-failed'), 'its event loop was free: not ended');
});

test('model host: an uncaught error ends that worker only (ModelCrashed); a load error is reported', async (t) => {
  const { host, sent, infer, waitFor } = await startTestHost(t);
  await host.handle({ type: 'load', modelName: 'a', modelDir: '-', modelFormat: 'fake' });
  await host.handle({ type: 'load', modelName: 'b', modelDir: '-', modelFormat: 'fake' });
  await assert.rejects(infer('a', { crash: true }), 'its sockets close with it');
  await waitFor((m) => m.type === 'model-failed');
  assert.ok(sent.some((m) => m.type === 'model-failed' && m.modelName === 'a' && m.reason === 'ModelCrashed'));
  assert.equal((await infer('b')).status, 200);
  assert.equal((await infer('b', { fail: true })).status, 400, 'a model error is still typed');

  await host.handle({ type: 'load', modelName: 'c', modelDir: 'fail-load', modelFormat: 'fake' });
  const f = sent.find((m) => m.type === 'model-failed' && m.modelName === 'c');
  assert.ok(f?.type === 'model-failed' && f.reason === 'ModelMissing', JSON.stringify(f));
});

test('model host: unload lets an in-flight request finish, then closes the model port', async (t) => {
  const { host, sent, infer, portOf } = await startTestHost(t);
  await host.handle({ type: 'load', modelName: 'a', modelDir: '-', modelFormat: 'fake' });
  const port = portOf('a');
  const channel = new BroadcastChannel('fake-worker-call-started');
  t.after(() => channel.close());
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the call did not start within 5 s')), 5_000);
    channel.onmessage = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
  });
  const inFlight = infer('a', { slowMs: 300 });
  await started; // the call is running in the worker when the unload comes
  await host.handle({ type: 'unload', modelName: 'a' });
  const r = await inFlight;
  assert.equal(r.status, 200);
  assert.ok(sent.some((m) => m.type === 'model-unloaded' && m.modelName === 'a'));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/v2/health/live`));
});

test('model host: a heap bomb ends only its worker (OOMKilled); the neighbour keeps answering', async (t) => {
  const { host, sent, infer, waitFor } = await startTestHost(t, { heartbeatMs: 20 });
  await host.handle({ type: 'load', modelName: 'bomb', modelDir: '-', modelFormat: 'fake', heapLimitMb: 32 });
  await host.handle({ type: 'load', modelName: 'calm', modelDir: '-', modelFormat: 'fake' });
  const rssBefore = process.memoryUsage().rss;
  await assert.rejects(infer('bomb', { bomb: true }), 'its sockets close with it');
  await waitFor((m) => m.type === 'model-failed');
  const f = sent.find((m) => m.type === 'model-failed');
  assert.ok(f && f.type === 'model-failed' && f.modelName === 'bomb' && f.reason === 'OOMKilled', JSON.stringify(f));
  assert.match(f.message, /32 MiB heap limit/);
  const ok = await infer('calm');
  assert.equal(ok.status, 200);
  // The host's own memory did not balloon with the bomb (its heap was the worker's, now freed).
  assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 ** 2);
});
