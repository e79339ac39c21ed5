// The gateway routing by ServiceEndpoint.routes (issue 14, scope B), against hand-made endpoints and real
// upstream servers on 127.0.0.1: the weighted split over V1, V2 REST and gRPC, tag hosts, least outstanding
// replicas, containerConcurrency with its bounded queue, the activator's hold, outlier ejection, the
// revision timeout, TrafficStats returning to zero, and `GET /metrics`.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { AuthGate } from '../../src/auth/auth-gate.js';
import { createGateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable, type ReplicaTarget, type RevisionRoute } from '../../src/routing/endpoint-table.js';
import { inferenceClient } from '../server/grpc-client.js';
import { identityModel, type Reply, request } from '../server/helpers.js';
import { nextEvent, waitUntil } from '../support/wait.js';
import { startReplica } from './helpers.js';

interface Upstream {
  port: number;
  name: string;
  /** Requests seen per path. */
  hits: Map<string, number>;
  total(): number;
  /** Most requests it had in flight at once. */
  maxInFlight: number;
  inFlight: number;
  /** Requests whose client (the gateway) went away before the answer. */
  aborted: number;
}

/** `gate`: each answer waits for the promise it returns (then `delayMs`), so a test decides when. */
type Behaviour = { delayMs?: number; status?: number; hang?: boolean; gate?: () => Promise<void> };

