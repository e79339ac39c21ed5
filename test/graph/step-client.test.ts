// A service step goes through the gateway's routes: a scaled-to-zero service is held (the activator) and its
// demand signalled until a replica appears; a missing or unready service answers as the gateway would.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { DEFAULT_OUTLIER_POLICY } from '../../src/gateway/traffic/outlier.js';
import { TrafficRouter } from '../../src/gateway/traffic/router.js';
import { StepClient } from '../../src/graph/step-client.js';
import { silentLogger } from '../../src/log.js';
import { type EndpointInput, EndpointTable } from '../../src/routing/endpoint-table.js';
import { TrafficStats } from '../../src/routing/traffic-stats.js';
import { nextEvent } from '../support/wait.js';

function setup() {
  const endpoints = new EndpointTable();
  const stats = new TrafficStats();
  const traffic = new TrafficRouter({
    endpoints,
    stats,
    metrics: new GatewayMetrics(endpoints, stats),
    log: silentLogger,
    holdTimeoutMs: 5_000,
    queueTimeoutMs: 5_000,
    maxQueuedPerRevision: 10,
    outlier: DEFAULT_OUTLIER_POLICY,
  });
  const client = new StepClient({ endpoints, traffic, domain: 'example.com' });
  return { endpoints, stats, traffic, client };
}

const route = (port: number | undefined, activating: boolean) => ({
  revision: 'iris-00001',
  key: 'default/iris/iris-00001',
  percent: 100,
  latestRevision: true,
  replicas: port === undefined ? [] : [{ key: 'default/iris/iris-00001#0', port }],
  activating,
  containerConcurrency: 0,
});

function endpoint(port: number | undefined, activating: boolean): EndpointInput {
  return {
    namespace: 'default',
    name: 'iris',
    modelName: 'iris',
    port,
    revision: 'iris-00001',
    starting: activating,
    routes: [route(port, activating)],
  };
}

test('a step to a scaled-to-zero service is held, signals demand, and is sent once a replica is ready', async (t) => {
  const { endpoints, stats, traffic, client } = setup();
  const seen: string[] = [];
  const replica = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.host}`);
    req.resume();
    req.on('end', () => res.end('{"predictions":[1,1]}'));
  });
  await new Promise<void>((ok) => replica.listen(0, '127.0.0.1', ok));
  t.after(() => {
    replica.close();
    client.close();
    traffic.close();
  });
  endpoints.set(endpoint(undefined, true));
  const demand = nextEvent(stats, 'demand', 'the activator demand');
  const call = client.call(
    { kind: 'service', namespace: 'default', name: 'iris', path: '/v1/models/iris:predict' },
    Buffer.from('{}'),
    {},
    new AbortController().signal,
    5_000,
  );
  await demand;
  endpoints.set(endpoint((replica.address() as { port: number }).port, false));
  const answer = await call;
  assert.equal(answer.status, 200);
  assert.equal(answer.body.toString(), '{"predictions":[1,1]}');
  assert.deepEqual(seen, ['POST /v1/models/iris:predict iris.default.example.com']);
  assert.equal(stats.snapshot('default/iris/iris-00001').requestsTotal, 1);
});

test('a missing service answers 404 and an unready one 503, naming it, as step answers', async (t) => {
  const { endpoints, traffic, client } = setup();
  t.after(() => {
    client.close();
    traffic.close();
  });
  const target = { kind: 'service', namespace: 'default', name: 'iris', path: '/v1/models/iris:predict' } as const;
  const missing = await client.call(target, Buffer.from('{}'), {}, new AbortController().signal, 5_000);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.toString(), '{"error":"InferenceService iris does not exist in namespace default"}');
  endpoints.set({ ...endpoint(undefined, false), reason: 'ModelLoadFailed', message: 'boom' });
  const down = await client.call(target, Buffer.from('{}'), {}, new AbortController().signal, 5_000);
  assert.equal(down.status, 503);
  assert.match(down.body.toString(), /InferenceService default\/iris is not ready: ModelLoadFailed: boom/);
});

test('a held step is given up when the client cancels', async (t) => {
  const { endpoints, traffic, client } = setup();
  t.after(() => {
    client.close();
    traffic.close();
  });
  endpoints.set(endpoint(undefined, true));
  const ac = new AbortController();
  const call = client.call(
    { kind: 'service', namespace: 'default', name: 'iris', path: '/v1/models/iris:predict' },
    Buffer.from('{}'),
    {},
    ac.signal,
    5_000,
  );
  ac.abort(new Error('client left'));
  await assert.rejects(call, /context canceled/);
  assert.equal(traffic.queued('default/iris/iris-00001'), 0);
});

test("the graph's deadline (spec.timeout) ends a running step with 504, the step timeout with 504 too", async (t) => {
  const { traffic, client } = setup();
  const hanging = http.createServer((req) => req.resume());
  await new Promise<void>((ok) => hanging.listen(0, '127.0.0.1', ok));
  t.after(() => {
    hanging.closeAllConnections();
    hanging.close();
    client.close();
    traffic.close();
  });
  const url = `http://127.0.0.1:${(hanging.address() as { port: number }).port}/`;
  await assert.rejects(client.call({ kind: 'url', url }, Buffer.from('{}'), {}, AbortSignal.timeout(50), 5_000), {
    status: 504,
    message: `Post "${url}": the graph's timeout (spec.timeout) passed`,
  });
  await assert.rejects(client.call({ kind: 'url', url }, Buffer.from('{}'), {}, new AbortController().signal, 50), {
    status: 504,
    message: `Post "${url}": step timed out after 50 ms`,
  });
});

test('with cross-namespace calls off (serve --auth), a serviceUrl to another namespace answers 403', async (t) => {
  const endpoints = new EndpointTable();
  const client = new StepClient({
    endpoints,
    traffic: {} as TrafficRouter,
    domain: 'example.com',
    allowCrossNamespace: false,
  });
  t.after(() => client.close());
  endpoints.set({ ...endpoint(1, false), namespace: 'team-b' });
  const target = client.serviceForUrl('http://iris.team-b.example.com/v1/models/iris:predict', 'team-a');
  const answer = await client.call(target, Buffer.from('{}'), {}, new AbortController().signal, 5_000);
  assert.equal(answer.status, 403);
  assert.match(
    answer.body.toString(),
    /a graph in namespace team-a may not call InferenceService iris of namespace team-b/,
  );
  const same = client.serviceForUrl('http://iris.team-b.example.com/v1/models/iris:predict', 'team-b');
  assert.equal(same.kind, 'service');
});
