// s3:// against a real S3 server that checks SigV4 signatures (Swift + s3api, started here on 127.0.0.1).

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Resource } from '../../src/api/types.js';
import { resolveStorageCredentials } from '../../src/storage/credentials.js';
import { initializeModel } from '../../src/storage/initializer.js';
import { S3Client } from '../../src/storage/s3-client.js';
import type { S3Credentials } from '../../src/storage/types.js';
import { b64, fakeStore, lookupIn } from './fake-store.js';
import { makeTarGz, refusedPort, storageFailure, tempDir } from './helpers.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server, stopS3Server } from './s3-server.js';

let root: string;
let endpoint: string;
let creds: S3Credentials;
const io = () => ({ signal: AbortSignal.timeout(10_000), idleTimeoutMs: 10_000 });

const RUN = 'mlflow/1/d9a3dd7164bd423b9482ab8a77316c33/artifacts';
const MODEL_FILES: Record<string, Buffer> = {
  MLmodel: Buffer.from('artifact_path: iris_model\nflavors:\n  sklearn: {}\n'),
  'model.pkl': Buffer.from([0x80, 0x04, 0x95, 0x00, 0x2e]),
  'conda.yaml': Buffer.from('name: mlflow-env\n'),
  'sub dir/a+b (1).txt': Buffer.from('odd key characters'),
};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'inferd-s3-'));
  endpoint = await startS3Server(join(root, 's3'));
  creds = { endpoint, region: 'us-east-1', accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY };
  const client = await S3Client.create(creds);
  await client.createBucket('mlflow', io());
  const [bucket, ...rest] = RUN.split('/');
  const prefix = rest.join('/');
  for (const [name, body] of Object.entries(MODEL_FILES)) {
    await client.putObject(bucket!, `${prefix}/iris_model/${name}`, body, io());
  }
  await client.putObject(bucket!, `${prefix}/iris_model2/other.txt`, Buffer.from('a sibling prefix'), io());
  await client.putObject(bucket!, 'single/model.joblib', Buffer.from('joblib bytes'), io());
  await client.putObject(bucket!, 'archives/model.tar.gz', makeTarGz([{ name: 'model.bst', data: 'xgb' }]), io());
});

after(async () => {
  if (!root) return;
  await stopS3Server(join(root, 's3'));
  await rm(root, { recursive: true, force: true });
});

const uri = (path: string) => `s3://${path}`;

test('s3: a prefix downloads every object, keeping the relative layout', async (t) => {
  const cacheDir = await tempDir(t);
  const r = await initializeModel({ storageUri: uri(`${RUN}/iris_model`), cacheDir, credentials: { s3: creds } });
  assert.equal(r.cached, false);
  const files = (await readdir(r.modelDir, { recursive: true })).sort();
  assert.deepEqual(files, ['MLmodel', 'conda.yaml', 'model.pkl', 'sub dir', 'sub dir/a+b (1).txt']);
  for (const [name, body] of Object.entries(MODEL_FILES))
    assert.deepEqual(await readFile(join(r.modelDir, name)), body);
  const again = await initializeModel({ storageUri: uri(`${RUN}/iris_model/`), cacheDir, credentials: { s3: creds } });
  assert.equal(again.cached, false, 'a trailing slash is another URI');
  const third = await initializeModel({ storageUri: uri(`${RUN}/iris_model`), cacheDir, credentials: { s3: creds } });
  assert.deepEqual(third, { modelDir: r.modelDir, cached: true });
});

test('s3: a key that is exactly one object downloads that file', async (t) => {
  const cacheDir = await tempDir(t);
  const r = await initializeModel({
    storageUri: 's3://mlflow/single/model.joblib',
    cacheDir,
    credentials: { s3: creds },
  });
  assert.deepEqual(await readdir(r.modelDir), ['model.joblib']);
  assert.equal(await readFile(join(r.modelDir, 'model.joblib'), 'utf8'), 'joblib bytes');
});