/** A replica stand-in: answers `{"who": name}` after `delayMs`, counting its own concurrency. */
async function upstream(t: TestContext, name: string, behave: Behaviour = {}): Promise<Upstream> {
  const u: Upstream = {
    port: 0,
    name,
    hits: new Map(),
    total: () => [...u.hits.values()].reduce((a, b) => a + b, 0),
    maxInFlight: 0,
    inFlight: 0,
    aborted: 0,
  };
  const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const path = req.url ?? '/';
    u.hits.set(path, (u.hits.get(path) ?? 0) + 1);
    u.inFlight++;
    u.maxInFlight = Math.max(u.maxInFlight, u.inFlight);
    let answered = false;
    res.on('close', () => {
      u.inFlight--;
      if (!answered) u.aborted++;
    });
    req.resume();
    const answer = () => {
      answered = true;
      const body = JSON.stringify({ who: name });
      res.writeHead(behave.status ?? 200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    req.on('end', () => {
      if (behave.hang) return;
      const timed = () => (behave.delayMs ? setTimeout(answer, behave.delayMs) : answer());
      if (behave.gate) void behave.gate().then(timed);
      else timed();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  u.port = (server.address() as AddressInfo).port;
  return u;
}

function revisionRoute(
  revision: string,
  percent: number,
  replicas: Array<{ port: number; grpcPort?: number }>,
  extra: Partial<RevisionRoute> = {},
): RevisionRoute {
  const key = `default/svc/${revision}`;
  const targets: ReplicaTarget[] = replicas.map((r, i) => ({ key: `${key}/${i}`, port: r.port, grpcPort: r.grpcPort }));
  return {
    revision,
    key,
    percent,
    latestRevision: false,
    replicas: targets,
    activating: false,
    containerConcurrency: 0,
    ...extra,
  };
}

function publishRoutes(endpoints: EndpointTable, routes: RevisionRoute[], name = 'svc'): void {
  const main = routes.find((r) => r.replicas.length > 0);
  endpoints.set({
    namespace: 'default',
    name,
    modelName: name,
    routes,
    port: main?.replicas[0]?.port,
    grpcPort: main?.replicas[0]?.grpcPort,
    revision: main?.revision,
    starting: routes.some((r) => r.activating),
  });
}

async function gatewayOn(t: TestContext, endpoints: EndpointTable, extra: Partial<GatewayOptions> = {}) {
  const gw = createGateway({
    endpoints,
    controlPlane: [],
    domain: 'example.com',
    holdTimeoutMs: 5_000,
    log: silentLogger,
    ...extra,
  });
  await new Promise<void>((r) => gw.server.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  t.after(() => {
    agent.destroy();
    gw.close();
  });
  return { gw, port: (gw.server.address() as AddressInfo).port, agent };
}

const V2_BODY = '{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1]}]}';

/** Runs `n` calls of `one` with `concurrency` at a time. */
async function run(n: number, concurrency: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

/** Asserts every counter of the revision and of each replica is back to zero. */
function assertIdle(gw: ReturnType<typeof createGateway>, routes: RevisionRoute[]): void {
  for (const r of routes) {
    const s = gw.stats.snapshot(r.key);
    assert.deepEqual([s.inFlight, s.queued], [0, 0], `${r.key} in flight / queued`);
    for (const rep of r.replicas) assert.equal(gw.stats.inFlightTo(rep.key), 0, `${rep.key} in flight`);
  }
}

test('canary 20/80: 10,000 requests each over V1, V2 REST and gRPC split within ±2 points', async (t) => {
  const endpoints = new EndpointTable();
  const [a, b] = [await upstream(t, 'new'), await upstream(t, 'old')];
  const newModel = identityModel('svc');
  const oldModel = identityModel('svc');
  const [ra, rb] = [await startReplica(t, [newModel]), await startReplica(t, [oldModel])];
  const routes = [
    revisionRoute('svc-predictor-00002', 20, [{ port: a.port, grpcPort: ra.grpcPort }], { latestRevision: true }),
    revisionRoute('svc-predictor-00001', 80, [{ port: b.port, grpcPort: rb.grpcPort }]),
  ];
  publishRoutes(endpoints, routes);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const N = 10_000;
  for (const [path, body] of [
    ['/v1/models/svc:predict', '{"instances":[[1]]}'],
    ['/v2/models/svc/infer', V2_BODY],
  ] as const) {
    await run(N, 8, async () => {
      const r = await request({ port, agent }, 'POST', path, body, { host: 'svc.default.example.com' });
      assert.equal(r.status, 200);
    });
    const share = (100 * (a.hits.get(path) ?? 0)) / N;
    assert.ok(Math.abs(share - 20) <= 2, `${path}: ${share}% to the canary`);
    assert.equal((a.hits.get(path) ?? 0) + (b.hits.get(path) ?? 0), N);
  }
  const c = inferenceClient(`127.0.0.1:${port}`);
  t.after(() => c.close());
  await run(N, 16, async () => {
    await c.ModelInfer({
      model_name: 'svc',
      inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
    });
  });
  const grpcShare = (100 * newModel.calls) / N;
  assert.ok(Math.abs(grpcShare - 20) <= 2, `gRPC: ${grpcShare}% to the canary`);
  assert.equal(newModel.calls + oldModel.calls, N);
  await waitUntil(() => gw.stats.snapshot(routes[0]!.key).inFlight === 0, 'the last gRPC stream closes');
  assertIdle(gw, routes);
  const s = gw.stats.snapshot(routes[0]!.key);
  assert.equal(s.requestsTotal, a.total() + newModel.calls);
});

test('tag hosts reach their revision only; an unknown tag is 404 JSON (REST and gRPC)', async (t) => {
  const endpoints = new EndpointTable();
  const [a, b] = [await upstream(t, 'new'), await upstream(t, 'old')];
  publishRoutes(endpoints, [
    revisionRoute('r2', 10, [{ port: a.port }], { tag: 'latest', latestRevision: true }),
    revisionRoute('r1', 90, [{ port: b.port }], { tag: 'prev' }),
  ]);
  const { port, agent } = await gatewayOn(t, endpoints);
  const who = async (host: string) => {
    const r = await request({ port, agent }, 'POST', '/v2/models/svc/infer', V2_BODY, { host });
    return r.status === 200 ? (JSON.parse(r.body) as { who: string }).who : `${r.status} ${r.body}`;
  };
  for (let i = 0; i < 20; i++) {
    assert.equal(await who('latest-svc-predictor.default.example.com'), 'new');
    assert.equal(await who('prev-svc-predictor.default.example.com:8080'), 'old');
    assert.equal(await who('latest-svc-predictor.default.svc.cluster.local'), 'new');
  }
  publishRoutes(endpoints, [revisionRoute('r1', 100, [{ port: b.port }])]); // tag routing off
  const r = await request({ port, agent }, 'GET', '/v2/models/svc', undefined, {
    host: 'latest-svc-predictor.default.example.com',
  });
  assert.equal(r.status, 404);
  assert.match(JSON.parse(r.body).error, /no revision tagged "latest".*enable-tag-routing/);
  assert.equal(await who('svc.default.example.com'), 'old');
  // gRPC: the :authority names the tag.
  const latest = identityModel('svc');
  const prev = identityModel('svc');
  const [rl, rp] = [await startReplica(t, [latest]), await startReplica(t, [prev])];
  publishRoutes(endpoints, [
    revisionRoute('r2', 50, [{ port: rl.port, grpcPort: rl.grpcPort }], { tag: 'latest', latestRevision: true }),
    revisionRoute('r1', 50, [{ port: rp.port, grpcPort: rp.grpcPort }], { tag: 'prev' }),
  ]);
  const infer = {
    model_name: 'svc',
    inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
  };
  const c = inferenceClient(`127.0.0.1:${port}`, {
    'grpc.default_authority': 'prev-svc-predictor.default.example.com',
  });
  t.after(() => c.close());
  for (let i = 0; i < 10; i++) await c.ModelInfer(infer);
  assert.deepEqual([latest.calls, prev.calls], [0, 10]);
  const none = inferenceClient(`127.0.0.1:${port}`, {
    'grpc.default_authority': 'prev-other-predictor.default.example.com',
  });
  t.after(() => none.close());
  await assert.rejects(none.ModelInfer(infer), (err: { code: number }) => err.code === 5);
});

test('least outstanding requests: a replica busy with a slow request gets no more while the other is free', async (t) => {
  const endpoints = new EndpointTable();
  const slow = await upstream(t, 'slow', { hang: true });
  const fast = await upstream(t, 'fast');
  const routes = [revisionRoute('r1', 100, [{ port: slow.port }, { port: fast.port }])];
  publishRoutes(endpoints, routes);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  // Idle replicas share sequential requests by rotation.
  const seq = await upstream(t, 'a');
  const seq2 = await upstream(t, 'b');
  const even = [revisionRoute('r0', 100, [{ port: seq.port }, { port: seq2.port }])];
  publishRoutes(endpoints, even, 'even');
  for (let i = 0; i < 100; i++) {
    const r = await request({ port, agent }, 'GET', '/v2/models/even', undefined, { host: 'even.default.example.com' });
    assert.equal(r.status, 200);
  }
  assert.deepEqual([seq.total(), seq2.total()], [50, 50]);
  // One hanging request on the slow replica: the next 50 go to the fast one.
  const hung = http.request({
    port,
    host: '127.0.0.1',
    path: '/v2/models/svc',
    headers: { host: 'svc.default.example.com' },
  });
  hung.on('error', () => {});
  hung.end();
  await waitUntil(() => slow.total() + fast.total() === 1, 'the first request reaches a replica');
  const busy = slow.total() === 1 ? slow : fast;
  const other = busy === slow ? fast : slow;
  if (busy === fast) {
    // it went to the fast one and was answered: send one more to park on the slow one
    const parked = http.request({
      port,
      host: '127.0.0.1',
      path: '/v2/models/svc',
      headers: { host: 'svc.default.example.com' },
    });
    parked.on('error', () => {});
    parked.end();
    await waitUntil(() => slow.total() === 1, 'a request parks on the slow replica');
    t.after(() => parked.destroy());
  }
  const before = slow.total();
  for (let i = 0; i < 50; i++) {
    const r = await request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' });
    assert.equal(r.status, 200);
  }
  assert.equal(slow.total(), before, 'no request joined the busy replica');
  assert.ok(other === fast || other === slow);
  hung.destroy();
  await waitUntil(
    () => gw.stats.inFlightTo(routes[0]!.replicas[0]!.key) === 0,
    'the hung request ends with its client',
  );
});

test('containerConcurrency 1: 20 concurrent requests to a slow upstream, never more than one in flight; all answered', async (t) => {
  const endpoints = new EndpointTable();
  const slow = await upstream(t, 'slow', { delayMs: 20 });
  const routes = [revisionRoute('r1', 100, [{ port: slow.port }], { containerConcurrency: 1 })];
  publishRoutes(endpoints, routes);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const replies = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const r = await request({ port, agent }, 'GET', `/v2/models/svc?i=${i}`, undefined, {
        host: 'svc.default.example.com',
      });
      return r.status;
    }),
  );
  assert.deepEqual(replies, Array(20).fill(200));
  assert.equal(slow.maxInFlight, 1, 'counted inside the upstream');
  assert.equal(slow.total(), 20);
  assertIdle(gw, routes);
});

test('a full queue answers 429 JSON with Retry-After; a queued client that goes away leaves the queue', async (t) => {
  const endpoints = new EndpointTable();
  // The replica holds every answer until the test opens the gate, however slowly a loaded machine delivers
  // the requests: first until all 20 have been let in or refused, later while a queued client goes away.
  let open = () => {};
  let gate = Promise.resolve();
  const closeGate = () => {
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
  };
  closeGate();
  t.after(() => open());
  const slow = await upstream(t, 'slow', { gate: () => gate });
  const routes = [revisionRoute('r1', 100, [{ port: slow.port }], { containerConcurrency: 1 })];
  publishRoutes(endpoints, routes);
  const { gw, port, agent } = await gatewayOn(t, endpoints, { maxQueuedPerRevision: 5 });
  let refusedSoFar = 0;
  const pendingReplies = Array.from({ length: 20 }, () =>
    request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' }).then((r) => {
      if (r.status === 429) refusedSoFar++;
      return r;
    }),
  );
  await waitUntil(() => refusedSoFar === 14, 'fourteen refused while one is in flight and five wait');
  assert.equal(gw.traffic.queued(routes[0]!.key), 5);
  open();
  const replies: Reply[] = await Promise.all(pendingReplies);
  const by = (s: number) => replies.filter((r) => r.status === s);
  assert.equal(by(200).length, 6, '1 in flight + 5 queued');
  assert.equal(by(429).length, 14);
  assert.equal(by(429)[0]!.headers['retry-after'], '1');
  assert.match(JSON.parse(by(429)[0]!.body).error, /requests waiting, the most it holds/);
  assert.equal(slow.maxInFlight, 1);
  // A queued client that disconnects: the queue and the stats forget it; the replica never sees it.
  closeGate();
  const first = http.request({
    port,
    host: '127.0.0.1',
    path: '/v2/models/svc',
    headers: { host: 'svc.default.example.com' },
  });
  first.on('error', () => {});
  first.end();
  await waitUntil(() => gw.stats.snapshot(routes[0]!.key).inFlight === 1, 'one in flight');
  const seen = slow.total();
  const gone = http.request({
    port,
    host: '127.0.0.1',
    path: '/v2/models/svc',
    headers: { host: 'svc.default.example.com' },
  });
  gone.on('error', () => {});
  gone.end();
  await waitUntil(() => gw.traffic.queued(routes[0]!.key) === 1, 'the second is queued');
  gone.destroy();
  await waitUntil(() => gw.traffic.queued(routes[0]!.key) === 0, 'the queue lets it go');
  open();
  await nextEvent(first, 'response', 'the first answer');
  await waitUntil(() => gw.stats.snapshot(routes[0]!.key).inFlight === 0, 'nothing in flight');
  assert.equal(slow.total(), seen, 'the gone request was never sent');
  assertIdle(gw, routes);
  const metrics = await request({ port, agent }, 'GET', '/metrics');
  assert.match(metrics.body, /inferd_gateway_refused_total\{revision="default\/svc\/r1",code="429"\} 14/);
});

test('activator: requests for a revision at zero are held, demand is signalled, answered in arrival order with the cold-start header', async (t) => {
  const endpoints = new EndpointTable();
  const cold = [revisionRoute('r1', 100, [], { activating: true })];
  publishRoutes(endpoints, cold);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const demands: string[] = [];
  gw.stats.on('demand', (key: string) => demands.push(key));
  const replica = await upstream(t, 'r1', { delayMs: 0 });
  // Held one after another (so the arrival order is known), answered by a replica with cc 1 in order.
  const pending: Promise<Reply>[] = [];
  for (let i = 0; i < 5; i++) {
    pending.push(
      request({ port, agent }, 'GET', `/v2/models/svc?n=${i}`, undefined, { host: 'svc.default.example.com' }),
    );
    await waitUntil(() => gw.stats.snapshot(cold[0]!.key).queued === i + 1, `request ${i} is held`);
  }
  assert.deepEqual(demands, Array(5).fill('default/svc/r1'));
  const arrived: string[] = [];
  replica.hits.clear();
  const warm = [revisionRoute('r1', 100, [{ port: replica.port }], { containerConcurrency: 1 })];
  const watch = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (replica.total() === 5) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  publishRoutes(endpoints, warm);
  const replies = await Promise.all(pending);
  await watch;
  for (const [path] of replica.hits) arrived.push(path);
  assert.deepEqual(
    arrived,
    [0, 1, 2, 3, 4].map((i) => `/v2/models/svc?n=${i}`),
  );
  for (const r of replies) {
    assert.equal(r.status, 200);
    assert.ok(Number(r.headers['x-inferd-cold-start-ms']) >= 0, 'the cold start is in a header');
  }
  assert.ok(
    Number(replies[0]!.headers['x-inferd-cold-start-ms']) >= Number(replies[4]!.headers['x-inferd-cold-start-ms']),
  );
  // A warm request carries no cold-start header.
  const warmReply = await request({ port, agent }, 'GET', '/v2/models/svc', undefined, {
    host: 'svc.default.example.com',
  });
  assert.equal(warmReply.headers['x-inferd-cold-start-ms'], undefined);
  assertIdle(gw, warm);
  const metrics = await request({ port, agent }, 'GET', '/metrics');
  assert.match(metrics.body, /inferd_gateway_cold_start_seconds_count 5/);
});

test('activator: a held request times out with 503 JSON and Retry-After; a failed start answers at once with the reason', async (t) => {
  const endpoints = new EndpointTable();
  const cold = [revisionRoute('r1', 100, [], { activating: true })];
  publishRoutes(endpoints, cold);
  // The second request must still be held when the test sees it queued and publishes the failure: with 150 ms,
  // a loaded machine could time it out first (503 "no replica started" instead of the reason).
  const { gw, port, agent } = await gatewayOn(t, endpoints, { holdTimeoutMs: 1_500 });
  const r = await request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' });
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '5');
  assert.match(JSON.parse(r.body).error, /not ready: no replica started within \d+ ms/);
  const held = request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' });
  await waitUntil(() => gw.stats.snapshot(cold[0]!.key).queued === 1, 'held');
  endpoints.set({
    namespace: 'default',
    name: 'svc',
    modelName: 'svc',
    routes: [revisionRoute('r1', 100, [], { activating: false })],
    port: undefined,
    revision: 'r1',
    starting: false,
    reason: 'ModelLoadFailed',
    message: 'bad pickle',
  });
  const failed = await held;
  assert.equal(failed.status, 503);
  assert.match(JSON.parse(failed.body).error, /not ready: ModelLoadFailed: bad pickle/);
  assertIdle(gw, cold);
});

