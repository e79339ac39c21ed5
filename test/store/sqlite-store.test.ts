import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Resource } from '../../src/api/types.js';
import type { InferdError } from '../../src/errors.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { distDir } from '../helpers/paths.js';
import { isvc, runStoreSuite } from './store-suite.js';

type TestContext = Parameters<NonNullable<Parameters<typeof test>[0]>>[0];

function tmpDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-store-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openIn(t: TestContext, dir: string, opts: { watchLogSize?: number } = {}): SqliteStore {
  const store = SqliteStore.open({ stateDir: dir, now: () => Date.parse('2026-11-24T05:32:28.734Z'), ...opts });
  t.after(() => store.close());
  return store;
}

runStoreSuite({ name: 'sqlite', open: (t) => openIn(t, tmpDir(t)) });
runStoreSuite({
  name: 'sqlite (memory)',
  open: (t) => {
    const store = SqliteStore.memory();
    t.after(() => store.close());
    return store;
  },
});

test('creates state.db in WAL mode with a recorded schema version', (t) => {
  const dir = tmpDir(t);
  const store = SqliteStore.open({ stateDir: path.join(dir, 'nested') });
  store.close();
  const db = new Database(path.join(dir, 'nested', 'state.db'), { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').all(), [{ version: 1 }]);
});

test('a second open of the same state directory fails until the first is closed', (t) => {
  const dir = tmpDir(t);
  const first = SqliteStore.open({ stateDir: dir });
  assert.throws(
    () => SqliteStore.open({ stateDir: dir }),
    (err: InferdError) => err.code === 'INVALID_CONFIG' && err.details.path === 'stateDir',
  );
  first.close();
  openIn(t, dir);
});

test('creationTimestamp is RFC 3339 without milliseconds from the injected clock', (t) => {
  const store = openIn(t, tmpDir(t));
  assert.equal(store.create(isvc('x')).metadata.creationTimestamp, '2026-11-24T05:32:28Z');
});

test('objects, namespaces and the resourceVersion counter survive a reopen', (t) => {
  const dir = tmpDir(t);
  const first = SqliteStore.open({ stateDir: dir });
  const created = first.create(isvc('iris', 'team-a'));
  first.delete({ kind: 'Namespace', name: 'kserve-test' });
  const lastRv = Number(first.resourceVersion);
  first.close();
  const second = openIn(t, dir);
  assert.deepEqual(second.get({ kind: 'InferenceService', namespace: 'team-a', name: 'iris' }), created);
  // kserve-test is only seeded into a new database: a user's deletion sticks.
  assert.deepEqual(
    second.list({ kind: 'Namespace' }).items.map((n) => n.metadata.name),
    ['default', 'team-a'],
  );
  const next = second.create(isvc('other'));
  assert.ok(Number(next.metadata.resourceVersion) > lastRv);
});

test('a write that returned survives kill -9 of the writing process', async (t) => {
  const dir = tmpDir(t);
  const storeUrl = pathToFileURL(path.join(distDir, 'src', 'store', 'sqlite-store.js')).href;
  const script = `
    const { SqliteStore } = await import(${JSON.stringify(storeUrl)});
    const store = SqliteStore.open({ stateDir: ${JSON.stringify(dir)} });
    for (let i = 0; i < 20; i++) {
      store.create({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
        metadata: { name: 'm' + i, namespace: 'default' }, spec: { predictor: {} } });
    }
    process.stdout.write('written\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not report in 15 s: ${stderr}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('written')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited early (${code}): ${stderr}`));
    });
  });
  child.removeAllListeners('exit');
  assert.throws(() => SqliteStore.open({ stateDir: dir }), {
    code: 'INVALID_CONFIG',
    message: /is in use by another inferd process/,
  });
  const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const store = openIn(t, dir);
  assert.equal(store.list({ kind: 'InferenceService', namespace: 'default' }).items.length, 20);
});