test('s3: a single archive object is unpacked', async (t) => {
  const cacheDir = await tempDir(t);
  const r = await initializeModel({
    storageUri: 's3://mlflow/archives/model.tar.gz',
    cacheDir,
    credentials: { s3: creds },
  });
  assert.deepEqual(await readdir(r.modelDir), ['model.bst']);
});

test("s3: seed 002's Secret + ServiceAccount, resolved like KServe", async (t) => {
  const cacheDir = await tempDir(t);
  const { host, protocol } = new URL(endpoint);
  const store = fakeStore([
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'minio-s3-secret',
        namespace: 'kserve-test',
        annotations: {
          'serving.kserve.io/s3-endpoint': host,
          'serving.kserve.io/s3-usehttps': protocol === 'https:' ? '1' : '0',
          'serving.kserve.io/s3-region': 'us-east-1',
        },
      },
      type: 'Opaque',
      data: { AWS_ACCESS_KEY_ID: b64(S3_ACCESS_KEY), AWS_SECRET_ACCESS_KEY: b64(S3_SECRET_KEY) },
    } as Resource,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'sa', namespace: 'kserve-test' },
      secrets: [{ name: 'minio-s3-secret' }],
    } as Resource,
  ]);
  const credentials = resolveStorageCredentials(lookupIn(store), {
    namespace: 'kserve-test',
    serviceAccountName: 'sa',
    env: {},
  });
  assert.equal(credentials.s3?.endpoint, endpoint);
  const r = await initializeModel({ storageUri: uri(`${RUN}/iris_model`), cacheDir, credentials });
  assert.ok((await readdir(r.modelDir)).includes('MLmodel'));
});

test("s3: KServe's storage-config secret with storage.key and storage.path", async (t) => {
  const cacheDir = await tempDir(t);
  const store = fakeStore([
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'storage-config', namespace: 'default' },
      stringData: {
        localMinIO: JSON.stringify({
          type: 's3',
          access_key_id: S3_ACCESS_KEY,
          secret_access_key: S3_SECRET_KEY,
          endpoint_url: endpoint,
          bucket: 'mlflow',
          region: 'us-east-1',
        }),
      },
    } as Resource,
  ]);
  const credentials = resolveStorageCredentials(lookupIn(store), {
    namespace: 'default',
    storage: { key: 'localMinIO', path: 'single/model.joblib' },
    env: {},
  });
  assert.equal(credentials.storageUri, 's3://mlflow/single/model.joblib');
  const r = await initializeModel({ storageUri: credentials.storageUri!, cacheDir, credentials });
  assert.deepEqual(await readdir(r.modelDir), ['model.joblib']);
});

test('s3: ListObjectsV2 pagination returns every object', async () => {
  const client = new S3Client({ ...(await S3Client.create(creds)).config, maxKeys: 2 });
  const objects = await client.listObjects('mlflow', '', io());
  assert.equal(objects.length, 7);
  assert.ok(objects.some((o) => o.key === 'single/model.joblib'));
});

test('EXPECTED FAILURE - s3: a wrong secret is StorageAccessDenied naming bucket and endpoint, never the secret', async (t) => {
  const cacheDir = await tempDir(t);
  const host = new URL(endpoint).host;
  await assert.rejects(
    initializeModel({
      storageUri: uri(`${RUN}/iris_model`),
      cacheDir,
      credentials: { s3: { ...creds, secretAccessKey: 'not-the-secret-xyz' } },
    }),
    (err: Error) => {
      storageFailure('StorageAccessDenied', new RegExp(`bucket 'mlflow' at ${host.replace(/\./g, '\\.')}`))(err);
      assert.doesNotMatch(err.message + JSON.stringify(err), /not-the-secret-xyz|testing123/);
      return true;
    },
  );
});