test('outlier ejection: a replica answering 5xx 5 times in a row leaves the rotation; the last one never does', async (t) => {
  const endpoints = new EndpointTable();
  const bad = await upstream(t, 'bad', { status: 500 });
  const good = await upstream(t, 'good');
  const routes = [revisionRoute('r1', 100, [{ port: bad.port }, { port: good.port }])];
  publishRoutes(endpoints, routes);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const get = () => request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' });
  const codes: number[] = [];
  for (let i = 0; i < 40; i++) codes.push((await get()).status);
  assert.equal(bad.total(), 5, 'ejected after its 5th failure');
  assert.equal(codes.filter((c) => c === 500).length, 5);
  assert.ok(gw.traffic.outlier.ejected(routes[0]!.replicas[0]!.key));
  // A revision whose only replica fails keeps getting its requests (never ejected: the last healthy one).
  const alone = await upstream(t, 'alone', { status: 503 });
  publishRoutes(endpoints, [revisionRoute('r9', 100, [{ port: alone.port }])], 'solo');
  for (let i = 0; i < 10; i++) {
    const r = await request({ port, agent }, 'GET', '/v2/models/solo', undefined, { host: 'solo.default.example.com' });
    assert.equal(r.status, 503);
  }
  assert.equal(alone.total(), 10);
  const metrics = await request({ port, agent }, 'GET', '/metrics');
  assert.match(metrics.body, /inferd_gateway_ejections_total\{replica="default\/svc\/r1\/0"\} 1/);
  assert.match(
    metrics.body,
    /inferd_gateway_requests_total\{namespace="default",service="svc",component="predictor",revision="r1",protocol="v2",code="500"\} 5/,
  );
});

