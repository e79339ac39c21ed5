// The gateway's per-request recording (metrics.ts), the access log (access-log.ts) and the replica pages
// (replica-scrape.ts), against a stand-in replica: labels per the metrics contract, --metrics=false, request ids.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { AccessLog, type AccessRecord } from '../../src/gateway/access-log.js';
import { createGateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { httpStatusOfGrpc, protocolOfPath } from '../../src/gateway/metrics.js';
import { mergePage, replicaPages, scrapeReplicas } from '../../src/gateway/replica-scrape.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { request } from '../server/helpers.js';

/** A replica stand-in: 200 `{}` for predict paths, 404 for others, and a /metrics page. */
async function replica(
  t: TestContext,
  page = '# HELP m_total x\n# TYPE m_total counter\nm_total{model_name="svc"} 3\n',
) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(page);
        return;
      }
      const ok = req.url?.includes('/models/svc');
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(ok ? '{"predictions":[1]}' : '{"error":"Model with name x does not exist."}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

async function gatewayWith(t: TestContext, port: number, extra: Partial<GatewayOptions> = {}) {
  const endpoints = new EndpointTable();
  const rev = 'svc-predictor-00001';
  endpoints.set({
    namespace: 'default',
    name: 'svc',
    modelName: 'svc',
    port,
    revision: rev,
    starting: false,
    routes: [
      {
        revision: rev,
        key: `default/svc/${rev}`,
        percent: 100,
        latestRevision: true,
        replicas: [{ key: `default/svc/${rev}`, port }],
        activating: false,
        containerConcurrency: 0,
      },
    ],
  });
  const gw = createGateway({
    endpoints,
    controlPlane: [],
    domain: 'example.com',
    holdTimeoutMs: 1_000,
    log: silentLogger,
    ...extra,
  });
  await new Promise<void>((r) => gw.server.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => {
    agent.destroy();
    gw.close();
  });
  return { gw, s: { port: (gw.server.address() as AddressInfo).port, agent }, endpoints };
}

const LABELS = 'namespace="default",service="svc",component="predictor",revision="svc-predictor-00001"';
const HOST = { host: 'svc.default.example.com' };

test('requests are counted by namespace, service, component, revision, protocol and code, with a latency histogram', async (t) => {
  const up = await replica(t);
  const { s } = await gatewayWith(t, up.port);
  assert.equal((await request(s, 'POST', '/v1/models/svc:predict', '{"instances":[[1]]}', HOST)).status, 200);
  assert.equal((await request(s, 'POST', '/v2/models/svc/infer', '{}', HOST)).status, 200);
  assert.equal((await request(s, 'POST', '/v1/models/other:predict', '{}', HOST)).status, 404);
  assert.equal((await request(s, 'POST', '/v1/models/ghost:predict', '{}')).status, 404); // no service
  const m = (await request(s, 'GET', '/metrics')).body;
  assert.match(m, new RegExp(`inferd_gateway_requests_total\\{${LABELS},protocol="v1",code="200"\\} 1\\n`));
  assert.match(m, new RegExp(`inferd_gateway_requests_total\\{${LABELS},protocol="v2",code="200"\\} 1\\n`));
  assert.match(m, new RegExp(`inferd_gateway_requests_total\\{${LABELS},protocol="v1",code="404"\\} 1\\n`));
  assert.match(
    m,
    /inferd_gateway_requests_total\{namespace="",service="",component="",revision="",protocol="v1",code="404"\} 1\n/,
  );
  assert.match(
    m,
    new RegExp(`inferd_gateway_request_duration_seconds_bucket\\{${LABELS},protocol="v1",le="\\+Inf"\\} 2\\n`),
  );
  assert.match(m, new RegExp(`inferd_gateway_request_duration_seconds_count\\{${LABELS},protocol="v1"\\} 2\\n`));
  // No scheduler in this gateway: desired follows ready.
  assert.match(m, new RegExp(`inferd_replicas\\{${LABELS},state="desired"\\} 1\\n`));
  assert.match(m, new RegExp(`inferd_replicas\\{${LABELS},state="ready"\\} 1\\n`));
  // The replica's own page is not read unless asked for.
  assert.doesNotMatch(m, /m_total/);
});

test('--metrics=false: no per-request series; the gauges stay', async (t) => {
  const up = await replica(t);
  const { s } = await gatewayWith(t, up.port, { recordMetrics: false });
  assert.equal((await request(s, 'POST', '/v1/models/svc:predict', '{}', HOST)).status, 200);
  const m = (await request(s, 'GET', '/metrics')).body;
  assert.doesNotMatch(m, /inferd_gateway_requests_total\{/);
  assert.doesNotMatch(m, /inferd_gateway_request_duration_seconds_bucket\{/);
  assert.match(m, /inferd_replicas\{/);
});

test('access log: one JSON line per request; x-request-id accepted or made up, sent to the replica and returned', async (t) => {
  const up = await replica(t);
  const lines: AccessRecord[] = [];
  const { s } = await gatewayWith(t, up.port, {
    accessLog: AccessLog.to((l) => lines.push(JSON.parse(l) as AccessRecord)),
  });
  const given = await request(s, 'POST', '/v1/models/svc:predict', '{}', { ...HOST, 'x-request-id': 'abc-1' });
  assert.equal(given.headers['x-request-id'], 'abc-1');
  const made = await request(s, 'POST', '/v2/models/svc/infer', '{}', HOST);
  const id = made.headers['x-request-id'];
  assert.match(String(id), /^[0-9a-f-]{36}$/);
  assert.equal(up.seen.at(-1)?.['x-request-id'], id, 'the replica gets the id the client gets');
  const refused = await request(s, 'POST', '/v1/models/ghost:predict', '{}');
  assert.equal(refused.status, 404);
  assert.match(String(refused.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(lines.length, 3);
  const [a, b, c] = lines as [AccessRecord, AccessRecord, AccessRecord];
  assert.deepEqual(
    { ...a, time: undefined, duration_ms: undefined },
    {
      time: undefined,
      request_id: 'abc-1',
      method: 'POST',
      path: '/v1/models/svc:predict',
      namespace: 'default',
      service: 'svc',
      component: 'predictor',
      revision: 'svc-predictor-00001',
      protocol: 'v1',
      status: 200,
      duration_ms: undefined,
    },
  );
  assert.ok(a.duration_ms > 0 && a.duration_ms < 10_000);
  assert.ok(Date.parse(a.time) > 0);
  assert.equal(b.request_id, id);
  assert.equal(b.protocol, 'v2');
  assert.deepEqual([c.service, c.status, c.request_id], ['', 404, refused.headers['x-request-id']]);
});

test('without the access log no request id is made up', async (t) => {
  const up = await replica(t);
  const { s } = await gatewayWith(t, up.port);
  const r = await request(s, 'POST', '/v1/models/svc:predict', '{}', HOST);
  assert.equal(r.headers['x-request-id'], undefined);
  assert.equal(up.seen.at(-1)?.['x-request-id'], undefined);
});

test('replica pages: merged into the gateway page with whose they are; each family declared once', async (t) => {
  const a = await replica(t);
  const { s, endpoints } = await gatewayWith(t, a.port, { replicaMetrics: true });
  const m = (await request(s, 'GET', '/metrics')).body;
  assert.match(m, new RegExp(`m_total\\{${LABELS},replica="default/svc/svc-predictor-00001",model_name="svc"\\} 3\\n`));
  assert.deepEqual(replicaPages(endpoints).length, 1);
  // Two pages of the same family: one HELP/TYPE, both samples; a page that does not answer is left out.
  const b = await replica(t, '# HELP m_total x\n# TYPE m_total counter\nm_total 5\nnot a sample line\n');
  const merged = await scrapeReplicas(
    [
      { port: a.port, labels: 'replica="a"' },
      { port: b.port, labels: 'replica="b"' },
      { port: 1, labels: 'replica="gone"' },
    ],
    500,
  );
  assert.equal(
    merged,
    '# HELP m_total x\n# TYPE m_total counter\nm_total{replica="a",model_name="svc"} 3\nm_total{replica="b"} 5\n',
  );
});

test('histogram samples stay in their family (_bucket, _sum, _count)', () => {
  const families = new Map();
  mergePage(
    families,
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n',
    'replica="r"',
  );
  assert.deepEqual([...families.keys()], ['h']);
  assert.deepEqual(families.get('h').samples, [
    'h_bucket{replica="r",le="1"} 1',
    'h_bucket{replica="r",le="+Inf"} 2',
    'h_sum{replica="r"} 0.5',
    'h_count{replica="r"} 2',
  ]);
});

test('protocol of a path and the HTTP status of a gRPC status', () => {
  assert.equal(protocolOfPath('/v1/models/x:predict'), 'v1');
  assert.equal(protocolOfPath('/v2/models/x/infer'), 'v2');
  assert.equal(protocolOfPath('/v2'), 'other');
  assert.equal(protocolOfPath('/openai/v1/completions'), 'other');
  assert.deepEqual([0, 3, 4, 5, 8, 13, 14, 99].map(httpStatusOfGrpc), [200, 400, 504, 404, 429, 500, 503, 500]);
});
