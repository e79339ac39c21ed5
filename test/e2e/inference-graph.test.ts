// KServe's InferenceGraph e2e (test/e2e/graph/test_inference_graph.py) against a real `inferd serve`: the
// iris model chainer over two InferenceServices by serviceName, and scenarios 3-10 with the success/error
// servers of python/test_resources/graph as TypeScript servers with the same answers (reached by serviceUrl
// until custom predictors land, issue 15). Also: status following the services, routing by host and path,
// /metrics, `inferd get ig`, the bad-input cases of issue 17.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';
import { fixturesDir } from '../helpers/paths.js';
import { nextEvent } from '../support/wait.js';

const RESOURCES = join(fixturesDir, 'graph');
const IRIS = readFileSync(join(RESOURCES, 'iris_input.json'));
let inferd: Inferd;
let success: http.Server;
let failure: http.Server;
let successUrl = '';
let errorUrl = '';

/** python/test_resources/graph/{success_200_isvc,error_404_isvc}: KServe's answers for any predict. */
const requestIds: (string | undefined)[] = [];
async function modelServer(status: number, body: string): Promise<[http.Server, string]> {
  const server = http.createServer((req, res) => {
    requestIds.push(req.headers['x-request-id'] as string | undefined);
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return [server, `http://127.0.0.1:${(server.address() as { port: number }).port}`];
}

function iris(name: string): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } } },
  });
}

async function apply(manifest: string): Promise<void> {
  const r = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: manifest });
  assert.equal(r.code, 0, r.stderr);
}

async function graphReady(name: string, want: 'True' | 'False', timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await fetch(`${inferd.url}/apis/serving.kserve.io/v1alpha1/namespaces/default/inferencegraphs/${name}`);
    last = await res.json();
    const st = (last as { status?: { conditions?: { type: string; status: string }[] } }).status;
    if (st?.conditions?.find((c) => c.type === 'Ready')?.status === want) return last as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`graph ${name} did not reach Ready=${want}; last: ${JSON.stringify(last)}`);
}

/** A scenario manifest with KServe's placeholders filled: services become our TypeScript servers' URLs. */
function scenario(file: string, graphName: string): string {
  return readFileSync(join(RESOURCES, file), 'utf8')
    .replaceAll('{{ graph_name }}', graphName)
    .replaceAll(
      'serviceName: {{ success_200_isvc_id }}',
      `serviceUrl: ${successUrl}/v1/models/success-200-isvc:predict`,
    )
    .replaceAll('serviceName: {{ error_404_isvc_id }}', `serviceUrl: ${errorUrl}/v1/models/error-404-isvc:predict`);
}

function predictIg(graph: string, inputFile: string, path = '/', extra: Record<string, string> = {}) {
  return httpRequest({
    port: inferd.port,
    path,
    headers: { host: `${graph}.default.example.com`, 'content-type': 'application/json', ...extra },
    body: readFileSync(join(RESOURCES, inputFile)),
  });
}

before(async () => {
  [success, successUrl] = await modelServer(200, '{"message":"SUCCESS"}');
  [failure, errorUrl] = await modelServer(404, '{"detail":"Intentional 404 code"}');
  inferd = await startInferd();
  await apply(iris('isvc-sklearn-graph'));
  await apply(iris('isvc-xgboost-graph'));
  await waitForCondition(inferd.url, 'default', 'isvc-sklearn-graph', 'True');
  await waitForCondition(inferd.url, 'default', 'isvc-xgboost-graph', 'True');
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  success?.close();
  failure?.close();
});

const CHAINER = `apiVersion: serving.kserve.io/v1alpha1
kind: InferenceGraph
metadata:
  name: model-chainer
spec:
  nodes:
    root:
      routerType: Sequence
      steps:
      - serviceName: isvc-sklearn-graph
      - serviceName: isvc-xgboost-graph
        data: $request
`;

test('test_inference_graph: the model chainer answers {"predictions":[1,1]} by host, cluster host and /serving path', async () => {
  await apply(CHAINER);
  const ig = await graphReady('model-chainer', 'True');
  assert.equal((ig['status'] as { url: string }).url, 'http://model-chainer.default.example.com');
  for (const host of ['model-chainer.default.example.com', 'model-chainer.default.svc.cluster.local']) {
    const res = await httpRequest({ port: inferd.port, path: '/', headers: { host }, body: IRIS });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{"predictions":[1,1]}');
    assert.equal(res.headers['content-type'], 'application/json');
  }
  const byPath = await httpRequest({ port: inferd.port, path: '/serving/default/model-chainer', body: IRIS });
  assert.equal(byPath.text, '{"predictions":[1,1]}');
});

