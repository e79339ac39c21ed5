// The cases of KServe v0.12.1's cmd/router/main_test.go, ported: each step target is a real HTTP server on
// 127.0.0.1 reached by `serviceUrl` through StepClient, as the Go test reaches httptest servers.
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import { after, test } from 'node:test';
import type { InferenceGraphSpec } from '../../src/api/inference-graph.js';
import type { TrafficRouter } from '../../src/gateway/traffic/router.js';
import { headerPatterns, propagatedHeaders } from '../../src/graph/graph-handler.js';
import { type RouterOptions, routeNode, runGraph } from '../../src/graph/router.js';
import { StepClient } from '../../src/graph/step-client.js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';

const servers: http.Server[] = [];
const client = new StepClient({ endpoints: new EndpointTable(), traffic: {} as TrafficRouter, domain: 'example.com' });
after(() => {
  for (const s of servers) s.close();
  client.close();
});

/** A model server answering `answer(req)` (Go: httptest.NewServer); resolves with its URL. */
async function model(answer: (req: IncomingMessage, body: string) => unknown): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(JSON.stringify(answer(req, Buffer.concat(chunks).toString()))));
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address() as { port: number };
  return `http://127.0.0.1:${addr.port}`;
}

function options(spec: InferenceGraphSpec, headers: Record<string, string> = {}): RouterOptions {
  return {
    spec,
    call: (ref, body, signal) => client.call(client.serviceForUrl(ref.step.serviceUrl!), body, headers, signal, 5_000),
  };
}

const INPUT = Buffer.from(JSON.stringify({ instances: ['test', 'test2'] }));
const run = (spec: InferenceGraphSpec, input = INPUT, headers?: Record<string, string>) =>
  routeNode(options(spec, headers), 'root', input, new AbortController().signal);
const json = (b: Buffer) => JSON.parse(b.toString()) as unknown;

test('TestSimpleModelChainer: a Sequence feeds model1 into model2 and answers model2', async () => {
  const m1 = await model(() => ({ predictions: '1' }));
  const m2 = await model(() => ({ predictions: '2' }));
  const out = await run({
    nodes: {
      root: {
        routerType: 'Sequence',
        steps: [
          { name: 'model1', serviceUrl: m1 },
          { name: 'model2', serviceUrl: m2, data: '$response' },
        ],
      },
    },
  });
  assert.deepEqual(json(out.body), { predictions: '2' });
  assert.equal(out.status, 200);
});

test('TestSimpleModelEnsemble: an Ensemble answers both models keyed by step name', async () => {
  const m1 = await model(() => ({ predictions: '1' }));
  const m2 = await model(() => ({ predictions: '2' }));
  const out = await run({
    nodes: {
      root: {
        routerType: 'Ensemble',
        steps: [
          { name: 'model1', serviceUrl: m1 },
          { name: 'model2', serviceUrl: m2 },
        ],
      },
    },
  });
  assert.equal(out.body.toString(), '{"model1":{"predictions":"1"},"model2":{"predictions":"2"}}');
});

test('TestInferenceGraphWithCondition: Switch on the request, then a conditional Ensemble step on the response', async () => {
  const answer = (label: string, score: number[]) => () => ({ predictions: [{ label, score }] });
  const m1 = await model(answer('cat', [0.1, 0.9]));
  const m2 = await model(answer('dog', [0.8, 0.2]));
  const m3 = await model(answer('beagle', [0.1, 0.9]));
  const m4 = await model(answer('poodle', [0.8, 0.2]));
  const spec: InferenceGraphSpec = {
    nodes: {
      root: {
        routerType: 'Sequence',
        steps: [
          { name: 'step1', nodeName: 'animal-categorize' },
          { name: 'step2', nodeName: 'breed-categorize', condition: 'predictions.#(label=="dog")' },
        ],
      },
      'animal-categorize': {
        routerType: 'Switch',
        steps: [
          { name: 'model1', serviceUrl: m1, condition: 'instances.#(modelId=="1")' },
          { name: 'model2', serviceUrl: m2, condition: 'instances.#(modelId=="2")' },
        ],
      },
      'breed-categorize': {
        routerType: 'Ensemble',
        steps: [
          { name: 'model3', serviceUrl: m3 },
          { name: 'model4', serviceUrl: m4 },
        ],
      },
    },
  };
  const out = await run(spec, Buffer.from(JSON.stringify({ instances: [{ modelId: '2' }] })));
  const got = json(out.body) as Record<string, unknown>;
  assert.deepEqual(got['model3'], { predictions: [{ label: 'beagle', score: [0.1, 0.9] }] });
  assert.deepEqual(got['model4'], { predictions: [{ label: 'poodle', score: [0.8, 0.2] }] });
  // modelId 1 picks the cat model: step2's condition does not match, KServe 0.12.1 stops with 500 and the cat answer
  const cat = await run(spec, Buffer.from(JSON.stringify({ instances: [{ modelId: '1' }] })));
  assert.equal(cat.status, 500);
  assert.deepEqual(json(cat.body), { predictions: [{ label: 'cat', score: [0.1, 0.9] }] });
  // ... and 200 with the newer behaviour (KServe 0.15+)
  const newer = await routeNode(
    { ...options(spec), sequenceConditionMissStatus: 200 },
    'root',
    Buffer.from(JSON.stringify({ instances: [{ modelId: '1' }] })),
    new AbortController().signal,
  );
  assert.equal(newer.status, 200);
});

