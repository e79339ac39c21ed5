// issue 10 (storage) through `inferd serve`: a storageUri pointing at inferd's own control API (which would hand
// out a Secret as a "model") is refused with StorageAddressRefused and nothing lands in the cache; a
// ServiceAccount naming another namespace's Secret fails with InvalidStorageCredentials naming the field. Other
// models keep answering meanwhile.

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';

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
