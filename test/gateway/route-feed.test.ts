// Client-side routing for SDK transformers (issue 15, item 1): a gateway with a predictor listener, two fake
// replicas of two revisions, and the SDK's PredictorClient given the listener's routes feed. Calls go
// straight to the replicas (the gateway's proxy forwards none) split by the revisions' percents, and are
// counted in the gateway's TrafficStats; a revision with no ready replica is held by the gateway (activator)
// and answered once one appears; without a feed everything goes through the gateway.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { createGateway } from '../../src/gateway/gateway.js';
import { feedLine, ROUTES_PATH, TRAFFIC_PATH } from '../../src/gateway/route-feed.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable, type RevisionRoute } from '../../src/routing/endpoint-table.js';
import { PredictorListeners } from '../../src/routing/predictor-listeners.js';
import { PredictorClient } from '../../src/sdk/predictor-client.js';

interface FakeReplica {
  port: number;
  /** Requests it answered, and the Host each came with. */
  hosts: string[];
}

async function fakeReplica(t: TestContext, answer: number): Promise<FakeReplica> {
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hosts.push(req.headers.host ?? '');
      const body = JSON.stringify({ predictions: [answer] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, hosts };
}

function route(rev: string, percent: number, replica: FakeReplica | undefined, extra: Partial<RevisionRoute> = {}) {
  const key = `default/svc-predictor/${rev}`;
  return {
    revision: rev,
    key,
    percent,
    latestRevision: false,
    replicas: replica ? [{ key: `${key}/r0`, port: replica.port }] : [],
    activating: replica === undefined,
    containerConcurrency: 0,
    ...extra,
  } satisfies RevisionRoute;
}

function publish(endpoints: EndpointTable, routes: RevisionRoute[]): void {
  const first = routes.find((r) => r.replicas.length > 0);
  endpoints.set({
    namespace: 'default',
    name: 'svc-predictor',
    modelName: '',
    routes,
    port: first?.replicas[0]?.port,
    revision: first?.revision,
    starting: first === undefined,
  });
}

async function setup(t: TestContext) {
  const endpoints = new EndpointTable();
  const gw = createGateway({
    endpoints,
    controlPlane: [],
    domain: 'example.com',
    holdTimeoutMs: 10_000,
    log: silentLogger,
  });
  await new Promise<void>((r) => gw.server.listen(0, '127.0.0.1', r));
  const listeners = new PredictorListeners((s) => gw.acceptLoopback(s));
  const port = await listeners.open('default/svc', 'svc-predictor.default.example.com');
  t.after(async () => {
    gw.close(); // first: it closes the feed connections the listener handed it, which closeAll waits for
    await listeners.closeAll();
  });
  return { endpoints, gw, host: `127.0.0.1:${port}`, feed: `http://127.0.0.1:${port}${ROUTES_PATH}` };
}

/** Bounded wait on a condition that changes on I/O (feed lines, reports arriving). */
async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('calls go straight to the replicas, split 20/80 by the revisions, and are counted by the gateway', async (t) => {
  const { endpoints, gw, host, feed } = await setup(t);
  const a = await fakeReplica(t, 1);
  const b = await fakeReplica(t, 2);
  const routes = [route('svc-predictor-00001', 20, a), route('svc-predictor-00002', 80, b)];
  publish(endpoints, routes);
  const client = new PredictorClient({ host, routeFeed: feed });
  t.after(() => client.close());
  await until('the routes feed', () => client.routingDirectly);
  const got = new Map<number, number>();
  for (let i = 0; i < 200; i++) {
    const r = (await client.predictV1('svc', { instances: [[1, 2, 3, 4]] })) as { predictions: number[] };
    got.set(r.predictions[0]!, (got.get(r.predictions[0]!) ?? 0) + 1);
  }
  // Smooth weighted round-robin: exact shares.
  assert.deepEqual([got.get(1), got.get(2)], [40, 160]);
  assert.equal(gw.proxy.stats().pooled + gw.proxy.stats().fallback, 0, 'the gateway forwarded none of them');
  assert.ok([...a.hosts, ...b.hosts].every((h) => h.startsWith('127.0.0.1:')));
  // The reports arrive in batches: the gateway's counters (rps, concurrency) then include every call.
  await until('the traffic reports', () => gw.stats.snapshot(routes[1]!.key).requestsTotal === 160);
  assert.equal(gw.stats.snapshot(routes[0]!.key).requestsTotal, 40);
  await until('every call ended', () => gw.stats.snapshot(routes[1]!.key).inFlight === 0);
  assert.ok(gw.stats.snapshot(routes[1]!.key).concurrencyMsTotal > 0, 'durations credited to the concurrency integral');
  assert.match(
    gw.metrics.render(),
    /inferd_gateway_requests_total\{namespace="default",service="svc-predictor",component="predictor",revision="svc-predictor-00002",protocol="other",code="200"\} 160/,
  );
});

test('a revision with no ready replica (scaled to zero) is held by the gateway, then answered', async (t) => {
  const { endpoints, gw, host, feed } = await setup(t);
  publish(endpoints, [route('svc-predictor-00001', 100, undefined)]);
  const client = new PredictorClient({ host, routeFeed: feed });
  t.after(() => client.close());
  await until('the routes feed', () => client.routingDirectly);
  let demanded = false;
  gw.stats.once('demand', () => {
    demanded = true;
  });
  const pending = client.predictV1('svc', { instances: [[1, 2, 3, 4]] });
  await until('the activator holding the call', () => demanded);
  const a = await fakeReplica(t, 7);
  publish(endpoints, [route('svc-predictor-00001', 100, a)]);
  assert.deepEqual(await pending, { predictions: [7] });
  // Held and sent by the gateway (the SDK had no replica to pick).
  assert.equal(gw.proxy.stats().pooled + gw.proxy.stats().fallback, 1);
  assert.equal(a.hosts.length, 1);
});

test('containerConcurrency stays the gateway’s to keep: such a revision is called through it', async (t) => {
  const { endpoints, gw, host, feed } = await setup(t);
  const a = await fakeReplica(t, 3);
  publish(endpoints, [route('svc-predictor-00001', 100, a, { containerConcurrency: 1 })]);
  const client = new PredictorClient({ host, routeFeed: feed });
  t.after(() => client.close());
  await until('the routes feed', () => client.routingDirectly);
  assert.deepEqual(await client.predictV1('svc', { instances: [[1]] }), { predictions: [3] });
  assert.equal(gw.proxy.stats().pooled + gw.proxy.stats().fallback, 1);
});

test('without a routes feed every call goes through PREDICTOR_HOST (the gateway)', async (t) => {
  const { endpoints, gw, host } = await setup(t);
  const a = await fakeReplica(t, 4);
  publish(endpoints, [route('svc-predictor-00001', 100, a)]);
  const client = new PredictorClient({ host, routeFeed: false });
  t.after(() => client.close());
  assert.equal(client.routingDirectly, false);
  assert.deepEqual(await client.predictV1('svc', { instances: [[1]] }), { predictions: [4] });
  assert.equal(gw.proxy.stats().pooled + gw.proxy.stats().fallback, 1);
});

test('the feed and traffic paths answer only on a predictor listener, never on the gateway port', async (t) => {
  const { gw } = await setup(t);
  const port = (gw.server.address() as AddressInfo).port;
  for (const path of [ROUTES_PATH, TRAFFIC_PATH]) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path, method: path === ROUTES_PATH ? 'GET' : 'POST' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 404, path);
  }
});