/** Go's test model: answers predictions "1" plus the headers matching the patterns. */
async function headerEcho(patterns: readonly RegExp[]): Promise<string> {
  return model((req) => {
    const out: Record<string, unknown> = { predictions: '1' };
    const got = propagatedHeaders(req, patterns);
    for (const [k, v] of Object.entries(got)) if (k !== 'X-Request-Id') out[k] = v;
    return out;
  });
}

/** The client's request as the router gets it. */
const incoming = (headers: Record<string, string>) =>
  ({ rawHeaders: Object.entries(headers).flat() }) as unknown as IncomingMessage;

const HEADERS = { Authorization: 'Bearer Token', 'Test-Header-Key': 'Test-Header-Value' };

for (const [title, patterns, headers, expected] of [
  ['TestCallServiceWhenNoneHeadersToPropagateIsEmpty', '', HEADERS, { predictions: '1' }],
  [
    'TestCallServiceWhen1HeaderToPropagate',
    'Test-Header-Key',
    HEADERS,
    { predictions: '1', 'Test-Header-Key': 'Test-Header-Value' },
  ],
  [
    'TestCallServiceWhenMultipleHeadersToPropagate',
    'Test-Header-Key,Authorization',
    HEADERS,
    { predictions: '1', 'Test-Header-Key': 'Test-Header-Value', Authorization: 'Bearer Token' },
  ],
  [
    'TestCallServiceWhenMultipleHeadersToPropagateUsingPatterns',
    'Test-Header-*,Auth*',
    {
      Authorization: 'Bearer Token',
      'Test-Header-1': 'Test-Header-1',
      'Test-Header-2': 'Test-Header-2',
      'Test-Header-3': 'Test-Header-3',
    },
    {
      predictions: '1',
      'Test-Header-1': 'Test-Header-1',
      'Test-Header-2': 'Test-Header-2',
      'Test-Header-3': 'Test-Header-3',
      Authorization: 'Bearer Token',
    },
  ],
  [
    'TestCallServiceWhenMultipleHeadersToPropagateUsingInvalidPattern',
    'Test-Header-[0-9,Auth*',
    {
      Authorization: 'Bearer Token',
      'Test-Header-1': 'Test-Header-1',
      'Test-Header-2': 'Test-Header-2',
      'Test-Header-3': 'Test-Header-3',
    },
    { predictions: '1', Authorization: 'Bearer Token' },
  ],
] as const) {
  test(`${title}: the step gets exactly the matching headers`, async () => {
    const compiled = headerPatterns(patterns);
    const url = await headerEcho(compiled);
    const sent = propagatedHeaders(incoming(headers), compiled);
    const out = await client.call({ kind: 'url', url }, INPUT, sent, new AbortController().signal, 5_000);
    assert.deepEqual(json(out.body), expected);
  });
}

test('TestMalformedURL: a URL that cannot be called fails the graph with 500 and KServe error body', async () => {
  const answer = await runGraph(
    options({
      nodes: {
        root: { routerType: 'Sequence', steps: [{ serviceUrl: 'http://single-1.default.{$your-domain}/switch' }] },
      },
    }),
    Buffer.alloc(0),
    new AbortController().signal,
  );
  assert.equal(answer.status, 500);
  const body = json(answer.body) as { error: string; cause: string };
  assert.equal(body.error, 'Failed to process request');
  assert.match(body.cause, /^Post "http:\/\/single-1\.default\.\{\$your-domain\}\/switch": /);
  assert.deepEqual(Object.keys(body), ['error', 'cause']);
});

/** A router whose steps answer from a table by service name (no network). */
function fake(
  spec: InferenceGraphSpec,
  answers: Record<string, { status: number; body: string } | Error>,
  random?: () => number,
) {
  const calls: string[] = [];
  const opts: RouterOptions = {
    spec,
    random,
    call: async (ref) => {
      const name = ref.step.serviceName!;
      calls.push(name);
      const a = answers[name]!;
      if (a instanceof Error) throw a;
      return { status: a.status, body: Buffer.from(a.body) };
    },
  };
  return { opts, calls };
}

