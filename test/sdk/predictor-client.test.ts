// The predictor client a transformer uses: V1/V2 REST and gRPC against a real SDK model server, keep-alive
// connection reuse, forwarded request ids, and failures as InferdErrors (unreachable, too slow, the
// predictor's own 4xx) — never a hang.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  InferdError,
  InferRequest,
  InferResponse,
  Model,
  ModelServer,
  type Payload,
  PredictorClient,
  type RequestContext,
  type Result,
  tensor,
  type V1Request,
} from '../../src/index.js';
import { silentLogger } from '../../src/log.js';

/** Doubles V1 instances and V2 inputs; remembers the request ids it saw. */
class Doubler extends Model {
  readonly ids: string[] = [];
  override async predict(payload: Payload, ctx: RequestContext): Promise<Result> {
    this.ids.push(ctx.requestId);
    if (ctx.protocol === 'v1') {
      const rows = (payload as V1Request).instances as number[];
      if (rows.some((r) => typeof r !== 'number')) throw new InferdError('INVALID_INPUT', 'numbers only');
      return { predictions: rows.map((r) => r * 2) };
    }
    const x = (payload as InferRequest).inputs[0]!;
    const out = Float32Array.from(x.asFloat32(), (v) => v * 2);
    return new InferResponse(this.name, [tensor('y', x.shape, out)], (payload as InferRequest).id);
  }
}

async function predictor(t: { after(fn: () => unknown): void }) {
  const model = new Doubler('d');
  const server = new ModelServer({ httpPort: 0, grpcPort: 0, log: silentLogger });
  await server.start([model]);
  t.after(() => server.stop(1_000));
  return { model, server, host: `127.0.0.1:${server.httpPort}`, grpcHost: `127.0.0.1:${server.grpcPort}` };
}

test('V1 and V2 REST against an SDK model server, forwarding x-request-id', async (t) => {
  const p = await predictor(t);
  const client = new PredictorClient({ host: p.host, protocol: 'v2' });
  t.after(() => client.close());
  const v1 = await client.predictV1('d', { instances: [1, 2.5] }, { headers: { 'x-request-id': 'r-1' } });
  assert.deepEqual(v1, { predictions: [2, 5] });
  for (let i = 0; i < 3; i++) {
    const res = await client.infer(
      'd',
      new InferRequest('d', [tensor('x', [2], new Float32Array([1, i]))], `id-${i}`),
      { headers: { 'x-request-id': `r-${i + 2}` } },
    );
    assert.equal(res.id, `id-${i}`);
    assert.deepEqual([...res.output('y').asFloat32()], [2, 2 * i]);
  }
  assert.deepEqual(p.model.ids, ['r-1', 'r-2', 'r-3', 'r-4']);
});

test('a plain V2 body (a transformer whose preprocess returned a dict, protocol v2) goes to /infer as it is, as KServe sends it', async (t) => {
  const p = await predictor(t);
  class Passing extends Model {}
  const transformer = new Passing('d', { predictorHost: p.host, protocol: 'v2' });
  t.after(() => transformer.unload());
  const ctx = { headers: {}, requestId: 'r', protocol: 'v1' as const, signal: new AbortController().signal };
  const res = await transformer.predict({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [3] }] }, ctx);
  assert.ok(res instanceof InferResponse);
  assert.deepEqual([...res.output('y').asFloat32()], [6]);
  const g = new PredictorClient({ host: p.grpcHost, protocol: 'grpc-v2' });
  t.after(() => g.close());
  await assert.rejects(g.inferJson('d', { inputs: [] }), { code: 'INVALID_INPUT', message: /takes an InferRequest/ });
});

test('keep-alive: sequential calls open one TCP connection', async (t) => {
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"predictions":[1]}');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = new PredictorClient({ host: `127.0.0.1:${(server.address() as AddressInfo).port}` });
  t.after(() => client.close());
  for (let i = 0; i < 5; i++) assert.deepEqual(await client.predictV1('m', { instances: [1] }), { predictions: [1] });
  assert.equal(connections, 1);
});

