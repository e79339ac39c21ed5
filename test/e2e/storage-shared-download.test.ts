// issue 10 ("the server stays up"): services share one failing storageUri, so they share one download; some are
// deleted mid-download. `inferd serve` died of an unhandled STORAGE_FAILED rejection when a deleted service's
// fetch reached the single-flight already aborted and started a download nobody waited on. Now the server keeps
// answering /healthz, and the surviving service's status reports the storage's failure, not a cancellation.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Inferd, removeDir, startInferd, tempStateDir, waitForCondition } from '../helpers/inferd.js';

const TEMP_FOLDERS = 2000;
let inferd: Inferd;
let storage: Server;
let base = '';
/** Requests the storage server has answered so far, and a waiter for the next one. */
let hits = 0;
let onHit: (() => void) | undefined;

before(async () => {
  // Always 503: the storage initializer retries it (transient), so the shared download stays in flight a while.
  storage = createServer((_req, res) => {
    hits++;
    onHit?.();
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('busy');
  });
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
  // Fresh temp folders of "interrupted downloads" (too young to prune): every fetch lists them before it joins
  // the shared download, which leaves time for a deletion to land before the download starts, as in the report.
  const stateDir = tempStateDir();
  for (let i = 0; i < TEMP_FOLDERS; i++) mkdirSync(join(stateDir, 'cache', 'tmp', `dl-${i}`), { recursive: true });
  inferd = await startInferd({ stateDir, args: ['--storage-timeout', '60s'] });
  ISVCS = `${inferd.url}${ISVCS_PATH}`;
});
after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  await new Promise<void>((resolve) => storage?.close(() => resolve()));
});

const ISVCS_PATH = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
let ISVCS = '';
const create = (name: string) =>
  fetch(ISVCS, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name, namespace: 'default' },
      spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: `${base}/shared/model.joblib` } } },
    }),
  });

const readyOf = (obj: Record<string, unknown>) =>
  (obj as { status: { conditions: { type: string; reason?: string }[] } }).status.conditions.find(
    (c) => c.type === 'Ready',
  );

/** Resolves once the storage server has answered `n` requests in all (bounded). */
function hitsReach(n: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (hits >= n) return resolve();
    const timer = setTimeout(() => reject(new Error(`storage saw ${hits} requests, not ${n}`)), timeoutMs);
    onHit = () => {
      if (hits < n) return;
      clearTimeout(timer);
      onHit = undefined;
      resolve();
    };
  });
}

test('serve: deleting one of two services sharing a failing download leaves the server up', async () => {
  // every wait below also ends the moment the server dies, with its output (the crash's stack) as the failure
  const died = new Promise<never>((_, reject) => {
    inferd.proc.once('exit', (code, signal) =>
      reject(new Error(`inferd exited (code ${code}, signal ${signal}):\n${inferd.output().slice(-3000)}`)),
    );
  });
  died.catch(() => {}); // raced below; a clean run never settles it
  const alive = <T>(p: Promise<T>) => Promise.race([p, died]);
  // `second` fails its first round (a try and 2 retries, all 503) and waits out its rollout back-off
  assert.equal((await create('second')).status, 201);
  await alive(hitsReach(3, 20_000));
  const failed = readyOf(await alive(waitForCondition(inferd.url, 'default', 'second', 'False', 30_000)));
  assert.equal(failed?.reason, 'StorageRequestFailed', JSON.stringify(failed));
  // services on the same storageUri created and deleted at once, through the control API (no CLI start-up in
  // between): each deletion lands while its fetch is still on the way to the shared download
  for (let i = 0; i < 5; i++) {
    assert.equal((await create(`gone-${i}`)).status, 201);
    assert.equal((await fetch(`${ISVCS}/gone-${i}`, { method: 'DELETE' })).status, 200);
  }
  // and one deleted in the middle of the shared download's back-off, once `second` is fetching again
  const before = hits;
  await alive(hitsReach(before + 1, 20_000));
  assert.equal((await create('mid')).status, 201);
  assert.equal((await fetch(`${ISVCS}/mid`, { method: 'DELETE' })).status, 200);
  // `second`'s round goes on and fails as the storage answers, not as a cancelled download
  await alive(hitsReach(before + 3, 20_000));
  const again = readyOf(await alive(waitForCondition(inferd.url, 'default', 'second', 'False', 30_000)));
  assert.equal(again?.reason, 'StorageRequestFailed', JSON.stringify(again));
  assert.equal(inferd.proc.exitCode, null, inferd.output());
  assert.doesNotMatch(inferd.output(), /unhandled|UnhandledPromiseRejection/i);
  const health = await fetch(`${inferd.url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal((await fetch(`${ISVCS}/second`)).status, 200);
  assert.equal((await fetch(`${ISVCS}/gone-0`)).status, 404);
});
