import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.js';
import { createLogger } from '../../src/log.js';
import { endpointUrl, parseBool, resolveStorageCredentials } from '../../src/storage/credentials.js';
import { b64, fakeStore, lookupIn } from './fake-store.js';
import { storageFailure } from './helpers.js';

const secret = (
  name: string,
  extra: Partial<Resource> & Record<string, unknown>,
  annotations?: Record<string, string>,
) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'ns', annotations }, ...extra }) as Resource;
const sa = (name: string, secrets: string[], annotations?: Record<string, string>) =>
  ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: 'ns', annotations },
    secrets: secrets.map((s) => ({ name: s })),
  }) as Resource;

test('credentials: KServe booleans and endpoints', () => {
  assert.equal(parseBool('0'), false);
  assert.equal(parseBool('FALSE'), false);
  assert.equal(parseBool('1'), true);
  assert.equal(parseBool('true'), true);
  assert.equal(parseBool('maybe'), undefined);
  assert.equal(endpointUrl('minio-service.kubeflow:9000', false), 'http://minio-service.kubeflow:9000');
  assert.equal(endpointUrl('minio-service.kubeflow:9000', undefined), 'https://minio-service.kubeflow:9000');
  assert.equal(endpointUrl('http://minio:9000/', true), 'http://minio:9000', 'a scheme in the value wins');
});

test('credentials: env, as the KServe downloader reads it', () => {
  const c = resolveStorageCredentials(lookupIn(fakeStore([])), {
    namespace: 'ns',
    env: {
      S3_ENDPOINT: 'minio:9000',
      S3_USE_HTTPS: '0',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      S3_VERIFY_SSL: '0',
      AWS_CA_BUNDLE: '/etc/ca.pem',
      S3_USER_VIRTUAL_BUCKET: 'true',
      STORAGE_EMULATOR_HOST: 'localhost:4443',
      'models.example.com-headers': '{"x-token":"t"}',
      UNRELATED: 'x',
    },
  });
  assert.deepEqual(c, {
    s3: {
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      verifySsl: false,
      caBundle: '/etc/ca.pem',
      useVirtualBucket: true,
    },
    gcs: { emulatorHost: 'localhost:4443' },
    httpHeaders: { 'models.example.com': { 'x-token': 't' } },
  });
  const awsUrl = resolveStorageCredentials(lookupIn(fakeStore([])), {
    namespace: 'ns',
    env: { AWS_ENDPOINT_URL: 'https://s3.example.com', S3_ENDPOINT: 'ignored:1', AWS_DEFAULT_REGION: 'ap-1' },
  });
  assert.deepEqual(awsUrl.s3, { endpoint: 'https://s3.example.com', region: 'ap-1' });
  assert.deepEqual(resolveStorageCredentials(lookupIn(fakeStore([])), { namespace: 'ns' }), {});
});

test("credentials: the service account's secret overrides env; annotations win over data keys", () => {
  const store = fakeStore([
    secret(
      'minio',
      {
        data: {
          awsAccessKeyID: b64('from-secret'),
          awsSecretAccessKey: b64('secret-value'),
          S3_ENDPOINT: b64('data-endpoint:1'),
          AWS_DEFAULT_REGION: b64('data-region'),
        },
      },
      {
        'serving.kserve.io/s3-endpoint': 'minio-service.kubeflow:9000',
        'serving.kserve.io/s3-usehttps': '0',
        'serving.kserve.io/s3-verifyssl': '0',
        'serving.kserve.io/s3-useanoncredential': 'false',
        'serving.kserve.io/s3-usevirtualbucket': 'false',
        'serving.kserve.io/s3-cabundle': '/ca/cabundle.crt',
      },
    ),
    sa('sa', ['missing-secret', 'minio'], { 'serving.kserve.io/s3-region': 'sa-region' }),
  ]);
  const c = resolveStorageCredentials(lookupIn(store), {
    namespace: 'ns',
    serviceAccountName: 'sa',
    env: { AWS_ACCESS_KEY_ID: 'env-key', AWS_REGION: 'env-region' },
  });
  assert.deepEqual(c.s3, {
    endpoint: 'http://minio-service.kubeflow:9000',
    region: 'sa-region',
    accessKeyId: 'from-secret',
    secretAccessKey: 'secret-value',
    anonymous: false,
    verifySsl: false,
    caBundle: '/ca/cabundle.crt',
    useVirtualBucket: false,
  });
});

test('credentials: stringData, AWS_* key names, gcs key file, https headers', () => {
  const store = fakeStore([
    secret('s3', { stringData: { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_DEFAULT_REGION: 'r1' } }),
    secret('gcs', { stringData: { 'gcloud-application-credentials.json': '{"type":"service_account"}' } }),
    secret('hdr', { stringData: { 'https-host': 'models.example.com', headers: '{"Authorization":"Bearer x"}' } }),
    sa('sa', ['s3', 'gcs', 'hdr']),
  ]);
  const c = resolveStorageCredentials(lookupIn(store), {
    namespace: 'ns',
    serviceAccountName: 'sa',
    env: { GOOGLE_APPLICATION_CREDENTIALS: '/path/key.json' },
  });
  assert.deepEqual(c.s3, { region: 'r1', accessKeyId: 'AK', secretAccessKey: 'SK' });
  assert.deepEqual(c.gcs, { serviceAccountKey: '{"type":"service_account"}' });
  assert.deepEqual(c.httpHeaders, { 'models.example.com': { Authorization: 'Bearer x' } });
});

