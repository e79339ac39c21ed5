// Client-side routing for SDK transformers over gRPC (issue 15, `--protocol grpc-v2`): a gateway with a predictor
// listener, predictor replicas that are real SDK model servers (REST + gRPC ports), and the SDK's PredictorClient
// given the listener's routes feed. ModelInfer calls go straight to the replicas' gRPC ports over the link
// (http/grpc-link.ts), split by the revisions' percents and counted in the gateway's TrafficStats; a revision
// with containerConcurrency, and a replica whose gRPC server does not speak the link (grpc-js here), are called
// through the gateway, pinned to the revision the client picked.

import assert from 'node:assert/strict';
import net from 'node:net';
import { type TestContext, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { createGateway } from '../../src/gateway/gateway.js';
import { ROUTES_PATH } from '../../src/gateway/route-feed.js';
import { LINK_MAGIC } from '../../src/http/grpc-link.js';
import {
  InferRequest,
  InferResponse,
  Model,
  ModelServer,
  type Payload,
  type RequestContext,
  tensor,
} from '../../src/index.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable, type RevisionRoute } from '../../src/routing/endpoint-table.js';
import { PredictorListeners } from '../../src/routing/predictor-listeners.js';
import { PredictorClient } from '../../src/sdk/predictor-client.js';
import { loadServiceDefinition } from '../../src/server/grpc/service.js';

interface FakeReplica {
  port: number;
  grpcPort: number;
  /** Per call: whether it came through the gateway (grpc-js's user-agent) or straight from the client. */
  via: ('gateway' | 'direct')[];
}

/** A predictor replica: an SDK model server whose model answers `answer` and notes how each call came. */
async function sdkReplica(t: TestContext, answer: number): Promise<FakeReplica> {
  const via: FakeReplica['via'] = [];
  class Constant extends Model {
    override async predict(payload: Payload, ctx: RequestContext) {
      via.push(ctx.headers['user-agent'] === undefined ? 'direct' : 'gateway');
      return new InferResponse(this.name, [tensor('out', [1], Float32Array.of(answer))], (payload as InferRequest).id);
    }
  }
  const server = new ModelServer({ httpPort: 0, grpcPort: 0, log: silentLogger });
  await server.start([new Constant('svc')]);
  t.after(() => server.stop());
  return { port: server.httpPort!, grpcPort: server.grpcPort!, via };
}

/** A predictor replica whose gRPC server is grpc-js (a custom container's): it does not speak the link. */
async function grpcJsReplica(t: TestContext, answer: number): Promise<FakeReplica> {
  const via: FakeReplica['via'] = [];
  const server = new grpc.Server();
  const def = loadServiceDefinition();
  server.addService(def, {
    ModelInfer: (call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      via.push(call.metadata.get('user-agent').length > 0 ? 'gateway' : 'direct');
      cb(null, {
        model_name: 'svc',
        model_version: '',
        id: call.request.id,
        parameters: {},
        outputs: [
          { name: 'out', datatype: 'FP32', shape: ['1'], parameters: {}, contents: { fp32_contents: [answer] } },
        ],
        raw_output_contents: [],
      });
    },
  } as grpc.UntypedServiceImplementation);
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  t.after(() => server.forceShutdown());
  return { port: 1, grpcPort, via };
}

/**
 * A replica whose gRPC port speaks the link but closes the connection on the first call it gets over it (a
 * replica that crashed mid-call); HTTP/2 connections (the gateway's relay) are piped to a real SDK replica.
 */
async function droppingReplica(t: TestContext, answer: number): Promise<FakeReplica & { dropped: () => number }> {
  const real = await sdkReplica(t, answer);
  let dropped = 0;
  const server = net.createServer((socket) => {
    socket.once('data', (first: Buffer) => {
      if (first.subarray(0, LINK_MAGIC.length).equals(LINK_MAGIC)) {
        socket.write(LINK_MAGIC);
        socket.once('data', () => {
          dropped++;
          socket.destroy();
        });
        return;
      }
      const upstream = net.connect({ host: '127.0.0.1', port: real.grpcPort }, () => {
        upstream.write(first);
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const grpcPort = (server.address() as net.AddressInfo).port;
  return { port: real.port, grpcPort, via: real.via, dropped: () => dropped };
}

function route(rev: string, percent: number, replica: FakeReplica, extra: Partial<RevisionRoute> = {}) {
  const key = `default/svc-predictor/${rev}`;
  return {
    revision: rev,
    key,
    percent,
    latestRevision: false,
    replicas: [{ key: `${key}/r0`, port: replica.port, grpcPort: replica.grpcPort }],
    activating: false,
    containerConcurrency: 0,
    ...extra,
  } satisfies RevisionRoute;
}

function publish(endpoints: EndpointTable, routes: RevisionRoute[]): void {
  endpoints.set({
    namespace: 'default',
    name: 'svc-predictor',
    modelName: '',
    routes,
    port: routes[0]!.replicas[0]!.port,
    grpcPort: routes[0]!.replicas[0]!.grpcPort,
    revision: routes[0]!.revision,
    starting: false,
  });
}

async function setup(t: TestContext, grpcLink = true) {
  const endpoints = new EndpointTable();
  const gw = createGateway({
    grpcLink,
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
    gw.close();
    await listeners.closeAll();
  });
  return { endpoints, gw, host: `127.0.0.1:${port}`, feed: `http://127.0.0.1:${port}${ROUTES_PATH}` };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const request = (id: string) => new InferRequest('svc', [tensor('x', [1, 4], Float32Array.of(1, 2, 3, 4))], id);

async function answerOf(client: PredictorClient, id: string): Promise<number> {
  const res = await client.infer('svc', request(id), { headers: { 'x-request-id': id } });
  assert.equal(res.id, id);
  return res.outputs[0]!.asFloat32()[0]!;
}

test('gRPC calls go straight to the replicas’ gRPC ports, split 20/80, and are counted by the gateway', async (t) => {
  const { endpoints, gw, host, feed } = await setup(t);
  const a = await sdkReplica(t, 1);
  const b = await sdkReplica(t, 2);
  const routes = [route('svc-predictor-00001', 20, a), route('svc-predictor-00002', 80, b)];
  publish(endpoints, routes);
  const client = new PredictorClient({ host, protocol: 'grpc-v2', routeFeed: feed });
  t.after(() => client.close());
  await until('the routes feed', () => client.routingDirectly);
  // The first calls go through the gateway (pinned to the revision picked) while the links connect.
  // Bounded by time, not by a count of calls (50 fast calls could end before a loaded machine connects a link).
  const warmUntil = Date.now() + 10_000;
  for (let i = 0; Date.now() < warmUntil && !(a.via.includes('direct') && b.via.includes('direct')); i++) {
    await answerOf(client, `warm-${i}`);
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(a.via.includes('direct') && b.via.includes('direct'), 'both links up');
  const before = [a.via.length, b.via.length];
  const got = new Map<number, number>();
  for (let i = 0; i < 200; i++) {
    const v = await answerOf(client, `r-${i}`);
    got.set(v, (got.get(v) ?? 0) + 1);
  }
  // Smooth weighted round-robin: exact shares, every call straight to a replica.
  assert.deepEqual([got.get(1), got.get(2)], [40, 160]);
  assert.deepEqual([...a.via.slice(before[0]), ...b.via.slice(before[1])], Array(200).fill('direct'));
  // Each call, direct (reported) or through the gateway, is counted once for the revision that answered it.
  const counted = () => routes.map((r) => gw.stats.snapshot(r.key).requestsTotal);
  await until('the traffic reports', () => counted()[0] === a.via.length && counted()[1] === b.via.length).catch(
    (err) => assert.fail(`${err.message}: ${counted()} for ${[a.via.length, b.via.length]}`),
  );
});

test('a gRPC predictor error from a replica reaches the transformer as its code', async (t) => {
  const { endpoints, host, feed } = await setup(t);
  const a = await sdkReplica(t, 1);
  publish(endpoints, [route('svc-predictor-00001', 100, a)]);
  const client = new PredictorClient({ host, protocol: 'grpc-v2', routeFeed: feed });
  t.after(() => client.close());
  await until('the routes feed', () => client.routingDirectly);
  const warmUntil = Date.now() + 10_000; // bounded by time: a loaded machine connects the link later
  for (let i = 0; Date.now() < warmUntil && !a.via.includes('direct'); i++) await answerOf(client, `warm-${i}`);
  assert.ok(a.via.includes('direct'));
  await assert.rejects(client.infer('nope', request('x')), { code: 'MODEL_NOT_FOUND' });
});

test('containerConcurrency and a replica without the link: through the gateway, the split kept', async (t) => {
  const { endpoints, host, feed } = await setup(t);
  const a = await sdkReplica(t, 3);
  const b = await grpcJsReplica(t, 4);
  const routes = [
    route('svc-predictor-00001', 50, a, { containerConcurrency: 1 }),
    route('svc-predictor-00002', 50, b),
  ];
  publish(endpoints, routes);
  const client = new PredictorClient({ host, protocol: 'grpc-v2', routeFeed: feed });
  t.after(() => client.close());
  await until('the routes feed', () => client.routingDirectly);
  const got = new Map<number, number>();
  for (let i = 0; i < 40; i++) {
    const v = await answerOf(client, `r-${i}`);
    got.set(v, (got.get(v) ?? 0) + 1);
  }
  // Pinned: the gateway sends each call to the revision the client picked, so 50/50 stays exact.
  assert.deepEqual([got.get(3), got.get(4)], [20, 20]);
  assert.deepEqual([...new Set([...a.via, ...b.via])], ['gateway']);
});

test('a link that closes before its answer: the call goes through the gateway instead, and is answered', async (t) => {
  // The gateway relays over HTTP/2 here, so the only link to the replica is the client's.
  const { endpoints, host, feed } = await setup(t, false);
  const a = await droppingReplica(t, 5);
  publish(endpoints, [route('svc-predictor-00001', 100, a)]);
  const client = new PredictorClient({ host, protocol: 'grpc-v2', routeFeed: feed });
  t.after(() => client.close());
  await until('the routes feed', () => client.routingDirectly);
  // Until the link is up and has dropped a call, every call is answered through the gateway.
  const linkUntil = Date.now() + 10_000; // bounded by time: a loaded machine connects the link later
  for (let i = 0; Date.now() < linkUntil && a.dropped() === 0; i++) {
    assert.equal(await answerOf(client, `r-${i}`), 5);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(a.dropped(), 1, 'a call went over the link and was dropped');
  assert.ok(a.via.length > 0 && a.via.every((v) => v === 'gateway'));
  assert.equal(await answerOf(client, 'after'), 5);
});
