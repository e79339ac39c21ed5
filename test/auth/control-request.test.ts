// Control-API requests as authorization actions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyControlRequest } from '../../src/auth/control-request.js';

const c = (method: string, path: string, query = '') =>
  classifyControlRequest(method, path, new URLSearchParams(query));
const ISVC = '/apis/serving.kserve.io/v1beta1';

test('verbs, resources and namespaces as Kubernetes names them', () => {
  const cases: [string, string, string, unknown][] = [
    [
      'GET',
      `${ISVC}/namespaces/a/inferenceservices`,
      '',
      { verb: 'list', resource: 'inferenceservices', namespace: 'a' },
    ],
    [
      'GET',
      `${ISVC}/namespaces/a/inferenceservices`,
      'watch=true',
      { verb: 'watch', resource: 'inferenceservices', namespace: 'a' },
    ],
    [
      'GET',
      `${ISVC}/namespaces/a/inferenceservices/x`,
      '',
      { verb: 'get', resource: 'inferenceservices', namespace: 'a' },
    ],
    [
      'POST',
      `${ISVC}/namespaces/a/inferenceservices`,
      '',
      { verb: 'create', resource: 'inferenceservices', namespace: 'a' },
    ],
    [
      'PUT',
      `${ISVC}/namespaces/a/inferenceservices/x/status`,
      '',
      { verb: 'update', resource: 'inferenceservices/status', namespace: 'a' },
    ],
    [
      'PATCH',
      `${ISVC}/namespaces/a/inferenceservices/x`,
      '',
      { verb: 'patch', resource: 'inferenceservices', namespace: 'a' },
    ],
    [
      'DELETE',
      `${ISVC}/namespaces/a/inferenceservices/x`,
      '',
      { verb: 'delete', resource: 'inferenceservices', namespace: 'a' },
    ],
    [
      'DELETE',
      `${ISVC}/namespaces/a/inferenceservices`,
      '',
      { verb: 'deletecollection', resource: 'inferenceservices', namespace: 'a' },
    ],
    ['GET', `${ISVC}/inferenceservices`, '', { verb: 'list', resource: 'inferenceservices', namespace: undefined }],
    ['GET', '/api/v1/namespaces/a/secrets/s', '', { verb: 'get', resource: 'secrets', namespace: 'a' }],
    ['GET', '/api/v1/namespaces/a', '', { verb: 'get', resource: 'namespaces', namespace: 'a' }],
    ['DELETE', '/api/v1/namespaces/a', '', { verb: 'delete', resource: 'namespaces', namespace: undefined }],
    [
      'GET',
      `${ISVC}/namespaces/a/inferenceservices/x/log`,
      'follow=true',
      { verb: 'get', resource: 'inferenceservices/log', namespace: 'a' },
    ],
    ['POST', '/apis/auth.inferd.dev/v1/tokens', '', { verb: 'create', resource: 'tokens' }],
    ['DELETE', '/apis/auth.inferd.dev/v1/tokens/t1', '', { verb: 'delete', resource: 'tokens' }],
  ];
  for (const [method, path, query, action] of cases) {
    assert.deepEqual(c(method, path, query), { type: 'action', action }, `${method} ${path}?${query}`);
  }
});

test('probes are open, discovery needs any identity, model routes are not the control API', () => {
  assert.deepEqual(c('GET', '/healthz'), { type: 'open' });
  assert.deepEqual(c('GET', '/readyz'), { type: 'open' });
  for (const p of ['/api', '/apis', '/version', '/openapi/v2', `${ISVC}`, '/apis/nope.example/v1/things']) {
    assert.deepEqual(c('GET', p), { type: 'authenticated' }, p);
  }
  assert.equal(c('POST', '/v1/models/x:predict'), undefined);
  assert.equal(c('GET', '/v2/health/ready'), undefined);
});
