import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { waitUntil } from '../support/wait.js';
import { captureIo, FakeControlApi } from './fake-control-api.js';
import { CANARY_ISVC } from './fixtures.js';

const CREATED = '2024-05-01T11:56:58Z';
const NOW = Date.parse('2024-05-01T12:00:00Z');
let api: FakeControlApi;

before(async () => {
  api = await FakeControlApi.start({ creationTimestamp: CREATED });
  const { status, ...isvc } = CANARY_ISVC;
  api.seed(isvc);
  api.setStatus('inferenceservices', 'kserve-test', 'sklearn-iris', status);
  api.seed({ ...isvc, metadata: { name: 'pending', namespace: 'kserve-test' } });
  api.seed({ ...isvc, metadata: { name: 'other-ns', namespace: 'team-b' } });
  api.seed({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's3creds',
      namespace: 'kserve-test',
      annotations: { 'serving.kserve.io/s3-endpoint': 'minio:9000' },
    },
    type: 'Opaque',
    data: { AWS_ACCESS_KEY_ID: 'bWluaW8=', AWS_SECRET_ACCESS_KEY: 'bWluaW8xMjM=' },
  });
});
after(() => api.close());

async function cli(argv: string[], extra: { signal?: AbortSignal } = {}) {
  const c = captureIo({ now: () => NOW, signal: extra.signal });
  const code = await main([...argv, '--server', api.url], c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

test('get isvc prints kubectl get isvc columns, aligned with 3 spaces', async () => {
  const res = await cli(['get', 'isvc', '-n', 'kserve-test']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(
    res.stdout,
    [
      'NAME           URL                                           READY   PREV   LATEST   AGE',
      'pending                                                                              3m2s',
      'sklearn-iris   http://sklearn-iris.kserve-test.example.com   True    90     10       3m2s',
      '',
    ].join('\n'),
  );
  assert.equal(api.requests.at(-1)!.path, '/apis/serving.kserve.io/v1beta1/namespaces/kserve-test/inferenceservices');
});

test('get isvc -o wide adds the revision columns; -A adds NAMESPACE and lists every namespace', async () => {
  const wide = await cli(['get', 'inferenceservices', 'sklearn-iris', '-n', 'kserve-test', '-o', 'wide']);
  const [header, row] = wide.stdout.split('\n');
  assert.match(
    header!,
    /^NAME\s+URL\s+READY\s+PREV\s+LATEST\s+PREVROLLEDOUTREVISION\s+LATESTREADYREVISION\s+REPLICAS\s+AGE$/,
  );
  assert.match(row!, /sklearn-iris-predictor-00001\s+sklearn-iris-predictor-00002\s+2\/3\s+3m2s$/);

  const all = await cli(['get', 'isvc', '-A']);
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+URL\s+READY\s+PREV\s+LATEST\s+AGE$/);
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join('/')),
    ['kserve-test/pending', 'kserve-test/sklearn-iris', 'team-b/other-ns'],
  );
  assert.equal(api.requests.at(-1)!.path, '/apis/serving.kserve.io/v1beta1/inferenceservices');
});

test('an empty list says so on stderr and exits 0', async () => {
  const res = await cli(['get', 'isvc', '-n', 'empty']);
  assert.equal(res.code, 0);
  assert.equal(res.stdout, '');
  assert.equal(res.stderr, 'No resources found in empty namespace.\n');
});

test('a missing object is a NotFound error with exit 1', async () => {
  const res = await cli(['get', 'isvc', 'nope']);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'Error from server (NotFound): inferenceservices.serving.kserve.io "nope" not found\n');
});