test('credentials: the storage-config secret (default key, default_<type>, parameters, path)', () => {
  const cfg = (o: object) => JSON.stringify(o);
  const store = fakeStore([
    secret('storage-config', {
      stringData: {
        default: cfg({
          type: 's3',
          access_key_id: 'A',
          secret_access_key: 'S',
          endpoint_url: 'http://minio:9000',
          bucket: 'b1',
          region: 'r',
          verify_ssl: '0',
        }),
        default_s3: cfg({ type: 's3', access_key_id: 'A3', secret_access_key: 'S3', bucket: 'b3', anonymous: 'true' }),
        hdfs: cfg({ type: 'hdfs' }),
        broken: '{not json',
      },
    }),
  ]);
  const viaDefault = resolveStorageCredentials(lookupIn(store), { namespace: 'ns', storage: { path: 'models/iris' } });
  assert.equal(viaDefault.storageUri, 's3://b1/models/iris');
  assert.deepEqual(viaDefault.s3, {
    endpoint: 'http://minio:9000',
    region: 'r',
    accessKeyId: 'A',
    secretAccessKey: 'S',
    verifySsl: false,
  });
  const viaType = resolveStorageCredentials(lookupIn(store), {
    namespace: 'ns',
    storage: { path: '/m', parameters: { type: 's3', bucket: 'override' } },
  });
  assert.equal(viaType.storageUri, 's3://override/m');
  assert.equal(viaType.s3?.anonymous, true);
  assert.throws(
    () => resolveStorageCredentials(lookupIn(store), { namespace: 'ns', storage: { key: 'nope' } }),
    storageFailure('InvalidStorageCredentials', /no key 'nope' \(keys: default, default_s3, hdfs, broken\)/),
  );
  assert.throws(
    () => resolveStorageCredentials(lookupIn(store), { namespace: 'ns', storage: { key: 'broken' } }),
    storageFailure('InvalidStorageCredentials', /not a JSON object/),
  );
  assert.throws(
    () => resolveStorageCredentials(lookupIn(store), { namespace: 'ns', storage: { key: 'hdfs' } }),
    storageFailure('StorageUnsupported', /'hdfs'/),
  );
  assert.throws(
    () => resolveStorageCredentials(lookupIn(fakeStore([])), { namespace: 'ns', storage: { key: 'x' } }),
    storageFailure('InvalidStorageCredentials', /ns\/storage-config, which does not exist/),
  );
});

test('EXPECTED FAILURE - credentials: a missing service account is named', () => {
  assert.throws(
    () => resolveStorageCredentials(lookupIn(fakeStore([])), { namespace: 'ns', serviceAccountName: 'ghost' }),
    storageFailure('InvalidStorageCredentials', /ServiceAccount ns\/ghost/),
  );
});

test('credentials: secret values never reach the log or error messages', () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), level: 'debug' });
  const store = fakeStore([
    secret('s3', { stringData: { AWS_ACCESS_KEY_ID: 'AKID-VISIBLE-ID', AWS_SECRET_ACCESS_KEY: 'TOP-SECRET-VALUE' } }),
    sa('sa', ['gone', 's3']),
  ]);
  resolveStorageCredentials(lookupIn(store), { namespace: 'ns', serviceAccountName: 'sa', log });
  assert.ok(
    lines.some((l) => l.includes('ns/gone')),
    'the missing secret is named',
  );
  assert.ok(lines.every((l) => !l.includes('TOP-SECRET-VALUE')));
});

// issue 10 M2: a ServiceAccount naming a Secret of another namespace signed downloads with that namespace's keys.
test('EXPECTED FAILURE - credentials: a service account may not name a secret of another namespace', () => {
  const victim = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'team-b-s3', namespace: 'team-b' },
    stringData: { AWS_ACCESS_KEY_ID: 'AKIA-B', AWS_SECRET_ACCESS_KEY: 'b-secret' },
  } as Resource;
  const attacker = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'sa', namespace: 'ns' },
    secrets: [{ name: 'team-b-s3', namespace: 'team-b' }],
  } as Resource;
  const store = fakeStore([victim, attacker]);
  let thrown: unknown;
  try {
    resolveStorageCredentials(lookupIn(store), { namespace: 'ns', serviceAccountName: 'sa' });
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown, 'resolving must fail, not sign with team-b-s3');
  assert.ok(
    storageFailure(
      'InvalidStorageCredentials',
      /ServiceAccount ns\/sa secrets\[0\]\.namespace is 'team-b'.*own namespace 'ns'/,
    )(thrown),
  );
  assert.doesNotMatch((thrown as Error).message, /b-secret|AKIA-B/);
  // the same name in the service's own namespace (or namespace spelled out as its own) is fine
  const own = { ...victim, metadata: { name: 'team-b-s3', namespace: 'ns' } } as Resource;
  const ok = { ...attacker, secrets: [{ name: 'team-b-s3', namespace: 'ns' }] } as Resource;
  const creds = resolveStorageCredentials(lookupIn(fakeStore([own, ok])), {
    namespace: 'ns',
    serviceAccountName: 'sa',
  });
  assert.equal(creds.s3?.accessKeyId, 'AKIA-B');
});