test('Splitter: a draw of rand.Intn(99) against cumulative weights picks the route', async () => {
  const spec: InferenceGraphSpec = {
    nodes: {
      root: {
        routerType: 'Splitter',
        steps: [
          { serviceName: 'a', weight: 20 },
          { serviceName: 'b', weight: 80 },
        ],
      },
    },
  };
  const answers = { a: { status: 200, body: '"a"' }, b: { status: 200, body: '"b"' } };
  for (const [r, want] of [
    [0, 'a'],
    [19.5 / 99, 'a'],
    [20 / 99, 'b'],
    [0.999, 'b'],
  ] as const) {
    const { opts } = fake(spec, answers, () => r);
    const out = await runGraph(opts, INPUT, new AbortController().signal);
    assert.equal(out.body.toString(), `"${want}"`, `draw ${r}`);
  }
});

test('Ensemble: a step whose body is not a JSON object fails the graph with 500 and Go error text', async () => {
  const spec: InferenceGraphSpec = {
    nodes: { root: { routerType: 'Ensemble', steps: [{ serviceName: 'a' }, { serviceName: 'b' }] } },
  };
  const { opts } = fake(spec, { a: { status: 200, body: '{"x":1}' }, b: { status: 200, body: '[1,2]' } });
  const out = await runGraph(opts, INPUT, new AbortController().signal);
  assert.equal(out.status, 500);
  assert.equal(
    out.body.toString(),
    '{"error":"Failed to process request","cause":"json: cannot unmarshal array into Go value of type map[string]interface {}"}',
  );
});

test('Ensemble without step names keys answers by index; Soft failures are merged', async () => {
  const spec: InferenceGraphSpec = {
    nodes: { root: { routerType: 'Ensemble', steps: [{ serviceName: 'a' }, { serviceName: 'b' }] } },
  };
  const { opts } = fake(spec, {
    a: { status: 200, body: '{"z":1,"a":2}' },
    b: { status: 503, body: '{"error":"down"}' },
  });
  const out = await runGraph(opts, INPUT, new AbortController().signal);
  assert.equal(out.status, 200);
  assert.equal(out.body.toString(), '{"0":{"a":2,"z":1},"1":{"error":"down"}}');
});

test('Sequence: a condition on the first step has no previous answer: 500 "invalid response"', async () => {
  const spec: InferenceGraphSpec = {
    nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'a', condition: 'x' }] } },
  };
  const { opts, calls } = fake(spec, { a: { status: 200, body: '{}' } });
  const out = await runGraph(opts, INPUT, new AbortController().signal);
  assert.equal(out.status, 500);
  assert.equal(out.body.toString(), '{"error":"Failed to process request","cause":"invalid response"}');
  assert.deepEqual(calls, []);
});

test('a nested Switch without a match fails the enclosing Sequence with 500, as KServe does', async () => {
  const spec: InferenceGraphSpec = {
    nodes: {
      root: { routerType: 'Sequence', steps: [{ nodeName: 'sw' }] },
      sw: { routerType: 'Switch', steps: [{ serviceName: 'a', condition: 'nope' }] },
    },
  };
  const { opts } = fake(spec, { a: { status: 200, body: '{}' } });
  const out = await runGraph(opts, INPUT, new AbortController().signal);
  assert.equal(out.status, 500);
  assert.match(out.body.toString(), /None of the routes matched with the switch condition/);
});

test('Sequence data: $response feeds the previous answer, $request (default) the original body', async () => {
  const seen: string[] = [];
  const spec: InferenceGraphSpec = {
    nodes: {
      root: {
        routerType: 'Sequence',
        steps: [{ serviceName: 'a' }, { serviceName: 'b', data: '$response' }, { serviceName: 'c' }],
      },
    },
  };
  const opts: RouterOptions = {
    spec,
    call: async (ref, body) => {
      seen.push(`${ref.step.serviceName}<${body.toString()}`);
      return { status: 200, body: Buffer.from(`{"from":"${ref.step.serviceName}"}`) };
    },
  };
  await runGraph(opts, Buffer.from('{"in":1}'), new AbortController().signal);
  assert.deepEqual(seen, ['a<{"in":1}', 'b<{"from":"a"}', 'c<{"in":1}']);
});

test('a step answer larger than maxAnswerBytes fails the step instead of filling memory', async () => {
  const big = await model(() => ({ blob: 'x'.repeat(10_000) }));
  const small = new StepClient({
    endpoints: new EndpointTable(),
    traffic: {} as TrafficRouter,
    domain: 'example.com',
    maxAnswerBytes: 1_000,
  });
  await assert.rejects(
    small.call({ kind: 'url', url: big }, INPUT, {}, new AbortController().signal, 5_000),
    /larger than 1000 bytes/,
  );
  small.close();
});
