import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.js';
import { InferdError } from '../../src/errors.js';
import { call, startApi } from './harness.js';

const ISVCS = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const SECRETS = '/api/v1/namespaces/default/secrets';

const isvc = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, ...extra },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://bucket/iris' } } },
});

test('GET /healthz answers ok and /version the package version', async (t) => {
  const h = await startApi(t);
  const health = await call(h, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.equal(health.text, 'ok');
  const version = await call(h, 'GET', '/version');
  assert.deepEqual(version.json, { gitVersion: 'v0.1.0', platform: 'inferd' });
  assert.equal(version.headers.get('content-type'), 'application/json');
});

test('paths outside the control API are left to the next handler', async (t) => {
  const h = await startApi(t);
  for (const p of ['/v1/models/iris:predict', '/', `${ISVCS}/iris/log`]) {
    const r = await call(h, 'GET', p);
    assert.equal(r.text, 'not the control API', p);
  }
});

test('create, get, list, replace and delete an InferenceService', async (t) => {
  const h = await startApi(t);
  const created = await call(h, 'POST', ISVCS, isvc('iris'));
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('content-type'), 'application/json');
  assert.equal(created.json.metadata.namespace, 'default');
  assert.equal(created.json.metadata.generation, 1);
  assert.match(created.json.metadata.uid, /^[0-9a-f-]{36}$/);

  const got = await call(h, 'GET', `${ISVCS}/iris`);
  assert.deepEqual(got.json, created.json);

  const list = await call(h, 'GET', ISVCS);
  assert.equal(list.json.kind, 'InferenceServiceList');
  assert.equal(list.json.apiVersion, 'serving.kserve.io/v1beta1');
  assert.match(list.json.metadata.resourceVersion, /^\d+$/);
  assert.deepEqual(list.json.items, [created.json]);

  const changed = { ...created.json, spec: { predictor: { ...created.json.spec.predictor, minReplicas: 0 } } };
  const replaced = await call(h, 'PUT', `${ISVCS}/iris`, changed);
  assert.equal(replaced.status, 200);
  assert.equal(replaced.json.metadata.generation, 2);

  const deleted = await call(h, 'DELETE', `${ISVCS}/iris`);
  assert.equal(deleted.status, 200);
  assert.equal(deleted.json.metadata.name, 'iris');
  assert.equal(deleted.json.spec.predictor.minReplicas, 0);
  assert.equal((await call(h, 'GET', `${ISVCS}/iris`)).status, 404);
});

test('all-namespaces lists span namespaces; labelSelector and fieldSelector filter', async (t) => {
  const h = await startApi(t);
  await call(h, 'POST', ISVCS, isvc('a', { labels: { team: 'x' } }));
  await call(h, 'POST', ISVCS.replace('/default/', '/kserve-test/'), isvc('b', { labels: { team: 'x' } }));
  await call(h, 'POST', ISVCS, isvc('c'));
  const names = (r: { json: { items: Resource[] } }) =>
    r.json.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  const all = await call(h, 'GET', '/apis/serving.kserve.io/v1beta1/inferenceservices');
  assert.deepEqual(names(all), ['default/a', 'default/c', 'kserve-test/b']);
  const labelled = await call(h, 'GET', '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=team%3Dx');
  assert.deepEqual(names(labelled), ['default/a', 'kserve-test/b']);
  const byName = await call(h, 'GET', `${ISVCS}?fieldSelector=metadata.name%3Dc`);
  assert.deepEqual(names(byName), ['default/c']);
  const bad = await call(h, 'GET', `${ISVCS}?labelSelector=team%20in%20(x)`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.reason, 'BadRequest');
});

