// The payload logger (spec.predictor.logger): a node:http sink in the test receives every CloudEvent and
// checks it — binary mode, KServe's types, one ce-id per request/response pair, payload bytes as sent —
// and the bounded queue drops (counted) and retries without slowing the request path.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { createModelServer } from '../../src/server/model-server.js';
import { CE_REQUEST_TYPE, CE_RESPONSE_TYPE, type LoggerMode, PayloadLogger } from '../../src/server/payload-logger.js';
import { IrisTestModel, postJson, request } from './helpers.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A CloudEvents sink: answers each event with `answer(n)` (the nth event, from 0) after `delayMs`. */
async function startSink(
  t: TestContext,
  answer: (n: number) => number = () => 200,
  delayMs = 0,
): Promise<{ url: string; events: Received[]; attempts: () => number }> {
  const events: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(n++);
      if (status === 200) events.push({ headers: req.headers, body: Buffer.concat(chunks) });
      setTimeout(() => {
        res.writeHead(status);
        res.end();
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sink`, events, attempts: () => n };
}

async function startLogged(t: TestContext, logger: PayloadLogger) {
  const repo = new ModelRepository();
  repo.add(new IrisTestModel());
  const server = createModelServer({ models: repo, log: silentLogger, payloadLogger: logger });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true });
  t.after(async () => {
    agent.destroy();
    server.closeAllConnections();
    server.close();
    await logger.close(100);
  });
  return { port: (server.address() as AddressInfo).port, agent };
}

const logger = (
  url: string,
  mode: LoggerMode = 'all',
  more: Partial<ConstructorParameters<typeof PayloadLogger>[0]> = {},
) =>
  new PayloadLogger({
    url,
    mode,
    inferenceService: 'sklearn-iris',
    namespace: 'team-a',
    source: 'http://replica-1/',
    log: silentLogger,
    ...more,
  });

const V1 = '{"instances":[[6.8,2.8,4.8,1.4]]}';
const V2 = '{"id":"r2","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4]}]}';

test('mode all: every request and 200 response arrives as a binary CloudEvent with KServe attributes', async (t) => {
  const sink = await startSink(t);
  const plog = logger(sink.url);
  const s = await startLogged(t, plog);
  const r1 = await request(s, 'POST', '/v1/models/sklearn-iris:predict', V1, {
    'content-type': 'application/json',
    'ce-id': 'client-id-1',
  });
  const r2 = await postJson(s, '/v2/models/sklearn-iris/infer', V2);
  const bad = await postJson(s, '/v1/models/sklearn-iris:predict', '{"instances":[[1,2]]}'); // 400: request only
  assert.deepEqual([r1.status, r2.status, bad.status], [200, 200, 400]);
  await plog.drain();
  assert.equal(sink.events.length, 5);
  for (const e of sink.events) {
    const h = e.headers;
    assert.equal(h['ce-specversion'], '1.0');
    assert.ok(h['ce-type'] === CE_REQUEST_TYPE || h['ce-type'] === CE_RESPONSE_TYPE);
    assert.equal(h['ce-source'], 'http://replica-1/');
    assert.equal(h['ce-inferenceservicename'], 'sklearn-iris');
    assert.equal(h['ce-namespace'], 'team-a');
    assert.equal(h['ce-component'], 'predictor');
    assert.equal(h['ce-endpoint'], 'default');
    assert.ok(!Number.isNaN(Date.parse(String(h['ce-time']))));
    assert.equal(h['content-length'], String(e.body.length));
  }
  const byId = new Map<string, Received[]>();
  for (const e of sink.events)
    byId.set(String(e.headers['ce-id']), [...(byId.get(String(e.headers['ce-id'])) ?? []), e]);
  const pair1 = byId.get('client-id-1')!;
  assert.deepEqual(pair1.map((e) => e.headers['ce-type']).sort(), [CE_REQUEST_TYPE, CE_RESPONSE_TYPE]);
  assert.equal(pair1.find((e) => e.headers['ce-type'] === CE_REQUEST_TYPE)!.body.toString(), V1);
  const resp1 = pair1.find((e) => e.headers['ce-type'] === CE_RESPONSE_TYPE)!;
  assert.equal(resp1.body.toString(), r1.body);
  assert.equal(resp1.headers['content-type'], 'application/json');
  const others = [...byId.entries()].filter(([id]) => id !== 'client-id-1');
  assert.equal(others.length, 2);
  for (const [id] of others) assert.match(id, /^[0-9a-f-]{36}$/);
  const v2pair = others.find(([, evs]) => evs.length === 2)![1];
  assert.equal(v2pair.find((e) => e.headers['ce-type'] === CE_RESPONSE_TYPE)!.body.toString(), r2.body);
  const badOnly = others.find(([, evs]) => evs.length === 1)![1][0]!;
  assert.equal(badOnly.headers['ce-type'], CE_REQUEST_TYPE);
});

test('mode request / response send only that side', async (t) => {
  for (const mode of ['request', 'response'] as const) {
    const sink = await startSink(t);
    const plog = logger(sink.url, mode);
    const s = await startLogged(t, plog);
    await postJson(s, '/v1/models/sklearn-iris:predict', V1);
    await plog.drain();
    assert.deepEqual(
      sink.events.map((e) => e.headers['ce-type']),
      [mode === 'request' ? CE_REQUEST_TYPE : CE_RESPONSE_TYPE],
    );
  }
});

test('a failing sink is retried with back-off; a dead one is counted as failed, never slowing requests', async (t) => {
  const flaky = await startSink(t, (n) => (n < 2 ? 500 : 200));
  const plog = logger(flaky.url, 'request', { retryDelayMs: 5 });
  const s = await startLogged(t, plog);
  await postJson(s, '/v1/models/sklearn-iris:predict', V1);
  await plog.drain();
  assert.equal(flaky.attempts(), 3);
  assert.equal(flaky.events.length, 1);
  assert.deepEqual([plog.stats.sent, plog.stats.failed], [1, 0]);

  // Its retry waits 3.5 s: a request that waited for the sink would take that long, past the bound below.
  const dead = logger('http://127.0.0.1:1/nothing-listens', 'all', { retryDelayMs: 3_500, attempts: 2 });
  const d = await startLogged(t, dead);
  const started = performance.now();
  const r = await postJson(d, '/v1/models/sklearn-iris:predict', V1);
  assert.equal(r.body, '{"predictions":[1]}');
  // 3 s: room for a first request through a fresh server on a loaded machine, less than the sink's retry.
  assert.ok(performance.now() - started < 3_000, `answered in ${(performance.now() - started).toFixed(0)} ms`);
  await dead.drain(10_000);
  assert.deepEqual([dead.stats.sent, dead.stats.failed], [0, 2]);
});

test('a full queue drops events and counts them in /metrics; what was queued is delivered', async (t) => {
  const slow = await startSink(t, () => 200, 30);
  const plog = logger(slow.url, 'request', { maxQueue: 2, concurrency: 1 });
  const s = await startLogged(t, plog);
  await Promise.all(Array.from({ length: 10 }, () => postJson(s, '/v1/models/sklearn-iris:predict', V1)));
  await plog.drain();
  assert.equal(plog.stats.sent + plog.stats.dropped, 10);
  assert.ok(plog.stats.dropped >= 5, `dropped ${plog.stats.dropped}`);
  assert.equal(slow.events.length, plog.stats.sent);
  const metrics = await request(s, 'GET', '/metrics');
  assert.match(
    metrics.body,
    new RegExp(`inferd_payload_logger_events_total\\{outcome="dropped"\\} ${plog.stats.dropped}`),
  );
  assert.match(metrics.body, new RegExp(`inferd_payload_logger_events_total\\{outcome="sent"\\} ${plog.stats.sent}`));
});