test('inferd get ig prints KServe printer columns NAME URL READY AGE', async () => {
  const r = await runCli(['get', 'ig', '--server', inferd.url]);
  assert.equal(r.code, 0, r.stderr);
  const [head, row] = r.stdout.trim().split('\n');
  assert.deepEqual(head!.split(/\s+/), ['NAME', 'URL', 'READY', 'AGE']);
  assert.match(row!, /^model-chainer\s+http:\/\/model-chainer\.default\.example\.com\s+True\s+\d+s/);
});

test('scenario 3: a Hard Sequence step answering 404 ends the graph with its answer', async () => {
  await apply(scenario('ig_test_seq_scenario_3.yaml', 'sequence-graph-3'));
  const res = await predictIg('sequence-graph-3', 'iris_input.json');
  assert.equal(res.status, 404);
  assert.equal(res.text, '{"detail":"Intentional 404 code"}');
});

test('scenario 4: Switch picks by condition; no match is KServe 404 body', async () => {
  await apply(scenario('ig_test_switch_scenario_4.yaml', 'switch-graph-4'));
  const err = await predictIg('switch-graph-4', 'switch_call_error_picker_input.json');
  assert.equal(err.status, 404);
  assert.deepEqual(JSON.parse(err.text), { detail: 'Intentional 404 code' });
  requestIds.length = 0;
  const ok = await predictIg('switch-graph-4', 'switch_call_success_picker_input.json', '/', {
    'x-request-id': 'req-17',
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.text, '{"message":"SUCCESS"}');
  // The request id reaches the step and comes back on the graph's answer.
  assert.deepEqual(requestIds, ['req-17']);
  assert.equal(ok.headers['x-request-id'], 'req-17');
  const none = await predictIg('switch-graph-4', 'switch_call_no_match_input.json');
  assert.equal(none.status, 404);
  assert.equal(
    none.text,
    '{"error":"Failed to process request","cause":"None of the routes matched with the switch condition"}',
  );
});

for (const [file, expected] of [
  ['ig_test_switch_scenario_5.yaml', { status: 200, body: '{"message":"SUCCESS"}' }],
  ['ig_test_switch_scenario_6.yaml', { status: 404, body: '{"detail":"Intentional 404 code"}' }],
  ['ig_test_switch_scenario_9.yaml', { status: 200, body: '{"message":"SUCCESS"}' }],
  ['ig_test_switch_scenario_10.yaml', { status: 404, body: '{"detail":"Intentional 404 code"}' }],
] as const) {
  test(`${file}: error picker through a nested node gives KServe's answer ${expected.status}`, async () => {
    const name = file.replace('ig_test_', '').replace('.yaml', '').replaceAll('_', '-');
    await apply(scenario(file, name));
    const res = await predictIg(name, 'switch_call_error_picker_input.json');
    assert.equal(res.status, expected.status);
    assert.equal(res.text, expected.body);
  });
}

test('scenario 7: an Ensemble of Soft steps merges both answers keyed by step name', async () => {
  await apply(scenario('ig_test_ensemble_scenario_7.yaml', 'ensemble-graph-7'));
  const res = await predictIg('ensemble-graph-7', 'switch_call_success_picker_input.json');
  assert.equal(res.status, 200);
  assert.equal(res.text, '{"rootStep1":{"message":"SUCCESS"},"rootStep2":{"detail":"Intentional 404 code"}}');
});

test('scenario 8: a failing Hard Ensemble step decides the answer', async () => {
  await apply(scenario('ig_test_ensemble_scenario_8.yaml', 'ensemble-graph-8'));
  const res = await predictIg('ensemble-graph-8', 'switch_call_success_picker_input.json');
  assert.equal(res.status, 404);
  assert.equal(res.text, '{"detail":"Intentional 404 code"}');
});

test('a body that is not JSON where a Switch reads it answers 400 in KServe error shape', async () => {
  const res = await httpRequest({
    port: inferd.port,
    path: '/',
    headers: { host: 'switch-graph-4.default.example.com' },
    body: 'not json',
  });
  assert.equal(res.status, 400);
  const body = JSON.parse(res.text) as { error: string; cause: string };
  assert.equal(body.error, 'Failed to process request');
  assert.match(body.cause, /not valid JSON/);
});

test('a cycle through nodeName is refused at apply time with its path', async () => {
  const r = await runCli(['apply', '-f', '-', '--server', inferd.url], {
    input: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'InferenceGraph',
      metadata: { name: 'loop' },
      spec: {
        nodes: {
          root: { routerType: 'Sequence', steps: [{ nodeName: 'a' }] },
          a: { routerType: 'Sequence', steps: [{ nodeName: 'root' }] },
        },
      },
    }),
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cycle through nodeName: root → a → root/);
});