test('NotFound, AlreadyExists and Conflict are Kubernetes Status bodies', async (t) => {
  const h = await startApi(t);
  const missing = await call(h, 'GET', `${ISVCS}/x`);
  assert.equal(missing.status, 404);
  assert.equal(
    missing.text,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"inferenceservices.serving.kserve.io \\"x\\" not found","reason":"NotFound","details":{"name":"x","group":"serving.kserve.io","kind":"inferenceservices"},"code":404}',
  );
  const first = await call(h, 'POST', ISVCS, isvc('x'));
  const dup = await call(h, 'POST', ISVCS, isvc('x'));
  assert.equal(dup.status, 409);
  assert.equal(dup.json.reason, 'AlreadyExists');
  assert.equal(dup.json.message, 'inferenceservices.serving.kserve.io "x" already exists');
  await call(h, 'PATCH', `${ISVCS}/x`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
  const stale = await call(h, 'PUT', `${ISVCS}/x`, first.json);
  assert.equal(stale.status, 409);
  assert.equal(stale.json.reason, 'Conflict');
  assert.equal(
    stale.json.message,
    'Operation cannot be fulfilled on inferenceservices.serving.kserve.io "x": the object has been modified; please apply your changes to the latest version and try again',
  );
  assert.deepEqual(stale.json.details, { name: 'x', group: 'serving.kserve.io', kind: 'inferenceservices' });
  const secret = await call(h, 'GET', `${SECRETS}/nope`);
  assert.equal(secret.json.message, 'secrets "nope" not found');
  assert.deepEqual(secret.json.details, { name: 'nope', group: '', kind: 'secrets' });
});

test('unknown resource types are 404 naming the type; wrong methods are 405 with Allow', async (t) => {
  const h = await startApi(t);
  const pods = await call(h, 'GET', '/api/v1/namespaces/default/pods');
  assert.equal(pods.status, 404);
  assert.equal(pods.json.reason, 'NotFound');
  assert.match(pods.json.message, /"pods"/);
  const post = await call(h, 'POST', `${ISVCS}/x`, isvc('x'));
  assert.equal(post.status, 405);
  assert.equal(post.json.reason, 'MethodNotAllowed');
  assert.equal(post.headers.get('allow'), 'GET, PUT, PATCH, DELETE');
  const clusterPost = await call(h, 'POST', '/apis/serving.kserve.io/v1beta1/inferenceservices', isvc('x'));
  assert.equal(clusterPost.status, 405);
});

test('PUT and POST refuse bodies addressed elsewhere', async (t) => {
  const h = await startApi(t);
  const otherNs = await call(h, 'POST', ISVCS, isvc('x', { namespace: 'kserve-test' }));
  assert.equal(otherNs.status, 400);
  assert.equal(otherNs.json.reason, 'BadRequest');
  assert.match(otherNs.json.message, /namespace of the provided object/);
  const wrongKind = await call(h, 'POST', SECRETS, isvc('x'));
  assert.equal(wrongKind.status, 400);
  await call(h, 'POST', ISVCS, isvc('x'));
  const renamed = await call(h, 'PUT', `${ISVCS}/x`, isvc('y'));
  assert.equal(renamed.status, 400);
  assert.match(renamed.json.message, /does not match the name on the URL/);
  const putMissing = await call(h, 'PUT', `${ISVCS}/zz`, isvc('zz'));
  assert.equal(putMissing.status, 404);
});

test('unparsable bodies are 400 BadRequest with line:column', async (t) => {
  const h = await startApi(t);
  const json = await call(h, 'POST', ISVCS, '{\n  "metadata": {"name": "x"},\n}');
  assert.equal(json.status, 400);
  assert.equal(json.json.reason, 'BadRequest');
  assert.match(json.json.message, /at line 3:1/);
  const yaml = await call(h, 'POST', ISVCS, 'metadata:\n  name: x\n   bad: [\n', 'application/yaml');
  assert.equal(yaml.status, 400);
  assert.match(yaml.json.message, /^error parsing YAML body at line \d+:\d+/);
  const invalidName = await call(h, 'POST', ISVCS, isvc('Bad_Name'));
  assert.equal(invalidName.status, 422);
  assert.equal(invalidName.json.details.causes[0].field, 'metadata.name');
});

