// S3 addressing, TLS options and anonymous access, against a small https S3 stand-in that checks that what
// arrives on the wire is what was signed.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initializeModel } from '../../src/storage/initializer.js';
import { S3Client } from '../../src/storage/s3-client.js';
import { signV4 } from '../../src/storage/sigv4.js';
import { storageFailure, tempDir } from './helpers.js';

const KEYS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret/Key+1' };
const OBJECTS: Record<string, string> = { 'models/iris/model.joblib': 'joblib', 'models/iris/extra/meta.json': '{}' };
let certDir: string;
let server: Server;
let endpoint: string;
const seen: { authorization?: string; host?: string; url: string }[] = [];

function listXml(prefix: string): string {
  const keys = Object.keys(OBJECTS).filter((k) => k.startsWith(prefix));
  const contents = keys
    .map(
      (k) =>
        `<Contents><Key>${k}</Key><ETag>&quot;${k.length}&quot;</ETag><Size>${OBJECTS[k]!.length}</Size></Contents>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
}

before(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'inferd-s3-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  server = createServer(
    { key: await readFile(join(certDir, 'key.pem')), cert: await readFile(join(certDir, 'cert.pem')) },
    (req, res) => {
      const url = new URL(req.url ?? '/', `https://${req.headers.host}`);
      seen.push({ authorization: req.headers.authorization, host: req.headers.host, url: req.url ?? '' });
      if (req.headers.authorization) {
        // re-sign what arrived: any difference between signed and sent shows here
        const signedNames = /SignedHeaders=([^,]+)/.exec(req.headers.authorization)![1]!.split(';');
        const headers = Object.fromEntries(
          signedNames
            .filter((h) => !['host', 'x-amz-date', 'x-amz-content-sha256'].includes(h))
            .map((h) => [h, String(req.headers[h])]),
        );
        const amz = String(req.headers['x-amz-date']);
        const now = new Date(
          `${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${amz.slice(9, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`,
        );
        const expected = signV4({
          method: req.method ?? 'GET',
          url,
          headers,
          region: 'eu-central-1',
          credentials: KEYS,
          now,
          payloadHash: String(req.headers['x-amz-content-sha256']),
        });
        if (expected.headers['authorization'] !== req.headers.authorization) {
          res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
          return;
        }
      }
      const [, bucket, ...rest] = url.pathname.split('/');
      if (bucket !== 'models-bucket') return void res.writeHead(404).end('<Error><Code>NoSuchBucket</Code></Error>');
      if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
        return void res
          .writeHead(200, { 'content-type': 'application/xml' })
          .end(listXml(url.searchParams.get('prefix') ?? ''));
      }
      const key = rest.map(decodeURIComponent).join('/');
      const body = OBJECTS[key];
      if (body === undefined) return void res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(certDir, { recursive: true, force: true });
});

const s3 = (extra: object) => ({ s3: { endpoint, region: 'eu-central-1', ...KEYS, ...extra } });

test('EXPECTED FAILURE - s3 over https with an unknown CA is StorageUnreachable with a hint', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: 's3://models-bucket/models/iris', cacheDir, credentials: s3({}) }),
    storageFailure(
      'StorageUnreachable',
      /TLS certificate check failed for 127\.0\.0\.1:\d+.*s3-cabundle.*s3-verifyssl/,
    ),
  );
});

test('s3 over https: s3-verifyssl "0" skips the check', async (t) => {
  const cacheDir = await tempDir(t);
  const r = await initializeModel({
    storageUri: 's3://models-bucket/models/iris',
    cacheDir,
    credentials: s3({ verifySsl: false }),
  });
  assert.deepEqual((await readdir(r.modelDir, { recursive: true })).sort(), [
    'extra',
    'extra/meta.json',
    'model.joblib',
  ]);
});

test('s3 over https: a CA bundle (file path or PEM text) is trusted', async (t) => {
  const cacheDir = await tempDir(t);
  const viaPath = await initializeModel({
    storageUri: 's3://models-bucket/models/iris/model.joblib',
    cacheDir,
    credentials: s3({ caBundle: join(certDir, 'cert.pem') }),
  });
  assert.equal(await readFile(join(viaPath.modelDir, 'model.joblib'), 'utf8'), 'joblib');
  const pem = await readFile(join(certDir, 'cert.pem'), 'utf8');
  const viaPem = await initializeModel({
    storageUri: 's3://models-bucket/models/iris',
    cacheDir,
    credentials: s3({ caBundle: pem }),
  });
  assert.ok(viaPem.modelDir);
  await assert.rejects(
    initializeModel({
      storageUri: 's3://models-bucket/x',
      cacheDir,
      credentials: s3({ caBundle: join(certDir, 'nope.pem') }),
    }),
    storageFailure('InvalidStorageCredentials', /CA bundle/),
  );
});

test('s3: anonymous access sends no Authorization header', async (t) => {
  const cacheDir = await tempDir(t);
  const before = seen.length;
  await initializeModel({
    storageUri: 's3://models-bucket/models/iris/model.joblib',
    cacheDir,
    credentials: s3({ verifySsl: false, anonymous: true }),
  });
  const mine = seen.slice(before);
  assert.ok(mine.length >= 2);
  assert.ok(mine.every((r) => r.authorization === undefined));
});

test('s3: a signature made with another secret is refused (StorageAccessDenied)', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({
      storageUri: 's3://models-bucket/models/iris',
      cacheDir,
      credentials: s3({ verifySsl: false, secretAccessKey: 'other' }),
    }),
    storageFailure('StorageAccessDenied', /bucket 'models-bucket'.*SignatureDoesNotMatch/),
  );
});

test('s3 addressing: path style on custom endpoints, virtual host on AWS or when asked', async () => {
  const custom = await S3Client.create({ endpoint: 'http://minio.kubeflow:9000' });
  assert.equal(custom.url('mlflow', '1/run/a b+c.txt').href, 'http://minio.kubeflow:9000/mlflow/1/run/a%20b%2Bc.txt');
  const virtual = await S3Client.create({ endpoint: 'http://minio.kubeflow:9000', useVirtualBucket: true });
  assert.equal(virtual.url('mlflow', 'k').href, 'http://mlflow.minio.kubeflow:9000/k');
  assert.equal(
    virtual.url('mlflow', '', { 'list-type': '2', prefix: 'a/b' }).href,
    'http://mlflow.minio.kubeflow:9000/?list-type=2&prefix=a%2Fb',
  );
  const aws = await S3Client.create({ region: 'us-east-1' });
  assert.equal(aws.url('bucket', 'k').href, 'https://bucket.s3.amazonaws.com/k');
  const awsEu = await S3Client.create({ region: 'eu-west-1' });
  assert.equal(awsEu.url('bucket', 'k').href, 'https://bucket.s3.eu-west-1.amazonaws.com/k');
  assert.equal(
    awsEu.url('dotted.bucket', 'k').href,
    'https://s3.eu-west-1.amazonaws.com/dotted.bucket/k',
    'dots stay path style',
  );
  const pathOnAws = await S3Client.create({ region: 'us-east-1', useVirtualBucket: false });
  assert.equal(pathOnAws.url('bucket', 'k').href, 'https://s3.amazonaws.com/bucket/k');
});
