import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { captureIo, FakeControlApi } from './fake-control-api.js';
import { CANARY_ISVC } from './fixtures.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
let api: FakeControlApi;

before(async () => {
  api = await FakeControlApi.start({ creationTimestamp: '2024-05-01T11:56:58Z' });
  const { status, ...isvc } = CANARY_ISVC;
  api.seed(isvc);
  api.setStatus('inferenceservices', 'kserve-test', 'sklearn-iris', {
    ...status,
    modelStatus: {
      transitionStatus: 'BlockedByFailedLoad',
      states: { activeModelState: 'FailedToLoad', targetModelState: 'Loaded' },
      lastFailureInfo: { reason: 'UnsafeModel', message: 'pickle calls os.system', exitCode: 1 },
    },
  });
  const event = (name: string, reason: string, message: string, count: number, involved = 'sklearn-iris') => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'kserve-test' },
    involvedObject: { kind: 'InferenceService', name: involved, namespace: 'kserve-test' },
    type: reason === 'UnsafeModel' ? 'Warning' : 'Normal',
    reason,
    message,
    count,
    firstTimestamp: '2024-05-01T11:57:00Z',
    lastTimestamp: '2024-05-01T11:59:00Z',
    source: { component: 'inferenceservice-controller' },
  });
  api.seed(event('e1', 'UnsafeModel', 'refused to load the model', 3));
  api.seed(event('e2', 'Created', 'about another service', 1, 'other'));
  api.seed({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's3creds', namespace: 'kserve-test' },
    data: { AWS_SECRET_ACCESS_KEY: 'bWluaW8xMjM=' },
  });
  api.logs.set('kserve-test/sklearn-iris', ['line 1', 'line 2', 'line 3']);
});
after(() => api.close());

async function cli(argv: string[]) {
  const c = captureIo({ now: () => NOW });
  const code = await main([...argv, '--server', api.url], c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

test('describe isvc shows identity, spec, conditions, traffic, model failure and its own events', async () => {
  const res = await cli(['describe', 'isvc', 'sklearn-iris', '-n', 'kserve-test']);
  assert.equal(res.code, 0, res.stderr);
  const out = res.stdout;
  assert.match(
    out,
    /^Name:\s{9}sklearn-iris\nNamespace:\s{4}kserve-test\nLabels:\s{7}<none>\nAnnotations:\s{2}<none>\n/,
  );
  assert.match(out, /^API Version:\s+serving\.kserve\.io\/v1beta1$/m);
  assert.match(out, /^ {2}Resource Version:\s+\d+$/m);
  assert.match(out, /^Spec:\n {2}predictor:\n {4}canaryTrafficPercent: 10\n/m);
  assert.match(out, /^ {4}Type\s+Status\s+Reason\s+Message\s+LastTransitionTime$/m);
  assert.match(out, /^ {4}Ready\s+True\s+2024-05-01T11:57:00Z$/m);
  assert.match(out, /^ {8}sklearn-iris-predictor-00001\s+90%\s+false\s+prev$/m);
  assert.match(out, /^ {6}Reason:\s+UnsafeModel$/m);
  assert.match(out, /^ {6}Message:\s+pickle calls os\.system$/m);
  assert.match(out, /^Events:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n {2}----/m);
  assert.match(
    out,
    /^ {2}Warning\s+UnsafeModel\s+60s \(x3 over 3m\)\s+inferenceservice-controller\s+refused to load the model$/m,
  );
  assert.doesNotMatch(out, /about another service/, 'events of other objects are filtered out');
  const evReq = api.requests.find((r) => r.path === '/api/v1/namespaces/kserve-test/events')!;
  assert.equal(evReq.query.get('fieldSelector'), 'involvedObject.name=sklearn-iris');
});

test('describe secret shows sizes, never values', async () => {
  const res = await cli(['describe', 'secret', 's3creds', '-n', 'kserve-test']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^AWS_SECRET_ACCESS_KEY:\s+8 bytes$/m);
  assert.doesNotMatch(res.stdout, /bWluaW8xMjM=|minio123/);
  assert.match(res.stdout, /^Events:\s+<none>$/m);
});

test('describe of a missing object is NotFound', async () => {
  const res = await cli(['describe', 'isvc', 'ghost']);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'Error from server (NotFound): inferenceservices.serving.kserve.io "ghost" not found\n');
});

test('logs prints the log subresource; --tail is sent as tailLines', async () => {
  const all = await cli(['logs', 'sklearn-iris', '-n', 'kserve-test']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, 'line 1\nline 2\nline 3\n');
  const tail = await cli(['logs', 'isvc/sklearn-iris', '-n', 'kserve-test', '--tail', '1', '-f']);
  assert.equal(tail.stdout, 'line 3\n');
  const req = api.requests.at(-1)!;
  assert.equal(req.path, '/apis/serving.kserve.io/v1beta1/namespaces/kserve-test/inferenceservices/sklearn-iris/log');
  assert.equal(req.query.get('tailLines'), '1');
  assert.equal(req.query.get('follow'), 'true');
  const missing = await cli(['logs', 'ghost']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\): /);
});

test('logs --since 10m is sent as sinceSeconds=600 (rounded up to whole seconds, as kubectl does); 0 is refused', async () => {
  const res = await cli(['logs', 'sklearn-iris', '-n', 'kserve-test', '--since', '10m', '--component', 'transformer']);
  assert.equal(res.code, 0, res.stderr);
  const req = api.requests.at(-1)!;
  assert.equal(req.query.get('sinceSeconds'), '600');
  assert.equal(req.query.get('container'), 'transformer');
  await cli(['logs', 'sklearn-iris', '-n', 'kserve-test', '--since', '1500ms']);
  assert.equal(api.requests.at(-1)!.query.get('sinceSeconds'), '2');
  const zero = await cli(['logs', 'sklearn-iris', '-n', 'kserve-test', '--since', '0s']);
  assert.equal(zero.code, 1);
  assert.match(zero.stderr, /--since must be greater than 0/);
  const bad = await cli(['logs', 'sklearn-iris', '-n', 'kserve-test', '--since', 'ten']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid duration "ten"/);
});
