// Route table semantics copied from KServe 0.12.1's Starlette app.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePath, route } from '../../src/server/router.js';

const ep = (method: string, path: string) => {
  const r = route(method, path);
  return r.kind === 'endpoint' ? r.endpoint : r;
};

test('V1: the GET route swallows ":predict"; POST picks predict/explain by the last colon', () => {
  assert.deepEqual(ep('GET', '/v1/models/m:predict'), { kind: 'v1.model', model: 'm:predict' });
  assert.deepEqual(ep('POST', '/v1/models/a:b:predict'), { kind: 'v1.predict', model: 'a:b' });
  assert.deepEqual(ep('POST', '/v1/models/m:explain'), { kind: 'v1.explain', model: 'm' });
  assert.deepEqual(ep('POST', '/v1/models/:predict'), { kind: 'methodNotAllowed', allow: 'GET' });
  assert.deepEqual(ep('POST', '/v1/models/m:foo'), { kind: 'methodNotAllowed', allow: 'GET' });
  assert.deepEqual(ep('GET', '/v1/models/a/b'), { kind: 'notFound' });
});

test('V2 routes, with and without versions', () => {
  assert.deepEqual(ep('GET', '/v2'), { kind: 'v2.server' });
  assert.deepEqual(ep('GET', '/v2/models/m'), { kind: 'v2.model', model: 'm' });
  assert.deepEqual(ep('GET', '/v2/models/m/versions/3'), { kind: 'v2.model', model: 'm', version: '3' });
  assert.deepEqual(ep('GET', '/v2/models/m/versions/3/ready'), { kind: 'v2.modelReady', model: 'm', version: '3' });
  assert.deepEqual(ep('POST', '/v2/models/m/versions/3/infer'), { kind: 'v2.infer', model: 'm', version: '3' });
  assert.deepEqual(ep('POST', '/v2/models/m/generate_stream'), { kind: 'v2.generate', model: 'm', stream: true });
  assert.deepEqual(ep('POST', '/v2/repository/models/m/load'), { kind: 'v2.load', model: 'm' });
  assert.deepEqual(ep('GET', '/v2/repository/models/m/load'), { kind: 'methodNotAllowed', allow: 'POST' });
  assert.deepEqual(ep('GET', '/v2/models//ready'), { kind: 'notFound' });
  assert.deepEqual(ep('GET', '/v2/models/m/explain'), { kind: 'notFound' });
});

test('redirect_slashes: a trailing-slash miss that matches without it is a redirect, whatever the method', () => {
  assert.deepEqual(route('GET', '/v2/'), { kind: 'redirect', path: '/v2' });
  assert.deepEqual(route('POST', '/v2/models/m/infer/'), { kind: 'redirect', path: '/v2/models/m/infer' });
  assert.deepEqual(route('POST', '/v1/models/'), { kind: 'redirect', path: '/v1/models' });
  assert.deepEqual(route('GET', '/'), { kind: 'endpoint', endpoint: { kind: 'live' } });
  assert.deepEqual(route('GET', '/x/'), { kind: 'notFound' });
});

test('paths are %-decoded before routing; bad escapes stay as they are', () => {
  assert.equal(decodePath('/v1/models/a%20b'), '/v1/models/a b');
  assert.equal(decodePath('/v1/models/a%zz'), '/v1/models/a%zz');
});
