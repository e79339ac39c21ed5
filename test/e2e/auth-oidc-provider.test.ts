// A real `inferd serve --auth --oidc-issuer` trusting a real OpenID provider (the `oidc-provider` package on
// loopback): a script's client-credentials access token, bound to predictor by a RoleBinding, calls the
// model and cannot apply; another client of the same provider, unbound, can do neither.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { type ProviderIssuer, startProviderIssuer } from '../support/oidc-provider-issuer.js';

const NS = 'kubeflow-user-example-com';
const ISVC = `/apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices`;
const HOST = { host: `sklearn-iris.${NS}.example.com` };
const V1_BODY = JSON.stringify({
  instances: [
    [6.8, 2.8, 4.8, 1.4],
    [6.0, 3.4, 4.5, 1.6],
  ],
});

let inferd: Inferd;
let op: ProviderIssuer;
let admin = '';

function call(method: string, path: string, token: string | undefined, body?: unknown, headers = {}) {
  return httpRequest({
    port: inferd.port,
    path,
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const isvc = (name: string, storageUri: string) => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, namespace: NS },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri } } },
});

before(async () => {
  op = await startProviderIssuer({ audience: 'inferd', clients: ['ci-script', 'stranger'] });
  const stateDir = tempStateDir('inferd-op-');
  const r = await runCli(['token', 'create', '--state', stateDir, '-n', NS, '--role', 'admin', '--name', 'root']);
  assert.equal(r.code, 0, r.stderr);
  admin = r.stdout.trim().split(/\s+/).pop()!;
  inferd = await startInferd({ stateDir, args: ['--auth', '--oidc-issuer', op.url, '--oidc-audience', 'inferd'] });
  const uri = join(repoRoot, 'models', 'sklearn-iris', 'model.joblib');
  assert.equal((await call('POST', ISVC, admin, isvc('sklearn-iris', uri))).status, 201);
  const rb = await call('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, admin, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'ci-predicts', namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'predictor' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'ci-script' }],
  });
  assert.equal(rb.status, 201, rb.text);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const g = await call('GET', `${ISVC}/sklearn-iris`, admin);
    if (/"type":"Ready","status":"True"/.test(g.text)) break;
    assert.ok(Date.now() < deadline, `sklearn-iris not Ready: ${g.text}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  await op?.close();
});

test("the seed's call with an oidc-provider access token bound to predictor: predict yes, apply no", async () => {
  const token = await op.token('ci-script');
  const p = await call('POST', '/v1/models/sklearn-iris:predict', token, V1_BODY, HOST);
  assert.equal(p.status, 200, p.text);
  assert.equal(p.text, '{"predictions":[1,1]}');
  const a = await call('POST', ISVC, token, isvc('mine', 'file:///nonexistent/inferd-op/model.joblib'));
  assert.equal(a.status, 403, a.text);
});

test('an unbound client of the same provider: 403; no token: 401 with WWW-Authenticate', async () => {
  const stranger = await op.token('stranger');
  assert.equal((await call('POST', '/v1/models/sklearn-iris:predict', stranger, V1_BODY, HOST)).status, 403);
  const none = await call('POST', '/v1/models/sklearn-iris:predict', undefined, V1_BODY, HOST);
  assert.equal(none.status, 401);
  assert.match(String(none.headers['www-authenticate']), /^Bearer realm="inferd"/);
  assert.equal(none.headers.location, undefined);
});
