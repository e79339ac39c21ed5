// OIDC on a real `inferd serve --auth --oidc-issuer URL --oidc-audience AUD`: JWTs from a loopback issuer
// (jose-signed; test/support/oidc-issuer.ts), roles from rbac.authorization.k8s.io/v1 RoleBindings applied
// through the control API. A user bound to predictor calls the model (REST and gRPC) and cannot apply; a
// group bound to view reads and cannot call; only admins write bindings; deleting a binding takes the role
// away at once; a bad JWT is a 401 with the reason.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { inferenceClient } from '../server/grpc-client.js';
import { LoopbackIssuer } from '../support/oidc-issuer.js';

const NS = 'team-a';
const ISVC = `/apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices`;
const RB = `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`;
const IRIS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
const HOST = { host: `sklearn-iris.${NS}.example.com` };
const V1_BODY = JSON.stringify({ instances: [IRIS.slice(0, 4), IRIS.slice(4)] });

let inferd: Inferd;
let issuer: LoopbackIssuer;
let admin = '';

async function call(method: string, path: string, token: string | undefined, body?: unknown, headers = {}) {
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

const binding = (name: string, role: string, subjects: { kind: string; name: string }[]) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name, namespace: NS },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: subjects.map((s) => ({ apiGroup: 'rbac.authorization.k8s.io', ...s })),
});

const isvc = (name: string, storageUri: string) => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, namespace: NS },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri } } },
});

before(async () => {
  issuer = await LoopbackIssuer.start();
  const stateDir = tempStateDir('inferd-oidc-');
  const r = await runCli(['token', 'create', '--state', stateDir, '-n', NS, '--role', 'admin', '--name', 'root']);
  assert.equal(r.code, 0, r.stderr);
  admin = r.stdout.trim().split(/\s+/).pop()!;
  inferd = await startInferd({
    stateDir,
    args: ['--auth', '--oidc-issuer', issuer.url, '--oidc-audience', 'inferd'],
    env: { INFERD_LOG_LEVEL: 'info' },
  });
  const created = await call(
    'POST',
    ISVC,
    admin,
    isvc('sklearn-iris', join(repoRoot, 'models', 'sklearn-iris', 'model.joblib')),
  );
  assert.equal(created.status, 201, created.text);
  for (const b of [
    binding('alice-predicts', 'predictor', [{ kind: 'User', name: 'alice' }]),
    binding('ml-views', 'view', [{ kind: 'Group', name: 'ml' }]),
    binding('editors-edit', 'edit', [{ kind: 'Group', name: 'editors' }]),
  ]) {
    const r = await call('POST', RB, admin, b);
    assert.equal(r.status, 201, r.text);
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await call('GET', `${ISVC}/sklearn-iris`, admin);
    if (/"type":"Ready","status":"True"/.test(r.text)) break;
    assert.ok(Date.now() < deadline, `sklearn-iris not Ready: ${r.text}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  await issuer?.close();
});

async function grpcInfer(token: string): Promise<string> {
  const c = inferenceClient(`127.0.0.1:${inferd.port}`, { 'grpc.default_authority': HOST.host });
  try {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const res = await c.ModelInfer(
      {
        model_name: 'sklearn-iris',
        inputs: [{ name: 'input-0', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } }],
      },
      md,
    );
    assert.deepEqual(res.outputs[0].contents.int64_contents, ['1', '1']);
    return 'OK';
  } catch (err) {
    return grpc.status[(err as grpc.ServiceError).code]!;
  } finally {
    c.close();
  }
}

test('a user bound to predictor: V1 and gRPC predict allowed; get and apply refused (403)', async () => {
  const alice = await issuer.sign({ sub: 'alice' });
  const p = await call('POST', '/v1/models/sklearn-iris:predict', alice, V1_BODY, HOST);
  assert.equal(p.status, 200, p.text);
  assert.equal(p.text, '{"predictions":[1,1]}');
  assert.equal(await grpcInfer(alice), 'OK');
  const g = await call('GET', `${ISVC}/sklearn-iris`, alice);
  assert.equal(g.status, 403, g.text);
  const a = await call('POST', ISVC, alice, isvc('other', 'file:///nonexistent/inferd-oidc/model.joblib'));
  assert.equal(a.status, 403, a.text);
  assert.match(a.text, /User \\"alice\\" cannot create resource \\"inferenceservices\\"/);
});

test('a group bound to view: get allowed, predict refused; no binding: nothing', async () => {
  const bob = await issuer.sign({ sub: 'bob', groups: ['ml'] });
  assert.equal((await call('GET', `${ISVC}/sklearn-iris`, bob)).status, 200);
  assert.equal((await call('POST', '/v1/models/sklearn-iris:predict', bob, V1_BODY, HOST)).status, 403);
  assert.equal(await grpcInfer(bob), 'PERMISSION_DENIED');
  const carol = await issuer.sign({ sub: 'carol', groups: ['other'] });
  assert.equal((await call('POST', '/v1/models/sklearn-iris:predict', carol, V1_BODY, HOST)).status, 403);
  assert.equal((await call('GET', `${ISVC}/sklearn-iris`, carol)).status, 403);
});

test('only admins write RoleBindings: an editor cannot bind itself admin', async () => {
  const dave = await issuer.sign({ sub: 'dave', groups: ['editors'] });
  const r = await call('POST', RB, dave, binding('dave-admin', 'admin', [{ kind: 'User', name: 'dave' }]));
  assert.equal(r.status, 403, r.text);
  assert.equal((await call('GET', RB, dave)).status, 403);
  const bad = await call('POST', RB, admin, binding('bad', 'cluster-admin', [{ kind: 'User', name: 'x' }]));
  assert.equal(bad.status, 422, bad.text);
  assert.match(bad.text, /roleRef\.name/);
});

test('a bad JWT is a 401 with WWW-Authenticate naming the reason; no redirect', async () => {
  const expired = await issuer.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 600 });
  const r = await call('POST', '/v1/models/sklearn-iris:predict', expired, V1_BODY, HOST);
  assert.equal(r.status, 401, r.text);
  assert.match(String(r.headers['www-authenticate']), /error="invalid_token", error_description="[^"]*expired/);
  assert.match(r.text, /^\{/);
  const wrongAud = await issuer.sign({ sub: 'alice' }, { audience: 'someone-else' });
  const w = await call('GET', `${ISVC}/sklearn-iris`, wrongAud);
  assert.equal(w.status, 401, w.text);
  assert.match(w.text, /audience/);
});

test('deleting a binding takes the role away on the next request', async () => {
  const alice = await issuer.sign({ sub: 'alice' });
  assert.equal((await call('POST', '/v1/models/sklearn-iris:predict', alice, V1_BODY, HOST)).status, 200);
  const d = await call('DELETE', `${RB}/alice-predicts`, admin);
  assert.equal(d.status, 200, d.text);
  assert.equal((await call('POST', '/v1/models/sklearn-iris:predict', alice, V1_BODY, HOST)).status, 403);
});

test('no JWT in the server output', () => {
  assert.doesNotMatch(inferd.output(), /eyJ[A-Za-z0-9_-]{20,}\./);
});