test("the revision's timeout: 504 JSON, and the replica sees the request aborted (REST and gRPC)", async (t) => {
  const endpoints = new EndpointTable();
  const hang = await upstream(t, 'hang', { hang: true });
  const routes = [revisionRoute('r1', 100, [{ port: hang.port }], { timeoutMs: 150 })];
  publishRoutes(endpoints, routes);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const r = await request({ port, agent }, 'POST', '/v2/models/svc/infer', V2_BODY, {
    host: 'svc.default.example.com',
  });
  assert.equal(r.status, 504);
  assert.match(JSON.parse(r.body).error, /did not answer within 150 ms/);
  await waitUntil(() => hang.aborted === 1, 'the upstream request is aborted');
  assertIdle(gw, routes);
  // gRPC: DEADLINE_EXCEEDED from the gateway.
  const model = identityModel('svc');
  const slowModel = { ...model, predict: () => new Promise(() => {}) } as unknown as typeof model;
  const replica = await startReplica(t, [slowModel]);
  const groutes = [revisionRoute('g1', 100, [{ port: replica.port, grpcPort: replica.grpcPort }], { timeoutMs: 150 })];
  publishRoutes(endpoints, groutes);
  const c = inferenceClient(`127.0.0.1:${port}`);
  t.after(() => c.close());
  await assert.rejects(
    c.ModelInfer({
      model_name: 'svc',
      inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
    }),
    (err: { code: number; details: string }) => {
      assert.equal(err.code, 4, err.details);
      return true;
    },
  );
  await waitUntil(() => gw.stats.snapshot(groutes[0]!.key).inFlight === 0, 'the gRPC lease ends');
});

