import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApiV2Document, openApiV3Document, openApiV3Root } from '../../src/apiserver/openapi.js';
import { call, startApi } from './harness.js';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are inspected freely
type Doc = any;

test('/openapi/v3 lists every served group-version with a hashed serverRelativeURL', () => {
  const root = openApiV3Root('0.1.0') as Doc;
  assert.deepEqual(Object.keys(root.paths).sort(), [
    'api/v1',
    'apis/rbac.authorization.k8s.io/v1',
    'apis/serving.kserve.io/v1alpha1',
    'apis/serving.kserve.io/v1beta1',
  ]);
  assert.match(
    root.paths['apis/serving.kserve.io/v1beta1'].serverRelativeURL,
    /^\/openapi\/v3\/apis\/serving\.kserve\.io\/v1beta1\?hash=[0-9A-F]{128}$/,
  );
});

test('the InferenceService PATCH declares fieldValidation (server-side validation) and no strategic merge patch', () => {
  const doc = openApiV3Document('apis/serving.kserve.io/v1beta1', '0.1.0') as Doc;
  const item = doc.paths['/apis/serving.kserve.io/v1beta1/namespaces/{namespace}/inferenceservices/{name}'];
  assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], {
    group: 'serving.kserve.io',
    kind: 'InferenceService',
    version: 'v1beta1',
  });
  assert.ok(item.patch.parameters.some((p: Doc) => p.name === 'fieldValidation' && p.in === 'query'));
  // kubectl apply picks the patch type from these: a CRD gets a JSON merge patch.
  assert.deepEqual(Object.keys(item.patch.requestBody.content).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
  ]);
  const schema = doc.components.schemas['io.kserve.serving.v1beta1.InferenceService'];
  assert.deepEqual(schema['x-kubernetes-group-version-kind'], [
    { group: 'serving.kserve.io', kind: 'InferenceService', version: 'v1beta1' },
  ]);
  assert.equal(schema.properties.spec.properties.predictor.properties.model.properties.storageUri.type, 'string');
  assert.ok(schema.properties.spec.properties.predictor.properties.sklearn, 'old-style keys are in the schema');
});

test('core kinds accept strategic merge patch; cluster-scoped kinds have no namespace in their paths', () => {
  const doc = openApiV3Document('api/v1', '0.1.0') as Doc;
  const ns = doc.paths['/api/v1/namespaces/{name}'];
  assert.ok(ns.patch.requestBody.content['application/strategic-merge-patch+json']);
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/secrets/{name}']);
  assert.equal(openApiV3Document('apis/nope/v1', '0.1.0'), undefined);
});

test('/openapi/v2 is Swagger 2.0 with #/definitions references', () => {
  const doc = openApiV2Document('0.1.0') as Doc;
  assert.equal(doc.swagger, '2.0');
  assert.ok(doc.definitions['io.kserve.serving.v1beta1.InferenceService']);
  assert.ok(doc.definitions['io.k8s.api.core.v1.Secret']);
  assert.doesNotMatch(JSON.stringify(doc), /#\/components\/schemas/);
  const patch = doc.paths['/apis/serving.kserve.io/v1beta1/namespaces/{namespace}/inferenceservices/{name}'].patch;
  assert.ok(patch.consumes.includes('application/merge-patch+json'));
  assert.ok(patch.parameters.some((p: Doc) => p.in === 'body'));
});

test('served over HTTP: v3 root and group-version documents, v2 as JSON or (empty) protobuf, 406 for v3 protobuf', async (t) => {
  const h = await startApi(t);
  const root = await call(h, 'GET', '/openapi/v3');
  assert.equal(root.status, 200);
  const gv = await call(h, 'GET', root.json.paths['apis/serving.kserve.io/v1beta1'].serverRelativeURL);
  assert.equal(gv.status, 200);
  assert.equal(gv.json.openapi, '3.0.0');
  assert.equal((await call(h, 'GET', '/openapi/v3/apis/serving.kserve.io/v9')).status, 404);
  assert.equal((await call(h, 'GET', '/openapi/v2')).json.swagger, '2.0');
  // kubectl asks for v2 in protobuf only: a Swagger 2.0 document with no definitions (validation is inferd's).
  const pb = await fetch(`${h.base}/openapi/v2`, {
    headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(pb.status, 200);
  assert.equal(pb.headers.get('content-type'), 'application/octet-stream');
  assert.deepEqual([...new Uint8Array(await pb.arrayBuffer())], [0x0a, 0x03, ...Buffer.from('2.0')]);
  const v3pb = await fetch(`${h.base}/openapi/v3/api/v1`, {
    headers: { accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(v3pb.status, 406);
  assert.equal(((await v3pb.json()) as { reason: string }).reason, 'NotAcceptable');
});
