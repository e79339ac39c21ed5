// Auth on the cluster gateway, as on `inferd serve --auth --oidc-issuer`: JWTs from a loopback issuer, roles
// from the cluster's rbac.authorization.k8s.io/v1 RoleBindings (read through the API), 401 without a token,
// 403 for a user with no role in the namespace, 200 for one bound to `predictor`.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import type { InferenceService, Resource } from '../../src/api/types.js';
import { repoRoot } from '../helpers/paths.js';
import { LoopbackIssuer } from '../support/oidc-issuer.js';
import { startFakeCluster } from './fake-cluster.js';

const NS = 'team-a';

function predict(port: number, token?: string): Promise<{ status: number; body: string; www?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/models/iris:predict',
        headers: { host: `iris.${NS}.example.com`, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, www: res.headers['www-authenticate'] as string | undefined }),
        );
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
}

test('the cluster gateway enforces OIDC auth with the cluster RoleBindings', { timeout: 120_000 }, async (t) => {
  const issuer = await LoopbackIssuer.start();
  t.after(() => new Promise<void>((r) => issuer.server.close(() => r())));
  const { api, gw } = await startFakeCluster(t, {
    auth: { required: true, oidc: { issuer: issuer.url, audience: 'inferd' } },
  });

  await api.client.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'alice-predicts', namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'predictor' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
  } as Resource);
  await api.client.create({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', namespace: NS },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: `${repoRoot}/models/sklearn-iris` } } },
  } as Resource);
  const deadline = Date.now() + 60_000;
  while (
    (await api.client.get<InferenceService>('InferenceService', NS, 'iris')).status?.conditions?.find(
      (c) => c.type === 'Ready',
    )?.status !== 'True'
  ) {
    assert.ok(Date.now() < deadline, 'iris not Ready');
    await new Promise((r) => setTimeout(r, 100));
  }

  const anonymous = await predict(gw.port);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.www ?? '', /^Bearer/);
  const mallory = await predict(gw.port, await issuer.sign({ sub: 'mallory' }));
  assert.equal(mallory.status, 403);
  const alice = await predict(gw.port, await issuer.sign({ sub: 'alice' }));
  assert.deepEqual([alice.status, alice.body], [200, '{"predictions":[1,1]}']);
  const wrongAudience = await predict(gw.port, await issuer.sign({ sub: 'alice' }, { audience: 'someone-else' }));
  assert.equal(wrongAudience.status, 401);
});
