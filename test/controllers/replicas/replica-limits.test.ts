// Load and run limits of replica processes (issue 10, M3 and M6), with fake model servers so each limit is
// hit deterministically: a load that never finishes is killed at the load timeout (ModelLoadTimeout); a
// process over resources.limits.memory is killed by the RSS watchdog or dies at its V8 heap cap, and either
// way its exit is recorded as OOMKilled (exit code 137, as Kubernetes reports it) and it is restarted.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReplicaManager } from '../../../src/controllers/replicas/replica-manager.js';
import { heapFlags, ReplicaProcess, type ReplicaSpec } from '../../../src/controllers/replicas/replica-process.js';
import { silentLogger } from '../../../src/log.js';
import { replicaSpec, tempDir, waitForReplica as waitFor, fakeEntry as writeEntry } from './harness.js';

const dir = tempDir('inferd-limits-');
const fakeEntry = (name: string, body: string) => writeEntry(dir, name, body);
const spec = (name: string, extra: Partial<ReplicaSpec> = {}): ReplicaSpec =>
  replicaSpec(dir, 'default', name, 1, extra);

function manager(entry: string): ReplicaManager {
  return new ReplicaManager({
    entry,
    log: silentLogger,
    restartBackoffMs: 60_000, // no restart during the test: the first failure is what is checked
    restartBackoffMaxMs: 60_000,
    memoryCheckIntervalMs: 100,
  });
}

test('a load that hangs is killed at the load timeout with reason ModelLoadTimeout naming the limit', async (t) => {
  const m = manager(fakeEntry('hang', 'setInterval(() => {}, 1_000);'));
  t.after(() => m.stopAll());
  const s = spec('hang', {
    loadTimeoutMs: 500,
    loadTimeoutSource: 'annotation serving.inferd.dev/load-timeout: 500ms',
  });
  const started = Date.now();
  const proc = m.ensure(s);
  const pid = proc.pid;
  const v = await waitFor(m, s.key, (x) => x.phase === 'BackOff', 10_000);
  const took = Date.now() - started;
  assert.equal(v.failure?.reason, 'ModelLoadTimeout');
  assert.match(v.failure?.message ?? '', /within 500ms/);
  assert.match(v.failure?.message ?? '', /serving\.inferd\.dev\/load-timeout/);
  assert.match(v.failure?.message ?? '', /--load-timeout/);
  assert.ok(took >= 450 && took < 5_000, `timed out after ${took} ms`);
  assert.ok(pid !== undefined);
  assert.throws(() => process.kill(pid, 0), 'the hung process is gone');
});

test('a replica that loads in time is not touched by its load timeout', { timeout: 15_000 }, async (t) => {
  // Mocked setTimeout: the load timer fires when ticked, however slow this machine forks.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const m = manager(fakeEntry('quick', "process.send({ type: 'ready', port: 1 }); setInterval(() => {}, 1_000);"));
  t.after(() => m.stopAll());
  const s = spec('quick', { loadTimeoutMs: 300 });
  m.ensure(s);
  await waitFor(m, s.key, (x) => x.phase === 'Ready', 10_000); // bounded by the test's timeout
  t.mock.timers.tick(1_000);
  const v = m.get(s.key);
  assert.equal(v?.phase, 'Ready');
  assert.doesNotThrow(() => process.kill(v?.pid ?? -1, 0), 'still running');
});

test('the RSS watchdog kills a replica over resources.limits.memory and records OOMKilled (137)', async (t) => {
  // Touches 16 MiB every 20 ms up to 1 GiB, then holds: without the watchdog it would sit there forever.
  const hog = fakeEntry(
    'hog',
    `process.send({ type: 'ready', port: 1 });
const keep = [];
const t = setInterval(() => { keep.push(Buffer.alloc(16 * 2 ** 20, 1)); if (keep.length >= 64) clearInterval(t); }, 20);
setInterval(() => {}, 1_000);`,
  );
  const m = manager(hog);
  t.after(() => m.stopAll());
  const limit = 200 * 2 ** 20;
  const s = spec('hog', { limits: { memoryBytes: limit } });
  m.ensure(s);
  await waitFor(m, s.key, (x) => x.phase === 'Ready', 10_000);
  const readyAt = Date.now();
  const v = await waitFor(m, s.key, (x) => x.phase === 'BackOff', 15_000);
  t.diagnostic(`OOMKilled ${Date.now() - readyAt} ms after the replica started growing`);
  assert.equal(v.failure?.reason, 'OOMKilled');
  assert.equal(v.failure?.exitCode, 137);
  assert.match(v.failure?.message ?? '', /over its limit resources\.limits\.memory = 200Mi/);
});

