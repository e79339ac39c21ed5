import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeProtobufBody } from '../../src/apiserver/protobuf-body.js';
import { isInferdError } from '../../src/errors.js';
import { fixturesDir } from '../helpers/paths.js';
import { call, startApi } from './harness.js';

const fixture = (name: string) => readFileSync(join(fixturesDir, 'kubectl-protobuf', name));
const PB = 'application/vnd.kubernetes.protobuf';

test('decodes the Namespace kubectl create namespace sends', () => {
  assert.deepEqual(decodeProtobufBody(fixture('namespace-team-x.pb')), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-x' },
  });
});

test('decodes a Secret (data as base64, type) and a ServiceAccount (namespace)', () => {
  assert.deepEqual(decodeProtobufBody(fixture('secret-s1.pb')), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's1' },
    data: { a: Buffer.from('b').toString('base64') },
    type: 'Opaque',
  });
  assert.deepEqual(decodeProtobufBody(fixture('serviceaccount-sa1.pb')), {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'sa1', namespace: 'team-x' },
  });
});

test('BAD CALL - no envelope is BadRequest; a kind it does not know is 415', () => {
  assert.throws(
    () => decodeProtobufBody(Buffer.from('{"kind":"Namespace"}')),
    (err) => isInferdError(err) && err.code === 'INVALID_INPUT' && /k8s protobuf envelope/.test(err.message),
  );
  const pod = Buffer.concat([
    Buffer.from('k8s\0'),
    Buffer.from([0x0a, 0x09, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x03, 0x50, 0x6f, 0x64]), // TypeMeta v1 Pod
  ]);
  assert.throws(
    () => decodeProtobufBody(pod),
    (err) =>
      isInferdError(err) && err.code === 'UNSUPPORTED_MEDIA_TYPE' && /send Pod as application\/json/.test(err.message),
  );
  assert.throws(
    () => decodeProtobufBody(Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x20, 0x01])])),
    (err) => isInferdError(err) && err.code === 'INVALID_INPUT',
  );
});

const post = (base: string, path: string, body: Buffer) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': PB, accept: `${PB},application/json` },
    body,
    signal: AbortSignal.timeout(10_000),
  });

test('POST of protobuf bodies creates the objects (kubectl create namespace / secret), answered in JSON', async (t) => {
  const h = await startApi(t);
  const ns = await post(
    h.base,
    '/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict',
    fixture('namespace-team-x.pb'),
  );
  assert.equal(ns.status, 201, await ns.clone().text());
  assert.match(ns.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(((await ns.json()) as { metadata: { name: string } }).metadata.name, 'team-x');
  assert.equal((await call(h, 'GET', '/api/v1/namespaces/team-x')).status, 200);

  const res = await post(h.base, '/api/v1/namespaces/default/secrets', fixture('secret-s1.pb'));
  assert.equal(res.status, 201, await res.clone().text());
  const secret = (await res.json()) as { metadata: { name: string; namespace: string }; data: Record<string, string> };
  assert.equal(secret.metadata.name, 's1');
  assert.equal(secret.metadata.namespace, 'default');
  assert.equal(Buffer.from(secret.data['a']!, 'base64').toString(), 'b');
});
