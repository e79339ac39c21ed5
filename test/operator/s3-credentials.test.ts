// Credentials the KServe way on a cluster: a Secret with KServe's s3 annotations and AWS keys, a
// ServiceAccount listing it, an InferenceService with serviceAccountName and an s3:// storageUri. The
// operator turns them into the storage initializer's env (keys as secretKeyRefs); the fake kubelet resolves
// those as the kubelet would and runs `inferd storage-initializer`, which downloads from a real S3 server
// (SigV4 checked); the prediction then comes through the cluster gateway.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InferenceService, Resource } from '../../src/api/types.js';
import { S3Client } from '../../src/storage/s3-client.js';
import { repoRoot } from '../helpers/paths.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server, stopS3Server } from '../storage/s3-server.js';
import { startFakeCluster } from './fake-cluster.js';

const NS = 'kserve-test';

test(
  'an s3:// model with the service account secret of KServe reaches the pod and serves',
  { timeout: 180_000 },
  async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'inferd-op-s3-'));
    // One hook, in this order: the S3 server's pid files live under root (after hooks run first-in, first-out).
    t.after(async () => {
      await stopS3Server(join(root, 's3')).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    });
    const endpoint = await startS3Server(join(root, 's3'));
    const s3 = await S3Client.create({
      endpoint,
      region: 'us-east-1',
      accessKeyId: S3_ACCESS_KEY,
      secretAccessKey: S3_SECRET_KEY,
    });
    const io = () => ({ signal: AbortSignal.timeout(20_000), idleTimeoutMs: 20_000 });
    await s3.createBucket('models', io());
    await s3.putObject(
      'models',
      'iris/model.joblib',
      readFileSync(join(repoRoot, 'models', 'sklearn-iris', 'model.joblib')),
      io(),
    );

    const { api, kubelet, gw } = await startFakeCluster(t);

    const host = new URL(endpoint).host;
    await api.client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's3creds',
        namespace: NS,
        annotations: {
          'serving.kserve.io/s3-endpoint': host,
          'serving.kserve.io/s3-usehttps': '0',
          'serving.kserve.io/s3-region': 'us-east-1',
        },
      },
      type: 'Opaque',
      data: {
        AWS_ACCESS_KEY_ID: Buffer.from(S3_ACCESS_KEY).toString('base64'),
        AWS_SECRET_ACCESS_KEY: Buffer.from(S3_SECRET_KEY).toString('base64'),
      },
    } as Resource);
    await api.client.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'sa', namespace: NS },
      secrets: [{ name: 's3creds' }],
    } as Resource);
    await api.client.create({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'iris-s3', namespace: NS },
      spec: {
        predictor: {
          serviceAccountName: 'sa',
          model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://models/iris' },
        },
      },
    } as Resource);

    const deadline = Date.now() + 60_000;
    for (;;) {
      const o = await api.client.get<InferenceService>('InferenceService', NS, 'iris-s3');
      if (o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') break;
      assert.deepEqual(kubelet.failures, [], 'the storage initializer failed');
      assert.ok(Date.now() < deadline, `iris-s3 not Ready: ${JSON.stringify(o.status?.conditions)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const dep = await api.client.get<Resource>('Deployment', NS, 'iris-s3-predictor-00001');
    assert.ok(!JSON.stringify(dep).includes(S3_SECRET_KEY), 'the secret key is referenced, never copied');

    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: gw.port,
          method: 'POST',
          path: '/v1/models/iris-s3:predict',
          headers: { host: `iris-s3.${NS}.example.com` },
        },
        (res) => {
          let b = '';
          res.on('data', (c) => {
            b += c;
          });
          res.on('end', () => resolve(b));
        },
      );
      req.on('error', reject);
      req.end(
        JSON.stringify({
          instances: [
            [6.8, 2.8, 4.8, 1.4],
            [6.0, 3.4, 4.5, 1.6],
          ],
        }),
      );
    });
    assert.equal(body, '{"predictions":[1,1]}');
  },
);