test('GET /metrics: gauges per revision; with auth on, a viewer token reads it, none is 401, a predictor 403', async (t) => {
  const endpoints = new EndpointTable();
  const up = await upstream(t, 'up');
  publishRoutes(endpoints, [revisionRoute('r1', 100, [{ port: up.port }])]);
  const auth = new AuthGate({
    required: true,
    log: silentLogger,
    verifiers: [
      (bearer) =>
        bearer === 'viewer' || bearer === 'predictor'
          ? {
              identity: {
                user: `token:${bearer}`,
                groups: [],
                source: 'token',
                grants: [{ role: bearer, namespace: 'team' }],
              },
            }
          : undefined,
    ],
  });
  const { gw, port, agent } = await gatewayOn(t, endpoints, { auth });
  gw.metrics.register({ collect: (out) => out.push('inferd_autoscaler_desired_replicas{revision="x"} 3') });
  const get = (token?: string) =>
    request({ port, agent }, 'GET', '/metrics', undefined, token ? { authorization: `Bearer ${token}` } : {});
  const none = await get();
  assert.equal(none.status, 401);
  assert.equal((await get('predictor')).status, 403);
  const ok = await get('viewer');
  assert.equal(ok.status, 200);
  assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(ok.body, /inferd_gateway_in_flight\{revision="default\/svc\/r1"\} 0/);
  assert.match(ok.body, /inferd_gateway_queued\{revision="default\/svc\/r1"\} 0/);
  assert.match(ok.body, /inferd_autoscaler_desired_replicas\{revision="x"\} 3/);
});