test('per-step series on /metrics name the graph, node and step', async () => {
  const text = await (await fetch(`${inferd.url}/metrics`)).text();
  assert.match(
    text,
    /inferd_graph_step_requests_total\{namespace="default",graph="model-chainer",node="root",step="0",code="200"\} \d+/,
  );
  assert.match(
    text,
    /inferd_graph_step_duration_seconds_count\{namespace="default",graph="ensemble-graph-8",node="root",step="rootStep1"\} \d+/,
  );
});

test('a referenced service deleted: the graph answers 404 naming it and its Ready condition flips', async () => {
  const r = await runCli(['delete', 'isvc', 'isvc-xgboost-graph', '--server', inferd.url]);
  assert.equal(r.code, 0, r.stderr);
  const ig = await graphReady('model-chainer', 'False');
  const ready = (ig['status'] as { conditions: { type: string; message?: string }[] }).conditions.find(
    (c) => c.type === 'Ready',
  )!;
  assert.match(ready.message ?? '', /isvc-xgboost-graph/);
  const res = await httpRequest({
    port: inferd.port,
    path: '/',
    headers: { host: 'model-chainer.default.example.com' },
    body: IRIS,
  });
  assert.equal(res.status, 404);
  assert.equal(res.text, '{"error":"InferenceService isvc-xgboost-graph does not exist in namespace default"}');
  const d = await runCli(['describe', 'ig', 'model-chainer', '--server', inferd.url]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /Nodes:\n\s+root \(Sequence\):/);
  assert.match(
    d.stdout,
    /service isvc-sklearn-graph\s+http:\/\/isvc-sklearn-graph\.default\.svc\.cluster\.local\/v1\/models\/isvc-sklearn-graph:predict\s+True/,
  );
  assert.match(d.stdout, /service isvc-xgboost-graph\s+\S+\s+NotFound/);
  assert.match(d.stdout, /InferenceGraphNotReady/);
});

/** A step that never answers: emits 'request' when called and 'gone' when the router closes its connection. */
async function hangingServer(): Promise<{ server: http.Server; url: string; events: EventEmitter }> {
  const events = new EventEmitter();
  const server = http.createServer((req, res) => {
    events.emit('request');
    res.on('close', () => events.emit('gone'));
    req.resume();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/models/slow:predict`,
    events,
  };
}

function slowGraph(name: string, url: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'InferenceGraph',
    metadata: { name, annotations },
    spec: { nodes: { root: { routerType: 'Sequence', steps: [{ name: 'slow', serviceUrl: url }] } } },
  });
}

test('a step past its serving.inferd.dev/step-timeout answers 504 in KServe error shape', async (t) => {
  const slow = await hangingServer();
  t.after(() => slow.server.close());
  await apply(slowGraph('slow-timeout', slow.url, { 'serving.inferd.dev/step-timeout': '300ms' }));
  const gone = nextEvent(slow.events, 'gone', 'the timed-out step connection closed');
  const res = await httpRequest({
    port: inferd.port,
    path: '/',
    headers: { host: 'slow-timeout.default.example.com' },
    body: '{}',
  });
  assert.equal(res.status, 504);
  assert.equal(
    res.text,
    JSON.stringify({ error: 'Failed to process request', cause: `Post "${slow.url}": step timed out after 300 ms` }),
  );
  await gone;
});

test("the client's cancellation reaches the step: its connection to the target is closed", async (t) => {
  const slow = await hangingServer();
  t.after(() => slow.server.close());
  await apply(slowGraph('slow-cancel', slow.url));
  const called = nextEvent(slow.events, 'request', 'the step was called');
  const gone = nextEvent(slow.events, 'gone', 'the step connection closed after the client left');
  const req = http.request({
    host: '127.0.0.1',
    port: inferd.port,
    path: '/',
    method: 'POST',
    headers: { host: 'slow-cancel.default.example.com' },
  });
  req.on('error', () => {}); // destroyed on purpose below
  req.end('{}');
  await called;
  req.destroy();
  await gone;
});