test('watch from a resourceVersion older than the event log fails with 410 Expired', (t) => {
  const store = openIn(t, tmpDir(t), { watchLogSize: 3 });
  const start = store.resourceVersion;
  for (const n of ['a', 'b', 'c', 'd']) store.create(isvc(n));
  assert.throws(() => store.watch({ kind: 'InferenceService', resourceVersion: start }, () => {}), {
    code: 'EXPIRED',
    details: { reason: 'Expired', httpStatus: 410 },
    message: /^too old resource version: /,
  });
  // The newest 3 events are still there.
  const seen: string[] = [];
  const from = String(Number(store.resourceVersion) - 3);
  const w = store.watch({ kind: 'InferenceService', resourceVersion: from }, (e) => seen.push(e.object.metadata.name));
  t.after(() => w.close());
  assert.deepEqual(seen, ['b', 'c', 'd']);
});

test('after a reopen, a watch from an earlier resourceVersion is Expired (the log is in memory)', (t) => {
  const dir = tmpDir(t);
  const first = SqliteStore.open({ stateDir: dir });
  const rv = first.resourceVersion;
  first.create(isvc('a'));
  first.close();
  const second = openIn(t, dir);
  assert.throws(() => second.watch({ kind: 'InferenceService', resourceVersion: rv }, () => {}), {
    details: { reason: 'Expired', httpStatus: 410 },
  });
  const current = second.resourceVersion;
  const seen: string[] = [];
  const w = second.watch({ kind: 'InferenceService', resourceVersion: current }, (e) =>
    seen.push(e.object.metadata.name),
  );
  t.after(() => w.close());
  second.create(isvc('b'));
  assert.deepEqual(seen, ['b']);
});

test('watch from a resourceVersion ahead of the store is Expired (another history)', (t) => {
  const store = openIn(t, tmpDir(t));
  const ahead = String(Number(store.resourceVersion) + 10);
  assert.throws(() => store.watch({ kind: 'InferenceService', resourceVersion: ahead }, () => {}), {
    details: { reason: 'Expired', httpStatus: 410 },
  });
});

test('watch rejects a resourceVersion that is not a number', (t) => {
  const store = openIn(t, tmpDir(t));
  assert.throws(() => store.watch({ kind: 'InferenceService', resourceVersion: 'abc' }, () => {}), {
    code: 'INVALID_INPUT',
  });
});

test('watch with resourceVersion "0" starts from the current objects, like Kubernetes', (t) => {
  const store = openIn(t, tmpDir(t));
  store.create(isvc('a'));
  const seen: string[] = [];
  const w = store.watch({ kind: 'InferenceService', resourceVersion: '0' }, (e) =>
    seen.push(`${e.type} ${e.object.metadata.name}`),
  );
  t.after(() => w.close());
  assert.deepEqual(seen, ['ADDED a']);
});

test('a closed store refuses calls and stops its watches', (t) => {
  const dir = tmpDir(t);
  const store = SqliteStore.open({ stateDir: dir });
  const seen: string[] = [];
  store.watch({ kind: 'InferenceService' }, (e) => seen.push(e.type));
  store.close();
  store.close();
  assert.throws(() => store.get({ kind: 'Namespace', name: 'default' }), { code: 'INTERNAL' });
  assert.deepEqual(seen, []);
});

test('the store never logs Secret data', (t) => {
  const lines: string[] = [];
  const log = {
    debug: (m: string, f?: object) => lines.push(m + JSON.stringify(f ?? {})),
    info: (m: string, f?: object) => lines.push(m + JSON.stringify(f ?? {})),
    warn: (m: string, f?: object) => lines.push(m + JSON.stringify(f ?? {})),
    error: (m: string, f?: object) => lines.push(m + JSON.stringify(f ?? {})),
    child: () => log,
  };
  const store = SqliteStore.open({ stateDir: tmpDir(t), log });
  t.after(() => store.close());
  const w = store.watch({ kind: 'Secret' }, () => {
    throw new Error('listener failure');
  });
  t.after(() => w.close());
  const s = store.create<Resource>({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default' },
    stringData: { AWS_SECRET_ACCESS_KEY: 'hunter2' },
  });
  store.update({ ...s, stringData: { AWS_SECRET_ACCESS_KEY: 'hunter3' } });
  store.delete({ kind: 'Secret', namespace: 'default', name: 's' });
  const all = lines.join('\n');
  assert.ok(lines.length > 0);
  assert.doesNotMatch(all, /hunter|aHVudGVy/);
});