test('YAML bodies create objects; Secrets come back with their data', async (t) => {
  const h = await startApi(t);
  const yaml = [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '  name: s3creds',
    '  annotations:',
    '    serving.kserve.io/s3-endpoint: minio:9000',
    '    serving.kserve.io/s3-usehttps: "0"',
    'type: Opaque',
    'stringData:',
    '  AWS_ACCESS_KEY_ID: minio',
    '',
  ].join('\n');
  const created = await call(h, 'POST', SECRETS, yaml, 'application/yaml');
  assert.equal(created.status, 201);
  assert.deepEqual(created.json.data, { AWS_ACCESS_KEY_ID: Buffer.from('minio').toString('base64') });
  assert.equal(created.json.metadata.annotations['serving.kserve.io/s3-usehttps'], '0');
  const sniffed = await call(
    h,
    'POST',
    '/api/v1/namespaces/default/serviceaccounts',
    'kind: ServiceAccount\nmetadata:\n  name: sa\nsecrets:\n- name: s3creds\n',
    'text/plain',
  );
  // text/plain is what a cross-site page can send without a preflight (CSRF): refused, docs/security.md.
  assert.equal(sniffed.status, 415);
});

test('merge patch, strategic merge patch and JSON patch update the object', async (t) => {
  const h = await startApi(t);
  await call(h, 'POST', ISVCS, isvc('x', { labels: { keep: '1', drop: '1' } }));
  const merged = await call(
    h,
    'PATCH',
    `${ISVCS}/x`,
    { metadata: { labels: { drop: null, add: '1' } } },
    'application/merge-patch+json',
  );
  assert.equal(merged.status, 200);
  assert.deepEqual(merged.json.metadata.labels, { keep: '1', add: '1' });
  assert.equal(merged.json.metadata.generation, 1);
  const strategic = await call(
    h,
    'PATCH',
    `${ISVCS}/x`,
    { spec: { predictor: { canaryTrafficPercent: 10 } } },
    'application/strategic-merge-patch+json',
  );
  assert.equal(strategic.json.spec.predictor.canaryTrafficPercent, 10);
  assert.equal(strategic.json.spec.predictor.model.storageUri, 'gs://bucket/iris');
  assert.equal(strategic.json.metadata.generation, 2);
  const jsonPatch = await call(
    h,
    'PATCH',
    `${ISVCS}/x`,
    [{ op: 'remove', path: '/spec/predictor/canaryTrafficPercent' }],
    'application/json-patch+json',
  );
  assert.equal(jsonPatch.json.spec.predictor.canaryTrafficPercent, undefined);
  assert.equal(jsonPatch.json.metadata.generation, 3);
  const failed = await call(
    h,
    'PATCH',
    `${ISVCS}/x`,
    [{ op: 'test', path: '/spec/predictor/x', value: 1 }],
    'application/json-patch+json',
  );
  assert.equal(failed.status, 422);
  const stale = await call(
    h,
    'PATCH',
    `${ISVCS}/x`,
    { metadata: { resourceVersion: '1' } },
    'application/merge-patch+json',
  );
  assert.equal(stale.status, 409);
  const wrongType = await call(h, 'PATCH', `${ISVCS}/x`, { metadata: {} }, 'application/json');
  assert.equal(wrongType.status, 415);
  assert.equal(wrongType.json.reason, 'UnsupportedMediaType');
  const missing = await call(h, 'PATCH', `${ISVCS}/nope`, { metadata: {} }, 'application/merge-patch+json');
  assert.equal(missing.status, 404);
});

test('apply patch creates when absent and merges when present', async (t) => {
  const h = await startApi(t);
  const yaml =
    'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: x\nspec:\n  predictor:\n    minReplicas: 1\n';
  const created = await call(h, 'PATCH', `${ISVCS}/x?fieldManager=inferd`, yaml, 'application/apply-patch+yaml');
  assert.equal(created.status, 201);
  const updated = await call(
    h,
    'PATCH',
    `${ISVCS}/x?fieldManager=inferd`,
    yaml.replace('minReplicas: 1', 'minReplicas: 2'),
    'application/apply-patch+yaml',
  );
  assert.equal(updated.status, 200);
  assert.equal(updated.json.spec.predictor.minReplicas, 2);
  assert.equal(updated.json.metadata.generation, 2);
});