test('an endpoint published without routes (starting, then ready under a revision) still holds and marks the cold start', async (t) => {
  const endpoints = new EndpointTable();
  const base = { namespace: 'default', name: 'svc', modelName: 'svc', grpcPort: undefined };
  endpoints.set({ ...base, port: undefined, revision: undefined, starting: true });
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const up = await upstream(t, 'up');
  const held = request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' });
  await waitUntil(() => gw.stats.snapshot('default/svc/unknown').queued === 1, 'held');
  endpoints.set({ ...base, port: up.port, revision: 'svc-predictor-00001', starting: false });
  const r = await held;
  assert.equal(r.status, 200);
  assert.ok(Number(r.headers['x-inferd-cold-start-ms']) >= 0);
  assert.equal(gw.stats.snapshot('default/svc/unknown').queued, 0);
  assert.equal(gw.stats.snapshot('default/svc/svc-predictor-00001').inFlight, 0);
});

test('canary changes under continuous load (100/0 → 20/80 → 0/100 → rollback) see only 200s', async (t) => {
  const endpoints = new EndpointTable();
  const [v1, v2] = [await upstream(t, 'v1', { delayMs: 2 }), await upstream(t, 'v2', { delayMs: 2 })];
  const at = (p: number) => [
    revisionRoute('r2', p, [{ port: v2.port }], { latestRevision: true }),
    revisionRoute('r1', 100 - p, [{ port: v1.port }]),
  ];
  publishRoutes(endpoints, at(0));
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const codes = new Map<number, number>();
  let stop = false;
  const load = Promise.all(
    Array.from({ length: 8 }, async () => {
      while (!stop) {
        const r = await request({ port, agent }, 'POST', '/v2/models/svc/infer', V2_BODY, {
          host: 'svc.default.example.com',
        });
        codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
      }
    }),
  );
  const sent = () => v1.total() + v2.total();
  for (const p of [0, 20, 100, 0, 100]) {
    const before = sent();
    publishRoutes(endpoints, at(p));
    await waitUntil(() => sent() >= before + 100, `100 requests at ${p}%`);
  }
  stop = true;
  await load;
  assert.deepEqual([...codes.keys()], [200]);
  assert.ok(v2.total() > 100 && v1.total() > 100);
  assertIdle(gw, at(0));
});