test('EXPECTED FAILURE - s3: unknown bucket or key is ModelNotFound with the URI', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: 's3://no-such-bucket/models/iris', cacheDir, credentials: { s3: creds } }),
    storageFailure('ModelNotFound', /bucket 'no-such-bucket' does not exist/),
  );
  await assert.rejects(
    initializeModel({ storageUri: 's3://mlflow/models/nothing-here', cacheDir, credentials: { s3: creds } }),
    storageFailure('ModelNotFound', /No model found in s3:\/\/mlflow\/models\/nothing-here/),
  );
  // whole path segments only: iris_mod is not a prefix of iris_model/...
  await assert.rejects(
    initializeModel({ storageUri: uri(`${RUN}/iris_mod`), cacheDir, credentials: { s3: creds } }),
    storageFailure('ModelNotFound'),
  );
});

test('EXPECTED FAILURE - s3: a refused endpoint is StorageUnreachable naming host:port', async (t) => {
  const cacheDir = await tempDir(t);
  const port = await refusedPort();
  await assert.rejects(
    initializeModel({
      storageUri: uri(`${RUN}/iris_model`),
      cacheDir,
      credentials: { s3: { ...creds, endpoint: `http://127.0.0.1:${port}` } },
      retryBaseMs: 10,
    }),
    storageFailure('StorageUnreachable', new RegExp(`127\\.0\\.0\\.1:${port}`)),
  );
});

test('EXPECTED FAILURE - s3: a prefix beyond maxBytes is refused before downloading', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: uri(`${RUN}/iris_model`), cacheDir, credentials: { s3: creds }, maxBytes: 10 }),
    storageFailure('StorageTooLarge'),
  );
});

// issue 10 M1: callers with other credentials, none, or another endpoint joined the running download of the
// same s3:// URI and got the model fetched with the first caller's keys.
test('EXPECTED FAILURE - s3: concurrent downloads are shared only with the same credentials and endpoint', async (t) => {
  const cacheDir = await tempDir(t);
  const port = await refusedPort();
  const storageUri = uri(`${RUN}/iris_model`);
  const owner = initializeModel({ storageUri, cacheDir, credentials: { s3: creds } });
  const sameKeys = initializeModel({ storageUri, cacheDir, credentials: { s3: { ...creds } } });
  const wrongSecret = initializeModel({
    storageUri,
    cacheDir,
    retries: 0,
    credentials: { s3: { ...creds, secretAccessKey: 'not-the-secret' } },
  });
  const anonymous = initializeModel({ storageUri, cacheDir, retries: 0, credentials: { s3: { endpoint } } });
  const otherEndpoint = initializeModel({
    storageUri,
    cacheDir,
    retries: 0,
    credentials: { s3: { ...creds, endpoint: `http://127.0.0.1:${port}` } },
  });
  const [o, s, w, a, e] = await Promise.allSettled([owner, sameKeys, wrongSecret, anonymous, otherEndpoint]);
  assert.equal(o.status, 'fulfilled');
  assert.equal(s.status, 'fulfilled');
  assert.equal(
    (s as PromiseFulfilledResult<{ modelDir: string }>).value.modelDir,
    (o as PromiseFulfilledResult<{ modelDir: string }>).value.modelDir,
    'same keys share',
  );
  assert.equal(w.status, 'rejected', 'a wrong secret gets nothing');
  assert.ok(storageFailure('StorageAccessDenied')((w as PromiseRejectedResult).reason));
  assert.equal(a.status, 'rejected', 'no credentials gets nothing');
  // Swift's s3api answers an anonymous listing 412, AWS 403: either way refused by the store itself
  assert.match((a as PromiseRejectedResult).reason.message, /the request was anonymous/);
  assert.equal(e.status, 'rejected', 'another endpoint is asked itself');
  assert.ok(
    storageFailure('StorageUnreachable', new RegExp(`127\\.0\\.0\\.1:${port}`))((e as PromiseRejectedResult).reason),
  );
  // and afterwards the cache does not hand the model to them either
  await assert.rejects(
    initializeModel({ storageUri, cacheDir, retries: 0, credentials: { s3: { endpoint } } }),
    /the request was anonymous/,
  );
  await assert.rejects(
    initializeModel({
      storageUri,
      cacheDir,
      retries: 0,
      credentials: { s3: { ...creds, secretAccessKey: 'not-the-secret' } },
    }),
    storageFailure('StorageAccessDenied'),
  );
});
