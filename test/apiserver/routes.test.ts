import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KINDS } from '../../src/api/types.js';
import { groupVersionPrefix, parseApiPath, rbacVerb } from '../../src/apiserver/routes.js';

test('every kind in KINDS is served at its Kubernetes paths', () => {
  for (const k of KINDS) {
    const prefix = groupVersionPrefix(k.apiVersion);
    if (k.namespaced) {
      assert.deepEqual(parseApiPath(`${prefix}/namespaces/ns1/${k.plural}`), {
        type: 'collection',
        kind: k,
        namespace: 'ns1',
      });
      assert.deepEqual(parseApiPath(`${prefix}/namespaces/ns1/${k.plural}/x`), {
        type: 'object',
        kind: k,
        namespace: 'ns1',
        name: 'x',
      });
      assert.deepEqual(parseApiPath(`${prefix}/${k.plural}`), { type: 'collection', kind: k });
      assert.equal(parseApiPath(`${prefix}/${k.plural}/x`)?.type, 'not-found');
    } else {
      assert.deepEqual(parseApiPath(`${prefix}/${k.plural}`), { type: 'collection', kind: k });
      assert.deepEqual(parseApiPath(`${prefix}/${k.plural}/x`), {
        type: 'object',
        kind: k,
        namespace: undefined,
        name: 'x',
      });
    }
  }
});

test('the status subresource exists only for kinds with status', () => {
  const isvc = parseApiPath('/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/iris/status');
  assert.equal(isvc?.type === 'object' && isvc.subresource, 'status');
  const ns = parseApiPath('/api/v1/namespaces/team-a/status');
  assert.ok(
    ns?.type === 'object' && ns.kind.kind === 'Namespace' && ns.name === 'team-a' && ns.subresource === 'status',
  );
  assert.equal(parseApiPath('/api/v1/namespaces/default/secrets/s/status'), undefined);
});

test('unknown subresources are left to other handlers (the logs endpoint)', () => {
  assert.equal(
    parseApiPath('/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/iris/log'),
    undefined,
  );
});

test('paths outside /api, /apis, /version, /healthz are not ours', () => {
  for (const p of ['/', '/v1/models/iris:predict', '/v2/models/iris/infer', '/apix', '/metrics']) {
    assert.equal(parseApiPath(p), undefined, p);
  }
  assert.deepEqual(parseApiPath('/healthz'), { type: 'healthz' });
  assert.deepEqual(parseApiPath('/version'), { type: 'version' });
  assert.deepEqual(parseApiPath('/apis/serving.kserve.io'), { type: 'discovery', path: ['apis', 'serving.kserve.io'] });
});

test('unknown resource types and group-versions are NotFound routes naming them', () => {
  const r = parseApiPath('/apis/serving.kserve.io/v1beta1/namespaces/default/pods');
  assert.deepEqual(r, {
    type: 'not-found',
    message: 'the server doesn\'t have a resource type "pods" in serving.kserve.io/v1beta1',
    resource: 'pods',
    group: 'serving.kserve.io',
  });
  assert.equal(parseApiPath('/apis/serving.kserve.io/v9/inferenceservices')?.type, 'not-found');
  assert.equal(parseApiPath('/api/v1/pods')?.type, 'not-found');
  assert.equal(parseApiPath('/apis/serving.kserve.io/v1alpha1/namespaces/x/clusterservingruntimes')?.type, 'not-found');
});

test('path segments are URL-decoded', () => {
  const r = parseApiPath('/api/v1/namespaces/default/secrets/a%2Eb');
  assert.ok(r?.type === 'object' && r.name === 'a.b');
});

test('RBAC verbs: HEAD reads like GET, watch by query, collections list and deletecollection, others are writes', () => {
  const q = (s = '') => new URLSearchParams(s);
  const cases: [string | undefined, boolean, string, string][] = [
    ['GET', false, '', 'get'],
    ['HEAD', false, '', 'get'],
    ['GET', true, '', 'list'],
    ['HEAD', true, '', 'list'],
    ['GET', true, 'watch=true', 'watch'],
    ['GET', true, 'watch=1', 'watch'],
    ['GET', true, 'watch=false', 'list'],
    ['HEAD', false, 'watch=1', 'watch'],
    ['POST', true, '', 'create'],
    ['PUT', false, '', 'update'],
    ['PATCH', false, '', 'patch'],
    ['DELETE', false, '', 'delete'],
    ['DELETE', true, '', 'deletecollection'],
    ['OPTIONS', false, '', 'update'],
    [undefined, false, '', 'update'],
  ];
  for (const [method, collection, query, verb] of cases) {
    assert.equal(
      rbacVerb(method, collection, q(query)),
      verb,
      `${method} ${collection ? 'collection' : 'object'} ?${query}`,
    );
  }
});