test('gRPC: infer over grpc-v2 with raw tensors, the id and values come back', async (t) => {
  const p = await predictor(t);
  const client = new PredictorClient({ host: p.grpcHost, protocol: 'grpc-v2' });
  t.after(() => client.close());
  const res = await client.infer(
    'd',
    new InferRequest('d', [tensor('x', [1, 3], new Float32Array([1, 2, 3]))], 'g-1'),
    { headers: { 'x-request-id': 'grpc-req' } },
  );
  assert.equal(res.id, 'g-1');
  assert.deepEqual(res.output('y').shape, [1, 3]);
  assert.deepEqual([...res.output('y').asFloat32()], [2, 4, 6]);
  assert.equal(p.model.ids.at(-1), 'grpc-req');
});

test("EXPECTED FAILURE - the predictor's 400 and 404 keep their codes, with its message and the URL", async (t) => {
  const p = await predictor(t);
  const client = new PredictorClient({ host: p.host });
  t.after(() => client.close());
  await assert.rejects(client.predictV1('d', { instances: ['x'] }), (err: InferdError) => {
    assert.equal(err.code, 'INVALID_INPUT');
    assert.match(
      err.message,
      /^numbers only, '400 Bad Request' for url 'http:\/\/127\.0\.0\.1:\d+\/v1\/models\/d:predict'$/,
    );
    return true;
  });
  await assert.rejects(client.predictV1('nope', { instances: [1] }), { code: 'MODEL_NOT_FOUND' });
  const grpcClient = new PredictorClient({ host: p.grpcHost, protocol: 'grpc-v2' });
  t.after(() => grpcClient.close());
  await assert.rejects(
    grpcClient.infer('nope', new InferRequest('nope', [tensor('x', [1], new Float32Array(1))], 'i')),
    { code: 'MODEL_NOT_FOUND' },
  );
});

test('EXPECTED FAILURE - unreachable predictor is UPSTREAM_UNAVAILABLE (502), REST and gRPC', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const rest = new PredictorClient({ host: `127.0.0.1:${port}` });
  t.after(() => rest.close());
  await assert.rejects(rest.predictV1('m', { instances: [1] }), (err: InferdError) => {
    assert.equal(err.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(err.httpStatus, 502);
    assert.match(err.message, /is not reachable/);
    return true;
  });
  const g = new PredictorClient({ host: `127.0.0.1:${port}`, protocol: 'grpc-v2', timeoutMs: 5_000 });
  t.after(() => g.close());
  await assert.rejects(g.infer('m', new InferRequest('m', [tensor('x', [1], new Float32Array(1))], 'i')), {
    code: 'UPSTREAM_UNAVAILABLE',
  });
});

test('EXPECTED FAILURE - a predictor that never answers is TIMEOUT (504) after timeoutMs; an aborted call stops at once', async (t) => {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => held.push(res)); // never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = new PredictorClient({ host: `127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 200 });
  t.after(() => client.close());
  const t0 = performance.now();
  await assert.rejects(client.predictV1('m', { instances: [1] }), (err: InferdError) => {
    assert.equal(err.code, 'TIMEOUT');
    assert.equal(err.httpStatus, 504);
    assert.match(err.message, /did not answer within 200 ms/);
    return true;
  });
  const took = performance.now() - t0;
  assert.ok(took >= 190 && took < 5_000, `timed out after ${took} ms`);
  const ac = new AbortController();
  const slow = new PredictorClient({ host: `127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 60_000 });
  t.after(() => slow.close());
  const pending = slow.predictV1('m', { instances: [1] }, { signal: ac.signal });
  ac.abort();
  await assert.rejects(pending, { code: 'TIMEOUT', message: /cancelled/ });
});

test('BAD CALL - a host with a scheme is refused, saying the form it wants', () => {
  assert.throws(() => new PredictorClient({ host: 'http://p:80' }), {
    code: 'INVALID_CONFIG',
    message: "predictor host must be host:port without a scheme, got 'http://p:80'",
  });
});