test('gRPC: a call for a revision at zero is held, demand is signalled, and the answer carries the cold-start header', async (t) => {
  const endpoints = new EndpointTable();
  publishRoutes(endpoints, [revisionRoute('r1', 100, [], { activating: true })]);
  const { gw, port } = await gatewayOn(t, endpoints);
  const demanded = nextEvent(gw.stats, 'demand', 'the held call signals demand');
  const c = inferenceClient(`127.0.0.1:${port}`);
  t.after(() => c.close());
  const headers = new Promise<Record<string, unknown>>((resolve, reject) => {
    const call = (
      c.raw as unknown as Record<
        string,
        (...a: unknown[]) => { on(e: string, f: (m: { getMap(): Record<string, unknown> }) => void): void }
      >
    ).ModelInfer!.call(
      c.raw,
      { model_name: 'svc', inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }] },
      (err: Error | null) => (err ? reject(err) : undefined),
    );
    call.on('metadata', (md) => resolve(md.getMap()));
  });
  assert.deepEqual(await demanded, ['default/svc/r1']);
  const replica = await startReplica(t, [identityModel('svc')]);
  publishRoutes(endpoints, [revisionRoute('r1', 100, [{ port: replica.port, grpcPort: replica.grpcPort }])]);
  const md = await headers;
  assert.ok(Number(md['x-inferd-cold-start-ms']) >= 0, JSON.stringify(md));
  await waitUntil(() => gw.stats.snapshot('default/svc/r1').inFlight === 0, 'the call ends');
});

