import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { captureIo, FakeControlApi } from './fake-control-api.js';

let api: FakeControlApi;
let polling: FakeControlApi;
before(async () => {
  api = await FakeControlApi.start();
  polling = await FakeControlApi.start({ noWatch: true });
});
after(async () => {
  await api.close();
  await polling.close();
});

/** Resolves once the CLI has sent a request matching `pred` (bounded), so changes land after it looked. */
async function requestSeen(server: FakeControlApi, pred: (r: FakeControlApi['requests'][number]) => boolean) {
  for (let i = 0; i < 500 && !server.requests.some(pred); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(server.requests.some(pred), 'the CLI never sent the expected request');
}

async function cli(server: FakeControlApi, argv: string[]) {
  const c = captureIo();
  const code = await main([...argv, '--server', server.url], c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

const isvc = (name: string) => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, namespace: 'default' },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' } } } },
});
const ready = (st: 'True' | 'False', observedGeneration = 1) => ({
  observedGeneration,
  conditions: [{ type: 'Ready', status: st, lastTransitionTime: '2024-05-01T12:00:00Z' }],
});

test('wait returns at once when the condition already holds', async () => {
  api.seed(isvc('already'));
  api.setStatus('inferenceservices', 'default', 'already', ready('True'));
  const res = await cli(api, ['wait', '--for=condition=Ready', 'isvc/already', '--timeout=5s']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'inferenceservice.serving.kserve.io/already condition met\n');
});

test('wait follows the watch until Ready=True arrives', async () => {
  api.seed(isvc('becomes-ready'));
  api.setStatus('inferenceservices', 'default', 'becomes-ready', ready('False'));
  const running = cli(api, ['wait', 'isvc', 'becomes-ready', '--for', 'condition=Ready', '--timeout=10s']);
  await requestSeen(
    api,
    (r) => r.query.get('watch') === 'true' && r.query.get('fieldSelector') === 'metadata.name=becomes-ready',
  );
  api.setStatus('inferenceservices', 'default', 'becomes-ready', ready('True'));
  const res = await running;
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'inferenceservice.serving.kserve.io/becomes-ready condition met\n');
});

test("wait times out with kubectl's message and exit 1", async () => {
  api.seed(isvc('never-ready'));
  const started = Date.now();
  const res = await cli(api, ['wait', '--for=condition=Ready', 'isvc/never-ready', '--timeout=300ms']);
  assert.equal(res.code, 1);
  assert.equal(res.stdout, '');
  assert.equal(res.stderr, 'error: timed out waiting for the condition on inferenceservices/never-ready\n');
  assert.ok(Date.now() - started < 3_000, 'the timeout bounds the wait');
});

test('a Ready=True from an older generation does not count', async () => {
  api.seed(isvc('stale'));
  api.setStatus('inferenceservices', 'default', 'stale', ready('True', 0));
  const res = await cli(api, ['wait', '--for=condition=Ready', 'isvc/stale', '--timeout=200ms']);
  assert.equal(res.code, 1);
});

test('without watch support, wait polls until the condition holds', async () => {
  polling.seed(isvc('polled'));
  const running = cli(polling, ['wait', '--for=condition=Ready', 'isvc/polled', '--timeout=10s']);
  await requestSeen(polling, (r) => r.query.get('watch') === 'true');
  polling.setStatus('inferenceservices', 'default', 'polled', ready('True'));
  const res = await running;
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'inferenceservice.serving.kserve.io/polled condition met\n');
  assert.ok(polling.requests.filter((r) => r.path.endsWith('/polled')).length >= 2, 'polled more than once');
});

test('wait --for=delete returns when the object is gone', async () => {
  api.seed(isvc('going'));
  const running = cli(api, ['wait', '--for=delete', 'isvc/going', '--timeout=10s']);
  await requestSeen(api, (r) => r.query.get('fieldSelector') === 'metadata.name=going');
  api.remove('inferenceservices', 'default', 'going');
  const res = await running;
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'inferenceservice.serving.kserve.io/going condition met\n');
});

test('waiting on an object that does not exist fails at once; bad --for and --timeout are usage errors', async () => {
  const res = await cli(api, ['wait', '--for=condition=Ready', 'isvc/missing', '--timeout=10s']);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'Error from server (NotFound): inferenceservices.serving.kserve.io "missing" not found\n');
  const badFor = await cli(api, ['wait', '--for=ready', 'isvc/x']);
  assert.equal(badFor.code, 1);
  assert.match(badFor.stderr, /unrecognized condition/);
  const badTimeout = await cli(api, ['wait', '--for=condition=Ready', 'isvc/x', '--timeout=soon']);
  assert.equal(badTimeout.code, 1);
  assert.match(badTimeout.stderr, /invalid duration "soon"/);
});