test('the status subresource changes only status', async (t) => {
  const h = await startApi(t);
  const created = await call(h, 'POST', ISVCS, isvc('x'));
  const put = await call(h, 'PUT', `${ISVCS}/x/status`, {
    ...created.json,
    spec: { predictor: {} },
    status: { url: 'http://x.default.example.com' },
  });
  assert.equal(put.status, 200);
  assert.equal(put.json.status.url, 'http://x.default.example.com');
  assert.deepEqual(put.json.spec, created.json.spec);
  assert.equal(put.json.metadata.generation, 1);
  const patched = await call(
    h,
    'PATCH',
    `${ISVCS}/x/status`,
    { status: { observedGeneration: 1 } },
    'application/merge-patch+json',
  );
  assert.deepEqual(patched.json.status, { url: 'http://x.default.example.com', observedGeneration: 1 });
  const got = await call(h, 'GET', `${ISVCS}/x/status`);
  assert.deepEqual(got.json, patched.json);
  // A replace of the object keeps the status.
  const replaced = await call(h, 'PUT', `${ISVCS}/x`, { ...patched.json, status: { url: 'ignored' } });
  assert.deepEqual(replaced.json.status, patched.json.status);
  const staleStatus = await call(h, 'PUT', `${ISVCS}/x/status`, created.json);
  assert.equal(staleStatus.status, 409);
  const secretStatus = await call(h, 'GET', `${SECRETS}/s/status`);
  assert.equal(secretStatus.text, 'not the control API');
});

test('admit runs on create and replace (not on status writes); its errors are 422 with causes', async (t) => {
  const calls: string[] = [];
  const h = await startApi(t, {
    admit: (obj, op, old) => {
      calls.push(`${op} ${obj.metadata.name} old=${old ? old.metadata.resourceVersion : '-'}`);
      const spec = obj.spec as { predictor?: { model?: { storageUri?: string } } } | undefined;
      if (obj.kind === 'InferenceService' && !spec?.predictor?.model?.storageUri) {
        throw new InferdError('INVALID_MANIFEST', 'spec.predictor.model.storageUri: Required value', {
          path: 'spec.predictor.model.storageUri',
        });
      }
      return { ...obj, metadata: { ...obj.metadata, annotations: { defaulted: op } } };
    },
  });
  const created = await call(h, 'POST', ISVCS, isvc('x'));
  assert.equal(created.json.metadata.annotations.defaulted, 'CREATE');
  const bad = await call(h, 'POST', ISVCS, { ...isvc('y'), spec: { predictor: {} } });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.json, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'InferenceService.serving.kserve.io "y" is invalid: spec.predictor.model.storageUri: Required value',
    reason: 'Invalid',
    details: {
      name: 'y',
      group: 'serving.kserve.io',
      kind: 'InferenceService',
      causes: [{ reason: 'FieldValueInvalid', message: 'Required value', field: 'spec.predictor.model.storageUri' }],
    },
    code: 422,
  });
  assert.equal((await call(h, 'GET', `${ISVCS}/y`)).status, 404);
  const patched = await call(
    h,
    'PATCH',
    `${ISVCS}/x`,
    { metadata: { labels: { a: 'b' } } },
    'application/merge-patch+json',
  );
  assert.equal(patched.json.metadata.annotations.defaulted, 'UPDATE');
  await call(h, 'PATCH', `${ISVCS}/x/status`, { status: { url: 'u' } }, 'application/merge-patch+json');
  assert.deepEqual(calls, [
    'CREATE x old=-',
    'CREATE y old=-',
    `UPDATE x old=${created.json.metadata.resourceVersion}`,
  ]);
});

