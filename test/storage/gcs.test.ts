// gs:// against the minimal GCS JSON API emulator (test/support/gcs-emulator.ts) plus a token endpoint, on loopback.

import assert from 'node:assert/strict';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveStorageCredentials } from '../../src/storage/credentials.js';
import { initializeModel } from '../../src/storage/initializer.js';
import { type GcsEmulator, startGcsEmulator } from '../support/gcs-emulator.js';
import { fakeStore, lookupIn } from './fake-store.js';
import { refusedPort, storageFailure, tempDir } from './helpers.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const TOKEN = 'ya29.test-token';

// bucket → objects; 'private-models' needs the bearer token
const BUCKETS: Record<string, Record<string, string>> = {
  'kfserving-examples': {
    'models/sklearn/1.0/model/model.joblib': 'iris joblib',
    'models/sklearn/1.0/model-2/model.joblib': 'another model',
    'models/sklearn/1.0/model/extra/labels.txt': 'setosa\nversicolor\nvirginica\n',
    'models/sklearn/1.0/model/a': '1',
    'models/sklearn/1.0/model/b': '2',
  },
  'private-models': { 'iris/model.joblib': 'private joblib' },
};
const PAGE = 2;

let server: GcsEmulator;
let tokenRequests = 0;

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The OAuth token endpoint a service-account key's token_uri names: checks the RS256 JWT assertion. */
function tokenRoute(req: IncomingMessage, res: ServerResponse, body: Buffer): boolean {
  if (req.url !== '/token' || req.method !== 'POST') return false;
  tokenRequests++;
  const form = new URLSearchParams(body.toString());
  const [h, c, s] = (form.get('assertion') ?? '').split('.');
  const ok = createVerify('RSA-SHA256')
    .update(`${h}.${c}`)
    .verify(publicKey, Buffer.from(s ?? '', 'base64url'));
  const claims = JSON.parse(Buffer.from(c ?? '', 'base64url').toString()) as {
    iss: string;
    scope: string;
    aud: string;
  };
  if (
    !ok ||
    form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' ||
    claims.iss !== 'sa@proj.iam.gserviceaccount.com'
  ) {
    json(res, 400, { error: 'invalid_grant' });
    return true;
  }
  assert.match(claims.scope, /devstorage\.read_only/);
  json(res, 200, { access_token: TOKEN, expires_in: 3600, token_type: 'Bearer' });
  return true;
}

before(async () => {
  server = await startGcsEmulator({
    buckets: BUCKETS,
    pageSize: PAGE,
    tokens: { 'private-models': TOKEN },
    route: tokenRoute,
  });
});
after(() => server.close());

const gcs = (extra: object = {}) => ({ gcs: { emulatorHost: `127.0.0.1:${server.port}`, ...extra } });
const key = () =>
  JSON.stringify({
    type: 'service_account',
    client_email: 'sa@proj.iam.gserviceaccount.com',
    private_key: PEM,
    private_key_id: 'k1',
    token_uri: `${server.url}/token`,
  });

test("gs: seed 000's public model downloads anonymously through STORAGE_EMULATOR_HOST, over several pages", async (t) => {
  const cacheDir = await tempDir(t);
  const credentials = resolveStorageCredentials(lookupIn(fakeStore([])), {
    namespace: 'default',
    env: { STORAGE_EMULATOR_HOST: `http://127.0.0.1:${server.port}` },
  });
  const uri = 'gs://kfserving-examples/models/sklearn/1.0/model';
  const r = await initializeModel({ storageUri: uri, cacheDir, credentials });
  assert.deepEqual((await readdir(r.modelDir, { recursive: true })).sort(), [
    'a',
    'b',
    'extra',
    'extra/labels.txt',
    'model.joblib',
  ]);
  assert.equal(await readFile(join(r.modelDir, 'model.joblib'), 'utf8'), 'iris joblib');
  assert.ok(
    server.requests.every((q) => q.headers.authorization === undefined),
    'anonymous',
  );
  const mediaGets = server.requests.filter((q) => q.url.includes('alt=media')).length;
  const again = await initializeModel({ storageUri: uri, cacheDir, credentials });
  assert.deepEqual(again, { modelDir: r.modelDir, cached: true });
  assert.equal(server.requests.filter((q) => q.url.includes('alt=media')).length, mediaGets, 'no second download');
});

test('gs: a single object downloads that file', async (t) => {
  const cacheDir = await tempDir(t);
  const r = await initializeModel({
    storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model/model.joblib',
    cacheDir,
    credentials: gcs(),
  });
  assert.deepEqual(await readdir(r.modelDir), ['model.joblib']);
});

test('gs: a service-account key signs a JWT (RS256) for a bearer token', async (t) => {
  const cacheDir = await tempDir(t);
  const before = tokenRequests;
  const r = await initializeModel({
    storageUri: 'gs://private-models/iris',
    cacheDir,
    credentials: gcs({ serviceAccountKey: key() }),
  });
  assert.equal(await readFile(join(r.modelDir, 'model.joblib'), 'utf8'), 'private joblib');
  assert.equal(tokenRequests - before, 1);
});

test('EXPECTED FAILURE - gs: a private bucket without credentials is StorageAccessDenied naming the bucket', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: 'gs://private-models/iris', cacheDir, credentials: gcs() }),
    storageFailure('StorageAccessDenied', /bucket 'private-models' at 127\.0\.0\.1/),
  );
});

test('EXPECTED FAILURE - gs: a key the token endpoint refuses is StorageAccessDenied; a broken key is named', async (t) => {
  const cacheDir = await tempDir(t);
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const wrong = JSON.stringify({ ...JSON.parse(key()), private_key: other });
  await assert.rejects(
    initializeModel({
      storageUri: 'gs://private-models/iris',
      cacheDir,
      credentials: gcs({ serviceAccountKey: wrong }),
    }),
    (err: Error) => {
      storageFailure(
        'StorageAccessDenied',
        /refused service account sa@proj\.iam\.gserviceaccount\.com \(invalid_grant\)/,
      )(err);
      assert.doesNotMatch(err.message, /PRIVATE KEY/);
      return true;
    },
  );
  await assert.rejects(
    initializeModel({
      storageUri: 'gs://private-models/iris',
      cacheDir,
      credentials: gcs({ serviceAccountKey: '{oops' }),
    }),
    storageFailure('InvalidStorageCredentials', /not valid JSON/),
  );
});

test('EXPECTED FAILURE - gs: unknown bucket or path is ModelNotFound', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: 'gs://no-such-bucket/models', cacheDir, credentials: gcs() }),
    storageFailure('ModelNotFound', /gs:\/\/no-such-bucket.*does not exist/),
  );
  await assert.rejects(
    initializeModel({ storageUri: 'gs://kfserving-examples/models/none', cacheDir, credentials: gcs() }),
    storageFailure('ModelNotFound', /No model found in gs:\/\/kfserving-examples\/models\/none/),
  );
});

test('EXPECTED FAILURE - gs: an unreachable endpoint is StorageUnreachable naming host:port', async (t) => {
  const cacheDir = await tempDir(t);
  const port = await refusedPort();
  await assert.rejects(
    initializeModel({
      storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model',
      cacheDir,
      credentials: { gcs: { emulatorHost: `127.0.0.1:${port}` } },
      retryBaseMs: 10,
    }),
    storageFailure('StorageUnreachable', new RegExp(`127\\.0\\.0\\.1:${port}`)),
  );
});
