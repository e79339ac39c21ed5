// Warm standby replicas: the manager keeps one idle `main.js --standby` process; the next replica takes it
// over (same pid, `load` over IPC), answers, and a new standby is forked once that replica has settled. A
// service whose env cannot be set by `load` forks cold. stopAll ends every process, standbys included.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReplicaManager } from '../../src/controllers/replicas/replica-manager.js';
import type { ReplicaSpec } from '../../src/controllers/replicas/replica-process.js';
import { silentLogger } from '../../src/log.js';
import { distDir, fixturesDir, repoRoot } from '../helpers/paths.js';

const ENTRY = join(distDir, 'src', 'server', 'main.js');
const IRIS_DIR = join(repoRoot, 'models', 'sklearn-iris');

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const spec = (name: string, env: Record<string, string> = {}): ReplicaSpec => ({
  key: `default/${name}/${name}-predictor-00001`,
  revision: `${name}-predictor-00001`,
  modelName: name,
  modelDir: IRIS_DIR,
  modelFormat: 'sklearn',
  env,
});

async function predict(port: number, name: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/${name}:predict`, {
    method: 'POST',
    body: JSON.stringify({
      instances: [
        [6.8, 2.8, 4.8, 1.4],
        [6.0, 3.4, 4.5, 1.6],
      ],
    }),
  });
  return res.json();
}

test('a replica takes the idle standby process, answers, and a fresh standby follows', async (t) => {
  const replicas = new ReplicaManager({
    entry: ENTRY,
    log: silentLogger,
    restartBackoffMs: 1_000,
    restartBackoffMaxMs: 1_000,
    standbyReplicas: 1,
    standbyEnv: {},
  });
  const all = new Set<number>();
  t.after(async () => {
    await replicas.stopAll();
    for (const pid of all) assert.equal(alive(pid), false, `pid ${pid} still running after stopAll`);
  });
  replicas.startStandby();
  await until('an idle standby', () => replicas.idleStandbys() === 1);
  const [standbyPid] = replicas.standbyPids();
  assert.ok(standbyPid);
  all.add(standbyPid);

  const proc = replicas.ensure(spec('iris-a', { PREDICT_PROBA: 'false' }));
  assert.equal(proc.fromStandby, true);
  assert.equal(proc.pid, standbyPid, 'the replica is the standby process');
  await proc.whenSettled();
  assert.deepEqual(await predict(proc.port!, 'iris-a'), { predictions: [1, 1] });
  const logs = replicas.logsFor('default/iris-a').tail();
  assert.ok(logs.some((l) => l.includes('replica started from standby process')));
  assert.ok(logs.some((l) => l.includes('model server listening')));

  await until('a new standby', () => replicas.idleStandbys() === 1);
  const [next] = replicas.standbyPids();
  assert.ok(next && next !== standbyPid);
  all.add(next);

  // An env var `load` cannot apply (read at process start) → a cold fork; the standby stays.
  const cold = replicas.ensure(spec('iris-b', { NODE_OPTIONS: '--max-old-space-size=256' }));
  assert.equal(cold.fromStandby, false);
  all.add(cold.pid!);
  await cold.whenSettled();
  assert.deepEqual(await predict(cold.port!, 'iris-b'), { predictions: [1, 1] });
  assert.deepEqual(replicas.standbyPids(), [next]);
});

test("a standby takes its service's env from `load` (passed down to the runtime, not read from its own env)", async (t) => {
  const replicas = new ReplicaManager({
    entry: ENTRY,
    log: silentLogger,
    restartBackoffMs: 1_000,
    restartBackoffMaxMs: 1_000,
    standbyReplicas: 1,
    standbyEnv: {},
  });
  t.after(() => replicas.stopAll());
  replicas.startStandby();
  await until('an idle standby', () => replicas.idleStandbys() === 1);
  // gaussian_nb_iris has predict_proba (the demo model does not): PREDICT_PROBA=true changes its answer
  const proc = replicas.ensure({
    ...spec('iris-proba', { PREDICT_PROBA: 'true' }),
    modelDir: join(fixturesDir, 'sklearn', 'models', 'gaussian_nb_iris'),
  });
  assert.equal(proc.fromStandby, true);
  await proc.whenSettled();
  assert.equal(proc.phase, 'Ready', JSON.stringify(proc.failure));
  const out = (await predict(proc.port!, 'iris-proba')) as { predictions: number[][] };
  // PREDICT_PROBA=true reached the runtime: one probability row of 3 classes per instance
  assert.equal(out.predictions.length, 2);
  for (const row of out.predictions) {
    assert.equal(row.length, 3);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `probabilities sum to 1: ${row}`);
  }
  assert.ok(out.predictions[0]![1]! > 0.5, 'class 1 most likely for the first instance');
});

test('standby 0 (or startStandby never called) forks cold', async (t) => {
  const replicas = new ReplicaManager({
    entry: ENTRY,
    log: silentLogger,
    restartBackoffMs: 1_000,
    restartBackoffMaxMs: 1_000,
    standbyReplicas: 0,
  });
  t.after(() => replicas.stopAll());
  replicas.startStandby();
  assert.deepEqual(replicas.standbyPids(), []);
  const proc = replicas.ensure(spec('iris-c'));
  assert.equal(proc.fromStandby, false);
  await proc.whenSettled();
  assert.deepEqual(await predict(proc.port!, 'iris-c'), { predictions: [1, 1] });
});

test('a standby still loading its modules is taken as well; load is sent once it is idle', async (t) => {
  const replicas = new ReplicaManager({
    entry: ENTRY,
    log: silentLogger,
    restartBackoffMs: 1_000,
    restartBackoffMaxMs: 1_000,
    standbyReplicas: 1,
  });
  t.after(() => replicas.stopAll());
  replicas.startStandby();
  const [pid] = replicas.standbyPids();
  assert.equal(replicas.idleStandbys(), 0, 'just forked: not idle yet');
  const proc = replicas.ensure(spec('iris-d'));
  assert.equal(proc.fromStandby, true);
  assert.equal(proc.pid, pid);
  await proc.whenSettled();
  assert.deepEqual(await predict(proc.port!, 'iris-d'), { predictions: [1, 1] });
  assert.equal(replicas.get(proc.spec.key)?.restarts, 0);
});