test('a traffic stream that ends ends the calls it began (no in-flight count left behind)', async (t) => {
  const { endpoints, gw, host } = await setup(t);
  const a = await fakeReplica(t, 1);
  const routes = [route('svc-predictor-00001', 100, a)];
  publish(endpoints, routes);
  const [h, p] = host.split(':') as [string, string];
  const req = http.request({
    host: h,
    port: Number(p),
    path: TRAFFIC_PATH,
    method: 'POST',
    headers: { 'transfer-encoding': 'chunked' },
  });
  req.on('error', () => undefined);
  req.write(`b 1 ${routes[0]!.key} ${routes[0]!.replicas[0]!.key}\n`);
  await until('the begin counted', () => gw.stats.snapshot(routes[0]!.key).inFlight === 1);
  req.destroy();
  await until('the stream ended', () => gw.stats.snapshot(routes[0]!.key).inFlight === 0);
  assert.equal(gw.stats.inFlightTo(routes[0]!.replicas[0]!.key), 0);
});

/** Sends `body` as a whole traffic stream to the gateway at `host`; resolves once its answer has ended. */
function postTrafficStream(host: string, body: string): Promise<void> {
  const [h, p] = host.split(':') as [string, string];
  return new Promise<void>((resolve, reject) => {
    const req = http.request({ host: h, port: Number(p), path: TRAFFIC_PATH, method: 'POST' }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('BAD CALL - a traffic stream that begins one id twice leaves no in-flight count behind', async (t) => {
  const { endpoints, gw, host } = await setup(t);
  const a = await fakeReplica(t, 1);
  const routes = [route('svc-predictor-00001', 100, a)];
  publish(endpoints, routes);
  const begin = (id: string) => `b ${id} ${routes[0]!.key} ${routes[0]!.replicas[0]!.key}\n`;
  // Id 1 begun three times used to replace its lease twice: two in-flight calls nobody could end any more. Once
  // the stream has ended on the gateway, everything it began is ended.
  await postTrafficStream(host, `${begin('1')}${begin('1')}${begin('1')}${begin('2')}e 1 200 1\ne 2 200 1\n`);
  assert.equal(gw.stats.snapshot(routes[0]!.key).inFlight, 0);
  assert.equal(gw.stats.inFlightTo(routes[0]!.replicas[0]!.key), 0);
});

test('BAD CALL - a call reported longer than its traffic stream has been open credits no more than that', async (t) => {
  const { endpoints, gw, host } = await setup(t);
  const a = await fakeReplica(t, 1);
  const routes = [route('svc-predictor-00001', 100, a)];
  publish(endpoints, routes);
  const before = gw.stats.snapshot(routes[0]!.key).concurrencyMsTotal;
  const started = Date.now();
  const begin = (id: string) => `b ${id} ${routes[0]!.key} ${routes[0]!.replicas[0]!.key}\n`;
  // 1e308 ms and Infinity used to go into the revision's concurrency as they were (the autoscaler's input).
  await postTrafficStream(host, `${begin('1')}${begin('2')}e 1 200 1e308\ne 2 200 Infinity\n`);
  const credited = gw.stats.snapshot(routes[0]!.key).concurrencyMsTotal - before;
  // Each of the two calls: at most the time it was in flight plus the time the stream was open before it began.
  assert.ok(Number.isFinite(credited) && credited <= 4 * (Date.now() - started), `credited ${credited} ms`);
});

test('feedLine carries what a client needs to route, nothing of another service', () => {
  const line = feedLine({
    namespace: 'default',
    name: 'svc-predictor',
    modelName: '',
    routes: [route('r1', 100, { port: 9, hosts: [] }, { timeoutMs: 1500 })],
    port: 9,
    revision: 'r1',
    starting: false,
  });
  assert.deepEqual(JSON.parse(line), {
    routes: [
      {
        revision: 'r1',
        key: 'default/svc-predictor/r1',
        percent: 100,
        activating: false,
        containerConcurrency: 0,
        timeoutMs: 1500,
        replicas: [{ key: 'default/svc-predictor/r1/r0', host: '127.0.0.1', port: 9 }],
      },
    ],
  });
  assert.equal(feedLine(undefined), '{"routes":[]}\n');
});