test('bodies over the limit are 413', async (t) => {
  const h = await startApi(t, { maxBodyBytes: 1024 });
  const big = isvc('x', { annotations: { blob: 'x'.repeat(2048) } });
  const r = await call(h, 'POST', ISVCS, big);
  assert.equal(r.status, 413);
  assert.equal(r.json.reason, 'RequestEntityTooLarge');
  assert.equal((await call(h, 'GET', `${ISVCS}/x`)).status, 404);
});

test('namespaces are created on first use, listed, and cascade on delete; default is protected', async (t) => {
  const h = await startApi(t);
  await call(h, 'POST', ISVCS.replace('/default/', '/team-a/'), isvc('x'));
  const nss = await call(h, 'GET', '/api/v1/namespaces');
  assert.equal(nss.json.kind, 'NamespaceList');
  assert.deepEqual(
    nss.json.items.map((n: Resource) => n.metadata.name),
    ['default', 'kserve-test', 'team-a'],
  );
  const nsStatus = await call(h, 'GET', '/api/v1/namespaces/team-a/status');
  assert.deepEqual(nsStatus.json.status, { phase: 'Active' });
  const del = await call(h, 'DELETE', '/api/v1/namespaces/team-a');
  assert.equal(del.status, 200);
  assert.equal((await call(h, 'GET', `${ISVCS.replace('/default/', '/team-a/')}/x`)).status, 404);
  const forbidden = await call(h, 'DELETE', '/api/v1/namespaces/default');
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.json.reason, 'Forbidden');
});

test('cluster-scoped ClusterServingRuntimes are served without a namespace', async (t) => {
  const h = await startApi(t);
  const path = '/apis/serving.kserve.io/v1alpha1/clusterservingruntimes';
  const body = {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    metadata: { name: 'kserve-sklearnserver' },
    spec: { supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true }], containers: [] },
  };
  assert.equal((await call(h, 'POST', path, body)).status, 201);
  const got = await call(h, 'GET', `${path}/kserve-sklearnserver`);
  assert.equal(got.json.metadata.namespace, undefined);
  const withNs = await call(h, 'POST', path, { ...body, metadata: { name: 'b', namespace: 'default' } });
  assert.equal(withNs.status, 422);
});

test('dryRun=All validates without storing', async (t) => {
  const h = await startApi(t);
  const dry = await call(h, 'POST', `${ISVCS}?dryRun=All`, isvc('x'));
  assert.equal(dry.status, 201);
  assert.equal((await call(h, 'GET', `${ISVCS}/x`)).status, 404);
});

test('DELETE on a collection deletes the selected objects', async (t) => {
  const h = await startApi(t);
  await call(h, 'POST', ISVCS, isvc('a', { labels: { gone: 'yes' } }));
  await call(h, 'POST', ISVCS, isvc('b'));
  const r = await call(h, 'DELETE', `${ISVCS}?labelSelector=gone%3Dyes`);
  assert.equal(r.status, 200);
  assert.deepEqual(
    r.json.items.map((o: Resource) => o.metadata.name),
    ['a'],
  );
  const left = await call(h, 'GET', ISVCS);
  assert.deepEqual(
    left.json.items.map((o: Resource) => o.metadata.name),
    ['b'],
  );
});

test('discovery lists the served groups and resources', async (t) => {
  const h = await startApi(t);
  const groups = await call(h, 'GET', '/apis');
  assert.equal(groups.json.kind, 'APIGroupList');
  assert.equal(groups.json.groups[0].name, 'serving.kserve.io');
  assert.equal(groups.json.groups[0].preferredVersion.version, 'v1beta1');
  const core = await call(h, 'GET', '/api/v1');
  const names = core.json.resources.map((r: { name: string }) => r.name);
  assert.ok(names.includes('secrets') && names.includes('namespaces/status'));
  const isvcs = await call(h, 'GET', '/apis/serving.kserve.io/v1beta1');
  assert.deepEqual(isvcs.json.resources[0].shortNames, ['isvc']);
  assert.equal((await call(h, 'GET', '/apis/nope.io')).status, 404);
});
