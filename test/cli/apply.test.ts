import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { captureIo, FakeControlApi } from './fake-control-api.js';

let api: FakeControlApi;
before(async () => {
  api = await FakeControlApi.start();
});
after(() => api.close());

async function cli(argv: string[], stdin?: string) {
  const c = captureIo({ stdin });
  const code = await main([...argv, '--server', api.url], c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

const oldStyle = (
  name: string,
  uri = 'gs://kfserving-examples/models/sklearn/1.0/model',
) => `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ${name}
spec:
  predictor:
    sklearn:
      storageUri: ${uri}
`;

test('apply creates, then reports unchanged through server defaulting, then configured on a real change', async () => {
  const created = await cli(['apply', '-f', '-'], oldStyle('iris-a'));
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'inferenceservice.serving.kserve.io/iris-a created\n');
  const stored = api.get('inferenceservices', 'default', 'iris-a')!;
  assert.equal(stored.spec.predictor.model.modelFormat.name, 'sklearn', 'the double defaulted the old style');

  const again = await cli(['apply', '-f', '-'], oldStyle('iris-a'));
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, 'inferenceservice.serving.kserve.io/iris-a unchanged\n');
  assert.equal(
    api.get('inferenceservices', 'default', 'iris-a')!.metadata.resourceVersion,
    stored.metadata.resourceVersion,
  );

  const changed = await cli(['apply', '-f', '-'], oldStyle('iris-a', 'gs://bucket/other'));
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal(changed.stdout, 'inferenceservice.serving.kserve.io/iris-a configured\n');
  const updated = api.get('inferenceservices', 'default', 'iris-a')!;
  assert.equal(updated.spec.predictor.model.storageUri, 'gs://bucket/other');
  assert.notEqual(updated.metadata.resourceVersion, stored.metadata.resourceVersion);
});

test('apply sends PUT with the stored resourceVersion, and no write at all when nothing differs', async () => {
  const doc = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'sa-put', namespace: 'kserve-test', labels: { team: 'ml' } },
    secrets: [{ name: 's3creds' }],
  });
  assert.equal((await cli(['apply', '-f', '-'], doc)).stdout, 'serviceaccount/sa-put created\n');
  const rv = api.get('serviceaccounts', 'kserve-test', 'sa-put')!.metadata.resourceVersion;
  const before = api.requests.length;
  assert.equal((await cli(['apply', '-f', '-'], doc)).stdout, 'serviceaccount/sa-put unchanged\n');
  assert.deepEqual(
    api.requests.slice(before).map((r) => r.method),
    ['GET'],
  );
  const relabeled = doc.replace('"ml"', '"data"');
  assert.equal((await cli(['apply', '-f', '-'], relabeled)).stdout, 'serviceaccount/sa-put configured\n');
  const put = api.requests.findLast((r) => r.method === 'PUT')!;
  assert.equal(put.path, '/api/v1/namespaces/kserve-test/serviceaccounts/sa-put');
  assert.equal(put.body!.metadata.resourceVersion, rv);
});

test('apply -f DIR applies its .yaml/.yml/.json files in name order and skips other files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-apply-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'b-secret.yml'),
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: dir-secret\nstringData:\n  k: v\n',
  );
  writeFileSync(
    join(dir, 'a-sa.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'dir-sa' } }),
  );
  writeFileSync(join(dir, 'c-two.yaml'), `${oldStyle('dir-isvc')}---\n${oldStyle('dir-isvc-2')}`);
  writeFileSync(join(dir, 'README.md'), 'not a manifest');
  const res = await cli(['apply', '-f', dir, '-n', 'dirns']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(
    res.stdout,
    [
      'serviceaccount/dir-sa created',
      'secret/dir-secret created',
      'inferenceservice.serving.kserve.io/dir-isvc created',
      'inferenceservice.serving.kserve.io/dir-isvc-2 created',
      '',
    ].join('\n'),
  );
  assert.ok(api.get('secrets', 'dirns', 'dir-secret'), 'namespace from -n');
});

test('a refused document is reported like kubectl, exit 1, and the other documents still apply', async () => {
  const bad =
    'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: no-predictor\nspec: {}\n';
  const res = await cli(['apply', '-f', '-'], `${bad}---\n${oldStyle('after-bad')}`);
  assert.equal(res.code, 1);
  assert.equal(
    res.stderr,
    'Error from server (Invalid): error when creating "STDIN": InferenceService.serving.kserve.io "no-predictor" is invalid: [spec.predictor: Required value]\n',
  );
  assert.equal(res.stdout, 'inferenceservice.serving.kserve.io/after-bad created\n');
});

test('a document in another namespace than an explicit -n is refused', async () => {
  const doc = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  namespace: kserve-test\n';
  const res = await cli(['apply', '-f', '-', '-n', 'other'], doc);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /the namespace from the provided object "kserve-test" does not match the namespace "other"/);
  const ok = await cli(['apply', '-f', '-'], doc);
  assert.equal(ok.stdout, 'serviceaccount/x created\n');
  assert.ok(api.get('serviceaccounts', 'kserve-test', 'x'));
});

test('unknown kinds, bad YAML and missing files fail with exit 1 and a clear message', async () => {
  const policy = 'apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow\n';
  const res = await cli(['apply', '-f', '-'], policy);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /^error: resource mapping not found for name: "allow" namespace: "default" from "STDIN": /);
  assert.match(res.stderr, /AuthorizationPolicy/);

  const yaml = await cli(['apply', '-f', '-'], 'kind: [unclosed\n');
  assert.equal(yaml.code, 1);
  assert.match(yaml.stderr, /^error: STDIN:\d+:\d+: /);

  const missing = await cli(['apply', '-f', '/nonexistent/x.yaml']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'error: the path "/nonexistent/x.yaml" does not exist\n');

  const none = await cli(['apply']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /must specify one of -f/);
});

test('apply -o name prints kind/name only', async () => {
  const res = await cli(['apply', '-f', '-', '-o', 'name'], oldStyle('named-out'));
  assert.equal(res.stdout, 'inferenceservice.serving.kserve.io/named-out\n');
});