test('a JavaScript heap over the cap derived from the memory limit ends as OOMKilled too', async (t) => {
  const entry = fakeEntry(
    'heap',
    `process.send({ type: 'ready', port: 1 });
const keep = [];
setInterval(() => { for (let i = 0; i < 20_000; i++) keep.push({ i, s: 'x'.repeat(64) + i }); }, 1);`,
  );
  const m = new ReplicaManager({
    entry,
    log: silentLogger,
    restartBackoffMs: 60_000,
    restartBackoffMaxMs: 60_000,
    memoryCheckIntervalMs: 600_000, // the watchdog stays out of it: the heap cap (60 MiB of 100 MiB) is hit first
  });
  t.after(() => m.stopAll());
  const s = spec('heap', { limits: { memoryBytes: 100 * 2 ** 20 } });
  m.ensure(s);
  const v = await waitFor(m, s.key, (x) => x.phase === 'BackOff', 20_000);
  assert.equal(v.failure?.reason, 'OOMKilled', JSON.stringify(v.failure));
  assert.match(v.failure?.message ?? '', /JavaScript heap/);
});

test('the heap cap leaves room for buffers: 60% of the limit, at least 32 MiB', () => {
  assert.deepEqual(heapFlags(undefined), []);
  assert.deepEqual(heapFlags({ cpu: 1 }), []);
  assert.deepEqual(heapFlags({ memoryBytes: 256 * 2 ** 20 }), ['--max-old-space-size=153']);
  assert.deepEqual(heapFlags({ memoryBytes: 40 * 2 ** 20 }), ['--max-old-space-size=32']);
});

test('a replica with a memory limit is forked with the heap flag', async (t) => {
  const out = join(dir, 'argv.json');
  const entry = fakeEntry(
    'argv',
    `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.execArgv));
process.send({ type: 'ready', port: 1 });
setInterval(() => {}, 1_000);`,
  );
  const m = manager(entry);
  t.after(() => m.stopAll());
  const s = spec('argv', { limits: { memoryBytes: 512 * 2 ** 20 } });
  m.ensure(s);
  await waitFor(m, s.key, (x) => x.phase === 'Ready', 10_000);
  assert.ok(JSON.parse(readFileSync(out, 'utf8')).includes('--max-old-space-size=307'));
});

test('a service with limits gets its own cold fork: never the standby, never a packed model host', async (t) => {
  const entry = fakeEntry('idle', 'setInterval(() => {}, 1_000);');
  const m = new ReplicaManager({
    entry,
    log: silentLogger,
    restartBackoffMs: 60_000,
    restartBackoffMaxMs: 60_000,
    standbyReplicas: 1,
    modelsPerReplica: 4,
  });
  t.after(() => m.stopAll());
  m.startStandby();
  const [standbyPid] = m.standbyPids();
  assert.ok(standbyPid !== undefined, 'a standby was forked');
  for (const limits of [{ memoryBytes: 256 * 2 ** 20 }, { cpu: 1 }]) {
    const name = limits.cpu ? 'cpu-limited' : 'mem-limited';
    const proc = m.ensure(spec(name, { limits }));
    assert.ok(proc instanceof ReplicaProcess, `${name} is not packed into a model host`);
    assert.equal(proc.fromStandby, false, `${name} did not take the standby`);
    assert.notEqual(proc.pid, standbyPid);
  }
  assert.deepEqual(m.standbyPids(), [standbyPid]);
  assert.deepEqual(m.hostPids(), []);
});