test('requests held for a canary that fails to start go to the previous revision instead', async (t) => {
  const endpoints = new EndpointTable();
  const old = await upstream(t, 'old');
  const starting = revisionRoute('r2', 20, [], { activating: true, latestRevision: true });
  publishRoutes(endpoints, [starting, revisionRoute('r1', 80, [{ port: old.port }])]);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const get = () => request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' });
  // The split sends the 3rd of every 5 to r2 (smooth weighted round-robin at 20/80): it is held.
  assert.equal((await get()).status, 200);
  assert.equal((await get()).status, 200);
  const held = get();
  await waitUntil(() => gw.stats.snapshot(starting.key).queued === 1, 'held for r2');
  // r2 failed: the controller still lists it with its share until it rolls back, but it cannot answer.
  publishRoutes(endpoints, [{ ...starting, activating: false }, revisionRoute('r1', 80, [{ port: old.port }])]);
  const r = await held;
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).who, 'old');
  for (let i = 0; i < 10; i++) assert.equal((await get()).status, 200, 'r2 takes no traffic while it cannot answer');
  assert.equal(old.total(), 13);
});

test('a service with no revision yet (first download) holds requests until its first revision is ready', async (t) => {
  const endpoints = new EndpointTable();
  const base = { namespace: 'default', name: 'svc', modelName: 'svc', port: undefined, revision: undefined };
  endpoints.set({ ...base, routes: [], starting: true, reason: 'Downloading', message: 'predictor is downloading' });
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const up = await upstream(t, 'up');
  const held = request({ port, agent }, 'GET', '/v2/models/svc', undefined, { host: 'svc.default.example.com' });
  await waitUntil(() => gw.stats.snapshot('default/svc/').queued === 1, 'held');
  endpoints.set({ ...base, routes: [], starting: true, reason: 'Loading', message: 'predictor is loading' });
  publishRoutes(endpoints, [revisionRoute('r1', 100, [{ port: up.port }])]);
  const r = await held;
  assert.equal(r.status, 200);
  assert.ok(Number(r.headers['x-inferd-cold-start-ms']) >= 0);
  // One that stops starting without a revision answers 503 with its reason at once.
  endpoints.set({
    ...base,
    name: 'bad',
    modelName: 'bad',
    routes: [],
    starting: false,
    reason: 'StorageFailed',
    message: 'no such bucket',
  });
  const bad = await request({ port, agent }, 'GET', '/v2/models/bad', undefined, { host: 'bad.default.example.com' });
  assert.equal(bad.status, 503);
  assert.match(JSON.parse(bad.body).error, /StorageFailed: no such bucket/);
  assert.equal(gw.stats.snapshot('default/svc/').queued, 0);
});

test('50 concurrent requests at zero replicas are all held and all answered once a replica is up', async (t) => {
  const endpoints = new EndpointTable();
  const cold = revisionRoute('r1', 100, [], { activating: true });
  publishRoutes(endpoints, [cold]);
  const { gw, port, agent } = await gatewayOn(t, endpoints);
  const up = await upstream(t, 'up', { delayMs: 5 });
  const all = Array.from({ length: 50 }, () =>
    request({ port, agent }, 'POST', '/v2/models/svc/infer', V2_BODY, { host: 'svc.default.example.com' }),
  );
  await waitUntil(() => gw.stats.snapshot(cold.key).queued === 50, 'all 50 held');
  const warm = revisionRoute('r1', 100, [{ port: up.port }]);
  publishRoutes(endpoints, [warm]);
  const replies = await Promise.all(all);
  assert.deepEqual(
    replies.map((r) => r.status),
    Array(50).fill(200),
  );
  assert.equal(up.total(), 50);
  assertIdle(gw, [warm]);
  // A revision no longer published loses its series; the live one keeps them.
  const metrics = (await request({ port, agent }, 'GET', '/metrics')).body;
  assert.match(
    metrics,
    /inferd_gateway_requests_total\{namespace="default",service="svc",component="predictor",revision="r1",protocol="v2",code="200"\} 50/,
  );
  endpoints.delete('default', 'svc');
  assert.doesNotMatch((await request({ port, agent }, 'GET', '/metrics')).body, /default\/svc\/r1/);
});