test('secrets: table with TYPE and DATA; -o yaml masks values unless --show-secrets', async () => {
  const table = await cli(['get', 'secrets', '-n', 'kserve-test']);
  assert.equal(table.stdout, 'NAME      TYPE     DATA   AGE\ns3creds   Opaque   2      3m2s\n');

  const yaml = await cli(['get', 'secret', 's3creds', '-n', 'kserve-test', '-o', 'yaml']);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.doesNotMatch(yaml.stdout, /bWluaW8/);
  assert.match(yaml.stdout, /^data:\n {2}AWS_ACCESS_KEY_ID: "\*\*\*"\n {2}AWS_SECRET_ACCESS_KEY: "\*\*\*"\n/m);
  assert.match(yaml.stdout, /^kind: Secret$/m);

  const list = await cli(['get', 'secrets', '-n', 'kserve-test', '-o', 'json']);
  assert.doesNotMatch(list.stdout, /bWluaW8/);
  assert.equal(JSON.parse(list.stdout).kind, 'List');

  const shown = await cli(['get', 'secret', 's3creds', '-n', 'kserve-test', '-o', 'json', '--show-secrets']);
  assert.equal(JSON.parse(shown.stdout).data.AWS_SECRET_ACCESS_KEY, 'bWluaW8xMjM=');
});

test('-o json prints the one object asked for; -o name and -o jsonpath work on lists', async () => {
  const one = await cli(['get', 'isvc/sklearn-iris', '-n', 'kserve-test', '-o', 'json']);
  const obj = JSON.parse(one.stdout);
  assert.equal(obj.kind, 'InferenceService');
  assert.equal(obj.metadata.name, 'sklearn-iris');

  const names = await cli(['get', 'isvc', '-n', 'kserve-test', '-o', 'name']);
  assert.equal(
    names.stdout,
    'inferenceservice.serving.kserve.io/pending\ninferenceservice.serving.kserve.io/sklearn-iris\n',
  );
  const url = await cli(['get', 'isvc', 'sklearn-iris', '-n', 'kserve-test', '-o', 'jsonpath={.status.url}']);
  assert.equal(url.stdout, 'http://sklearn-iris.kserve-test.example.com');
  const bad = await cli(['get', 'isvc', '-o', 'xml']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unable to match a printer suitable for the output format "xml"/);
});

test('several kinds print one table each, names prefixed with their kind', async () => {
  const res = await cli(['get', 'isvc,secrets', '-n', 'kserve-test']);
  assert.equal(res.code, 0, res.stderr);
  const tables = res.stdout.split('\n\n');
  assert.equal(tables.length, 2);
  assert.match(tables[0]!, /^NAME\s+URL/);
  assert.match(tables[0]!, /inferenceservice\/sklearn-iris/);
  assert.match(tables[1]!, /^NAME\s+TYPE\s+DATA\s+AGE\nsecret\/s3creds/);
});

test('unknown resource types and missing types are errors', async () => {
  const res = await cli(['get', 'pods']);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'error: the server doesn\'t have a resource type "pods"\n');
  const none = await cli(['get']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /You must specify the type of resource to get/);
});

test('get -w prints the table, then one row per change, until stopped', async () => {
  const ac = new AbortController();
  const c = captureIo({ now: () => NOW, signal: ac.signal });
  const running = main(['get', 'isvc', 'pending', '-n', 'kserve-test', '-w', '--server', api.url], c.io);
  // Wait (bounded) for the first listing, then change the object the way a controller would.
  await waitUntil(() => c.out() !== '', 'the first listing');
  assert.match(c.out(), /^NAME\s+URL\s+READY\s+PREV\s+LATEST\s+AGE\npending\s+3m2s\n$/);
  api.setStatus('inferenceservices', 'kserve-test', 'pending', {
    url: 'http://pending.kserve-test.example.com',
    conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: CREATED }],
  });
  api.setStatus('inferenceservices', 'kserve-test', 'sklearn-iris', CANARY_ISVC.status); // not watched by name
  await waitUntil(() => c.out().split('\n').length >= 4, 'the row for the change');
  ac.abort();
  assert.equal(await running, 0);
  const lines = c.out().trim().split('\n');
  assert.equal(lines.length, 3, c.out());
  assert.match(lines[2]!, /^pending\s+http:\/\/pending\.kserve-test\.example\.com\s+False\s+3m2s$/);
  // The watch started where the list left off.
  const watchReq = api.requests.find((r) => r.query.get('watch') === 'true')!;
  assert.ok(watchReq.query.get('resourceVersion'));
});
