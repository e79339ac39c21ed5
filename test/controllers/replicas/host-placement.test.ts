// Where packed replicas go (issue 16, density by default): services of one namespace share a model host;
// another namespace never shares it (a host process is the isolation unit across namespaces); a second replica
// or revision of a model already in a host goes to another host (a host keys models by name); the per-model
// limits (the predictor's timeout, the worker heap limit) travel with the load; a worker that ends for its heap
// limit fails that service alone with reason OOMKilled; a model only the Python fallback serves is moved to a
// process of its own at once (its Python worker must end with its replica). A fake model host (the real IPC protocol) records what
// it was asked to load.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { HostedReplica } from '../../../src/controllers/replicas/hosted-replica.js';
import type { ReplicaSpec } from '../../../src/controllers/replicas/replica.js';
import { ReplicaManager } from '../../../src/controllers/replicas/replica-manager.js';
import { ReplicaProcess } from '../../../src/controllers/replicas/replica-process.js';
import { silentLogger } from '../../../src/log.js';
import { fakeEntry, replicaSpec, tempDir, waitForReplica as waitFor } from './harness.js';

const dir = tempDir('inferd-placement-');

// Answers every load with model-ready and the model's own ports, as a worker serving its model reports them (a
// model dir ending in "oom" with model-failed OOMKilled) and prints each load message as one JSON line on
// stdout, which the manager routes to the service's log.
const entry = fakeEntry(
  dir,
  'host',
  `process.send({ type: 'ready', port: 1, grpcPort: 2 });
let next = 0;
process.on('message', (m) => {
  if (m.type === 'load') {
    console.log(JSON.stringify({ model: m.modelName, load: m }));
    if (m.modelDir.endsWith('oom')) process.send({ type: 'model-failed', modelName: m.modelName, reason: 'OOMKilled', message: 'heap limit' });
    else if (m.modelDir.endsWith('python')) process.send({ type: 'model-failed', modelName: m.modelName, reason: 'NeedsOwnProcess', message: 'Python fallback' });
    else { next++; process.send({ type: 'model-ready', modelName: m.modelName, port: 20000 + next, grpcPort: 30000 + next }); }
  } else if (m.type === 'unload') process.send({ type: 'model-unloaded', modelName: m.modelName });
});
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1_000);
`,
);

const spec = (ns: string, name: string, rev = 1, extra: Partial<ReplicaSpec> = {}): ReplicaSpec =>
  replicaSpec(dir, ns, name, rev, extra);

test('packed placement: one host per namespace, never two models of one name in a host, limits sent', async (t) => {
  const m = new ReplicaManager({
    entry,
    log: silentLogger,
    restartBackoffMs: 60_000,
    restartBackoffMaxMs: 60_000,
    modelsPerReplica: 100,
    workerHeapLimitMb: 64,
  });
  t.after(() => m.stopAll());
  const a1 = spec('team-a', 'iris-1');
  const a2 = spec('team-a', 'iris-2', 1, { args: ['--request_timeout_ms', '2000'] });
  const b1 = spec('team-b', 'iris-1');
  const a1rev2 = spec('team-a', 'iris-1', 2);
  const onnx = spec('team-a', 'mnist', 1, { modelFormat: 'onnx' });
  const batcher = spec('team-a', 'batched', 1, { args: ['--enable_batcher', 'true'] });
  for (const s of [a1, a2, b1, a1rev2, onnx, batcher]) m.ensure(s);
  for (const s of [a1, a2, b1, a1rev2, onnx, batcher]) await waitFor(m, s.key, (v) => v.phase === 'Ready');

  const pid = (s: ReplicaSpec) => m.get(s.key)?.pid;
  assert.ok(m.process(a1.key) instanceof HostedReplica);
  assert.equal(pid(a2), pid(a1), 'two services of one namespace share a host');
  assert.equal(pid(onnx), pid(a1), 'onnx models are packed too');
  assert.notEqual(pid(b1), pid(a1), 'another namespace gets its own host');
  assert.notEqual(pid(a1rev2), pid(a1), 'a second revision of the same model goes to another host');
  assert.ok(m.process(batcher.key) instanceof ReplicaProcess, 'a batcher is a per-process option: not packed');
  assert.equal(m.hostPids().length, 3);
  // Each packed service is reached on its worker's own ports (from model-ready), not the host's.
  const ports = [a1, a2, onnx].map((s) => m.get(s.key));
  assert.equal(new Set(ports.map((v) => v?.port)).size, 3, JSON.stringify(ports));
  for (const v of ports) {
    assert.ok(v?.port !== undefined && v.port > 20000 && v.grpcPort === v.port + 10000, JSON.stringify(v));
  }

  const loads = (s: ReplicaSpec) =>
    m
      .logsFor(s.key.split('/').slice(0, 2).join('/'))
      .tail(100)
      .map((l) => JSON.parse(l) as { load?: Record<string, unknown> })
      .filter((l) => l.load)
      .map((l) => l.load!);
  const [loadA2] = loads(a2);
  assert.equal(loadA2?.requestTimeoutMs, 2000, "the predictor's timeout is the model's time limit");
  assert.equal(loadA2?.heapLimitMb, 64);
  assert.equal(loads(a1)[0]?.requestTimeoutMs, undefined, 'no timeout: the host default');
});

test('a packed model ended for its heap limit fails alone with reason OOMKilled', async (t) => {
  const m = new ReplicaManager({
    entry,
    log: silentLogger,
    restartBackoffMs: 60_000,
    restartBackoffMaxMs: 60_000,
    modelsPerReplica: 100,
  });
  t.after(() => m.stopAll());
  const ok = spec('default', 'calm');
  const bomb = spec('default', 'bomb', 1, { modelDir: join(dir, 'oom') });
  m.ensure(ok);
  await waitFor(m, ok.key, (v) => v.phase === 'Ready');
  m.ensure(bomb);
  const v = await waitFor(m, bomb.key, (x) => x.phase === 'BackOff');
  assert.equal(v.failure?.reason, 'OOMKilled');
  assert.equal(m.get(ok.key)?.phase, 'Ready', 'its neighbour in the same host is untouched');
  assert.equal(m.get(bomb.key)?.pid, m.get(ok.key)?.pid);
});

test('a model its host sends back (NeedsOwnProcess) starts at once in a process of its own, not as a restart', async (t) => {
  const m = new ReplicaManager({
    entry,
    log: silentLogger,
    restartBackoffMs: 60_000,
    restartBackoffMaxMs: 60_000,
    modelsPerReplica: 100,
  });
  t.after(() => m.stopAll());
  const py = spec('default', 'qda', 1, { modelDir: join(dir, 'python') });
  m.ensure(py);
  const v = await waitFor(m, py.key, (x) => x.phase === 'Ready' && m.process(py.key) instanceof ReplicaProcess);
  assert.equal(v.restarts, 0);
  assert.equal(m.hostPids().length, 0, 'the host it left had nothing else and stopped');
});
