// issue 10 (storage) through `inferd serve`: a storageUri pointing at inferd's own control API (which would hand
// out a Secret as a "model") is refused with StorageAddressRefused and nothing lands in the cache; a
// ServiceAccount naming another namespace's Secret fails with InvalidStorageCredentials naming the field. Other
// models keep answering meanwhile.

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';
import { makeTar } from '../storage/helpers.js';

let inferd: Inferd;

before(async () => {
  inferd = await startInferd({ args: ['--storage-timeout', '30s'] });
});
after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

const apply = async (yaml: string) => {
  const r = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
};

const readyOf = (obj: Record<string, unknown>) =>
  (obj as { status: { conditions: { type: string; reason?: string; message?: string }[] } }).status.conditions.find(
    (c) => c.type === 'Ready',
  );

test("EXPECTED FAILURE - serve: a storageUri at inferd's own control API is refused; the Secret never lands in the cache", async () => {
  await apply(`apiVersion: v1
kind: Secret
metadata: {name: s3creds, namespace: default}
stringData: {AWS_ACCESS_KEY_ID: AKIAOWN, AWS_SECRET_ACCESS_KEY: own-port-secret-value}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: steal, namespace: default}
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: http://127.0.0.1:${inferd.port}/api/v1/namespaces/default/secrets/s3creds
`);
  const obj = await waitForCondition(inferd.url, 'default', 'steal', 'False', 30_000);
  const ready = readyOf(obj);
  assert.equal(ready?.reason, 'StorageAddressRefused', JSON.stringify(ready));
  assert.match(ready?.message ?? '', /inferd's own listening address/);
  const entries = await readdir(join(inferd.stateDir, 'cache', 'entries'), { recursive: true }).catch(() => []);
  assert.deepEqual(entries, [], 'nothing was downloaded');
  // localhost spelled differently is refused the same way
  await apply(`apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: steal2, namespace: default}
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: http://localhost:${inferd.port}/api/v1/namespaces/default/secrets/model.json
`);
  const obj2 = await waitForCondition(inferd.url, 'default', 'steal2', 'False', 30_000);
  assert.equal(readyOf(obj2)?.reason, 'StorageAddressRefused');
});

test('EXPECTED FAILURE - serve: a ServiceAccount naming a Secret of another namespace fails, naming the field', async () => {
  await apply(`apiVersion: v1
kind: Secret
metadata: {name: team-b-s3, namespace: team-b}
stringData: {AWS_ACCESS_KEY_ID: AKIAB, AWS_SECRET_ACCESS_KEY: team-b-secret-value}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: borrower, namespace: team-a}
secrets: [{name: team-b-s3, namespace: team-b}]
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: borrow, namespace: team-a}
spec:
  predictor:
    serviceAccountName: borrower
    model:
      modelFormat: {name: sklearn}
      storageUri: s3://team-b-models/iris
`);
  const obj = await waitForCondition(inferd.url, 'team-a', 'borrow', 'False', 30_000);
  const ready = readyOf(obj);
  assert.equal(ready?.reason, 'InvalidStorageCredentials', JSON.stringify(ready));
  assert.match(ready?.message ?? '', /ServiceAccount team-a\/borrower secrets\[0\]\.namespace is 'team-b'/);
  assert.doesNotMatch(JSON.stringify(obj), /team-b-secret-value/);
});

/** A 2 GiB tar.gz of about 2 MB (a tar header, then one gzip member of 16 MiB zeros repeated). */
function tgzBomb(unpacked: number): Buffer {
  const chunk = 16 * 1024 * 1024;
  const member = gzipSync(Buffer.alloc(chunk), { level: 9 });
  const h = makeTar([{ name: 'model.joblib', data: '' }]).subarray(0, 512);
  h.write(`${unpacked.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return Buffer.concat([gzipSync(h), ...Array.from({ length: unpacked / chunk }, () => member)]);
}

test('EXPECTED FAILURE - serve: a 2 MB tgz of 2 GiB ends StorageTooLarge; the server answers meanwhile', async (t) => {
  const bomb = tgzBomb(2 * 1024 ** 3);
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': bomb.length, etag: '"bomb"' }).end(bomb);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const port = (server.address() as AddressInfo).port;
  await apply(`apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: bomb, namespace: default}
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: http://127.0.0.1:${port}/bomb/model.tar.gz
`);
  // probe the control API while the download and refusal run
  let worst = 0;
  let probes = 0;
  let done = false;
  const probing = (async () => {
    while (!done) {
      const started = performance.now();
      const r = await fetch(`${inferd.url}/healthz`);
      await r.arrayBuffer();
      worst = Math.max(worst, performance.now() - started);
      probes++;
      await new Promise((ok) => setTimeout(ok, 10));
    }
  })();
  const obj = await waitForCondition(inferd.url, 'default', 'bomb', 'False', 30_000).finally(() => {
    done = true;
  });
  await probing;
  const ready = readyOf(obj);
  assert.equal(ready?.reason, 'StorageTooLarge', JSON.stringify(ready));
  assert.match(ready?.message ?? '', /more than 100:1/);
  const entries = await readdir(join(inferd.stateDir, 'cache', 'entries')).catch(() => []);
  assert.deepEqual(entries, []);
  assert.ok(worst < 1000, `slowest /healthz during the attack: ${worst.toFixed(0)} ms`);
  t.diagnostic(
    `2 GiB tgz bomb (${bomb.length} B): ${probes} /healthz probes meanwhile, slowest ${worst.toFixed(1)} ms`,
  );
});
