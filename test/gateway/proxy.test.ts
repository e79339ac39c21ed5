// The gateway's pooled HTTP/1.1 client to replicas (src/gateway/proxy.ts) against upstreams that behave
// well and badly: reuse, framing of HEAD/204/304/chunked/close-delimited answers, big bodies both ways,
// the http.request fallback, sockets the replica closes, dead replicas, clients that go away, bounds. Run
// twice: with the direct-write shortcut on and off.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test as nodeTest, type TestContext } from 'node:test';
import { createGateway } from '../../src/gateway/gateway.js';
import type { ReplicaProxy, ReplicaProxyOptions } from '../../src/gateway/proxy.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import type { TrafficStats } from '../../src/routing/traffic-stats.js';
import { identityModel, request } from '../server/helpers.js';
import { nextEvent, signal, waitUntil } from '../support/wait.js';
import { startReplica } from './helpers.js';

const HOST = { host: 'svc.default.example.com' };

interface Gw {
  port: number;
  proxy: ReplicaProxy;
  endpoints: EndpointTable;
  agent: http.Agent;
  stats: TrafficStats;
}

async function gatewayWith(t: TestContext, upstreamPort: number, proxy: ReplicaProxyOptions): Promise<Gw> {
  const endpoints = new EndpointTable();
  endpoints.set({
    namespace: 'default',
    name: 'svc',
    modelName: 'svc',
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
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  t.after(() => {
    agent.destroy();
    gw.close();
  });
  return { port: (gw.server.address() as AddressInfo).port, proxy: gw.proxy, endpoints, agent, stats: gw.stats };
}

/** An http.Server upstream; counts the connections it accepted and has open. */
async function httpUpstream(
  t: TestContext,
  handler: http.RequestListener,
): Promise<{ port: number; connections: () => number; open: () => number; server: http.Server }> {
  const server = http.createServer({ keepAlive: true, noDelay: true }, handler);
  server.keepAliveTimeout = 65_000;
  let connections = 0;
  let open = 0;
  server.on('connection', (s: net.Socket) => {
    connections++;
    open++;
    s.on('close', () => open--);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections, open: () => open, server };
}

/** A raw TCP upstream: `onRequest` gets each socket's bytes as they arrive. */
async function rawUpstream(
  t: TestContext,
  onData: (socket: net.Socket, data: Buffer, nth: number) => void,
): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    let n = 0;
    s.on('data', (d) => onData(s, d, n++));
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'x-method': req.method ?? '',
      'x-path': req.url ?? '',
      'x-te': String(req.headers['transfer-encoding'] ?? ''),
      'x-cl': String(req.headers['content-length'] ?? ''),
      'x-host': String(req.headers.host ?? ''),
      'x-custom': String(req.headers['x-custom'] ?? ''),
      'x-hop': String(req.headers['x-hop'] ?? ''),
      'content-length': body.length,
    });
    res.end(body);
  });
}

const get = (gw: Gw, path: string, method = 'GET', body?: string | Buffer, headers: Record<string, string> = {}) =>
  request({ port: gw.port, agent: gw.agent }, method, path, body, { ...HOST, ...headers });

/**
 * The whole suite, run once with the direct-write shortcut on and once with it off (writeHead + end for every
 * answer), as Hono's `runTest` runs one suite per adapter: every behaviour below must hold either way.
 */
function proxySuite(directWrite: boolean): void {
  const suffix = ` [directWrite ${directWrite ? 'on' : 'off'}]`;
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(name + suffix, fn);
  const gateway = (t: TestContext, upstreamPort: number, proxy: ReplicaProxyOptions = {}) =>
    gatewayWith(t, upstreamPort, { directWrite, ...proxy });

  test('small whole answers go through the direct write only when it is on; the answer is the same', async (t) => {
    const up = await httpUpstream(t, echo);
    const gw = await gateway(t, up.port);
    for (let i = 0; i < 3; i++) {
      const r = await get(gw, '/small', 'POST', 'hello', { 'x-custom': 'c' });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'hello');
      assert.equal(r.headers['x-custom'], 'c');
      assert.equal(r.headers['content-length'], '5');
    }
    const head = await get(gw, '/small', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(gw.proxy.stats().direct, directWrite ? 3 : 0);
  });

  test('keep-alive reuse: sequential and concurrent requests share pooled sockets; headers pass, hop-by-hop do not', async (t) => {
    const up = await httpUpstream(t, echo);
    const gw = await gateway(t, up.port);
    for (let i = 0; i < 20; i++) {
      const r = await get(gw, `/v1/models/svc:predict?i=${i}`, 'POST', `{"i":${i}}`, {
        'content-type': 'application/json',
        'x-custom': 'kept',
        connection: 'keep-alive, x-hop',
        'x-hop': 'dropped',
      });
      assert.equal(r.status, 200);
      assert.equal(r.body, `{"i":${i}}`);
      assert.equal(r.headers['x-path'], `/v1/models/svc:predict?i=${i}`);
      assert.equal(r.headers['x-custom'], 'kept');
      assert.equal(r.headers['x-hop'], '', 'a header named by Connection is hop-by-hop');
      assert.equal(r.headers['x-host'], HOST.host);
      assert.equal(r.headers['x-cl'], String(`{"i":${i}}`.length));
    }
    assert.equal(up.connections(), 1, 'one upstream socket for sequential requests');
    for (let burst = 0; burst < 3; burst++) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => get(gw, `/c${i}`, 'POST', 'x'.repeat(i))));
    }
    const afterBurst = up.connections();
    assert.ok(afterBurst <= 8, `${afterBurst} connections for bursts of 8 concurrent requests`);
    assert.equal(gw.proxy.stats().fallback, 0);
    assert.equal(gw.proxy.stats().connects, afterBurst);
  });

  test('HEAD, 204 and 304 answers carry no body; the socket stays in step for the next request', async (t) => {
    const up = await httpUpstream(t, (req, res) => {
      if (req.url === '/head') {
        res.writeHead(200, { 'content-length': 1234, 'content-type': 'application/json' });
        res.end();
      } else if (req.url === '/204') {
        res.writeHead(204, { 'x-a': '1' });
        res.end();
      } else if (req.url === '/304') {
        res.writeHead(304, { etag: '"v1"' });
        res.end();
      } else echo(req, res);
      req.resume();
    });
    const gw = await gateway(t, up.port);
    for (let round = 0; round < 3; round++) {
      const h = await get(gw, '/head', 'HEAD');
      assert.equal(h.status, 200);
      assert.equal(h.headers['content-length'], '1234');
      assert.equal(h.bodyBytes.length, 0);
      const n = await get(gw, '/204');
      assert.equal(n.status, 204);
      assert.equal(n.headers['x-a'], '1');
      const m = await get(gw, '/304');
      assert.equal(m.status, 304);
      assert.equal(m.headers.etag, '"v1"');
      const e = await get(gw, '/echo', 'POST', 'after');
      assert.equal(e.body, 'after');
    }
    assert.equal(up.connections(), 1);
  });

  test('large bodies both ways: 8 MiB streamed up and down, byte for byte', async (t) => {
    const up = await httpUpstream(t, echo);
    const gw = await gateway(t, up.port);
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 997) big[i] = i % 251;
    for (const size of [70 * 1024, 300 * 1024, big.length]) {
      const r = await get(gw, '/echo', 'POST', big.subarray(0, size));
      assert.equal(r.status, 200);
      assert.equal(r.bodyBytes.length, size);
      assert.ok(r.bodyBytes.equals(big.subarray(0, size)), `${size} bytes`);
    }
    assert.equal(up.connections(), 1);
  });

  test('a small chunked upload is read whole and sent with a content-length; a chunked answer is decoded and re-framed', async (t) => {
    const up = await httpUpstream(t, (req, res) => {
      if (req.url === '/chunked-answer') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('hello ');
        setTimeout(() => {
          res.write(Buffer.alloc(100_000, 0x61));
          res.end('!');
        }, 10);
        req.resume();
        return;
      }
      echo(req, res);
    });
    const gw = await gateway(t, up.port);
    const chunkedUpload = await new Promise<{ status: number; body: string; te: string; cl: string }>(
      (resolve, reject) => {
        const req = http.request(
          { port: gw.port, host: '127.0.0.1', method: 'POST', path: '/up', headers: HOST, agent: gw.agent },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c) => parts.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body: Buffer.concat(parts).toString(),
                te: String(res.headers['x-te']),
                cl: String(res.headers['x-cl']),
              }),
            );
          },
        );
        req.on('error', reject);
        req.write('part1-');
        setTimeout(() => req.end('part2'), 10);
      },
    );
    assert.equal(chunkedUpload.status, 200);
    assert.equal(chunkedUpload.body, 'part1-part2');
    // Buffered like any small body (issue 10, H4): the pooled client, with a length instead of chunks.
    assert.equal(gw.proxy.stats().fallback, 0);
    assert.equal(chunkedUpload.te, '');
    assert.equal(chunkedUpload.cl, '11');
    // One that grows past requestBufferBytes still streams through the http.request fallback.
    const gw2 = await gateway(t, up.port, { requestBufferBytes: 1024 });
    const bigChunked = await new Promise<{ status: number; body: string; te: string }>((resolve, reject) => {
      const req = http.request(
        { port: gw2.port, host: '127.0.0.1', method: 'POST', path: '/up', headers: HOST, agent: gw2.agent },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c) => parts.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(parts).toString(),
              te: String(res.headers['x-te']),
            }),
          );
        },
      );
      req.on('error', reject);
      req.write('a'.repeat(1000));
      setTimeout(() => req.end('b'.repeat(1000)), 10);
    });
    assert.equal(bigChunked.status, 200);
    assert.equal(bigChunked.body, 'a'.repeat(1000) + 'b'.repeat(1000));
    assert.equal(bigChunked.te, 'chunked');
    assert.equal(gw2.proxy.stats().fallback, 1);
    const r = await get(gw, '/chunked-answer');
    assert.equal(r.status, 200);
    assert.equal(r.body, `hello ${'a'.repeat(100_000)}!`);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    const again = await get(gw, '/echo', 'POST', 'next');
    assert.equal(again.body, 'next');
  });

  test('a raw chunked answer split at awkward places, with extensions and trailers; then a close-delimited one', async (t) => {
    const up = await rawUpstream(t, (s, data) => {
      const text = data.toString('latin1');
      if (text.startsWith('GET /chunked')) {
        const wire =
          'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n' +
          '5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: t\r\n\r\n';
        // one byte per write, with pauses: the decoder sees every split
        let i = 0;
        const step = () => {
          if (i >= wire.length || s.destroyed) return;
          s.write(wire.slice(i, i + 3), 'latin1');
          i += 3;
          setImmediate(step);
        };
        step();
      } else if (text.startsWith('GET /close')) {
        s.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the ');
        setTimeout(() => s.end('end'), 10);
      }
    });
    const gw = await gateway(t, up.port);
    const r = await get(gw, '/chunked');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello 0123456789');
    assert.equal(r.headers['x-trailer'], undefined);
    const c = await get(gw, '/close');
    assert.equal(c.status, 200);
    assert.equal(c.body, 'until the end');
    const again = await get(gw, '/chunked');
    assert.equal(again.body, 'hello 0123456789');
  });

  test('a dead replica is a 502 JSON answer; so is a connection the replica closes before answering', async (t) => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const gw = await gateway(t, deadPort);
    const r = await get(gw, '/v1/models/svc:predict', 'POST', '{}');
    assert.equal(r.status, 502);
    assert.equal(r.headers['content-type'], 'application/json');
    // The gateway's own error names whose model server it is.
    assert.match(JSON.parse(r.body).error, /the model server of default\/svc did not answer: .*ECONNREFUSED/);
    // So does the http.request fallback's (it takes `Expect: 100-continue`).
    const before = gw.proxy.stats().fallback;
    const f = await get(gw, '/v1/models/svc:predict', 'POST', undefined, { expect: '100-continue' });
    assert.equal(gw.proxy.stats().fallback, before + 1, 'went through the fallback');
    assert.equal(f.status, 502);
    assert.match(JSON.parse(f.body).error, /the model server of default\/svc did not answer: .*ECONNREFUSED/);

    const rude = await rawUpstream(t, (s) => s.destroy());
    const gw2 = await gateway(t, rude.port);
    const r2 = await get(gw2, '/v1/models/svc:predict', 'POST', '{}');
    assert.equal(r2.status, 502);
    assert.match(JSON.parse(r2.body).error, /the model server of default\/svc did not answer/);
    // the client's keep-alive connection to the gateway is still good
    const r3 = await get(gw2, '/x');
    assert.equal(r3.status, 502);
  });

  test('a replica that closes mid-answer: 502 before the head went out, a cut connection after', async (t) => {
    const up = await rawUpstream(t, (s, data) => {
      const text = data.toString('latin1');
      if (text.startsWith('GET /small')) {
        s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part');
        setTimeout(() => s.destroy(), 10);
      } else if (text.startsWith('GET /big')) {
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${10 * 1024 * 1024}\r\n\r\n`);
        s.write(Buffer.alloc(512 * 1024));
        setTimeout(() => s.destroy(), 20);
      }
    });
    const gw = await gateway(t, up.port);
    const small = await get(gw, '/small');
    assert.equal(small.status, 502);
    assert.match(JSON.parse(small.body).error, /closed mid-answer|ECONNRESET/);
    await assert.rejects(get(gw, '/big'), /aborted|socket hang up|ECONNRESET/);
  });

  test('a pooled socket the replica closed while idle: GET is retried once, POST is not; neither hangs', async (t) => {
    // Answers the first request on each socket, then closes that socket as soon as a second one arrives.
    const up = await rawUpstream(t, (s, _data, nth) => {
      if (nth === 0) s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else s.destroy();
    });
    const gw = await gateway(t, up.port);
    assert.equal((await get(gw, '/a')).status, 200);
    const retried = await get(gw, '/b');
    assert.equal(retried.status, 200, 'the GET went again on a fresh socket');
    assert.equal(gw.proxy.stats().retries, 1);
    assert.equal((await get(gw, '/c', 'POST', 'x')).status, 502, 'a POST that may have been read is not repeated');
    assert.equal(gw.proxy.stats().retries, 1);
  });

  test('a replica that says connection: close, or answers HTTP/1.0, gets a fresh socket next time', async (t) => {
    const up = await rawUpstream(t, (s, data) => {
      const text = data.toString('latin1');
      if (text.startsWith('GET /close')) {
        s.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nc1');
      } else {
        s.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nc0');
      }
    });
    const gw = await gateway(t, up.port);
    for (let i = 0; i < 3; i++) {
      const a = await get(gw, '/close');
      assert.equal(a.body, 'c1');
      assert.notEqual(a.headers.connection, 'close', 'the replica’s connection header is not forwarded');
      assert.equal((await get(gw, '/ten')).body, 'c0');
    }
    assert.equal(up.connections(), 6);
    assert.equal(gw.proxy.stats().retries, 0);
  });

  test('malformed answers and unrequested 1xx: 502 for garbage, informational answers skipped', async (t) => {
    const up = await rawUpstream(t, (s, data) => {
      const text = data.toString('latin1');
      if (text.startsWith('GET /garbage')) s.write('NOT HTTP AT ALL\r\n\r\n');
      else if (text.startsWith('GET /badlen')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n');
      else if (text.startsWith('GET /fold'))
        s.write('HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\ncontent-length: 0\r\n\r\n');
      else if (text.startsWith('GET /early'))
        s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nyes');
    });
    const gw = await gateway(t, up.port);
    for (const path of ['/garbage', '/badlen', '/fold']) {
      const r = await get(gw, path);
      assert.equal(r.status, 502, path);
      assert.match(
        JSON.parse(r.body).error,
        /^the model server of default\/svc sent an answer the gateway cannot read/,
      );
    }
    const ok = await get(gw, '/early');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'yes');
  });

  test('a client that goes away closes the upstream socket, so the replica sees the disconnect', async (t) => {
    let upstreamClosed: () => void = () => {};
    const closed = new Promise<void>((r) => {
      upstreamClosed = r;
    });
    const arrived = signal();
    const up = await httpUpstream(t, (req, _res) => {
      req.resume();
      req.socket.on('close', () => upstreamClosed()); // never answers
      arrived.resolve();
    });
    const gw = await gateway(t, up.port);
    const req = http.request({ port: gw.port, host: '127.0.0.1', method: 'POST', path: '/slow', headers: HOST });
    req.on('error', () => {});
    req.end('{"slow":true}');
    await arrived.promise; // the request reached the replica before its client goes
    assert.equal(gw.proxy.stats().ports[up.port]?.open, 1);
    req.destroy();
    await closed;
    await waitUntil(() => (gw.proxy.stats().ports[up.port]?.open ?? 0) === 0, 'the pool forgets the closed socket');
  });

  test('the pool is bounded: requests beyond maxSocketsPerPort wait for a socket and all complete', async (t) => {
    let concurrent = 0;
    let peak = 0;
    const up = await httpUpstream(t, (req, res) => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      req.resume();
      setTimeout(() => {
        concurrent--;
        res.writeHead(200, { 'content-length': 2 });
        res.end('ok');
      }, 20);
    });
    const gw = await gateway(t, up.port, { maxSocketsPerPort: 2, maxIdlePerPort: 1 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => get(gw, `/q${i}`)));
    for (const r of results) assert.equal(r.status, 200);
    assert.equal(peak, 2);
    assert.equal(up.connections(), 2);
    await waitUntil(() => up.open() === 1, 'the replica sees the socket beyond maxIdlePerPort closed');
    assert.equal(gw.proxy.stats().ports[up.port]?.idle, 1, 'idle sockets beyond maxIdlePerPort are closed');
  });

  test('queue full → 503; response timeout → 504; idle sockets are closed after the idle timeout', async (t) => {
    const up = await httpUpstream(t, (req, res) => {
      req.resume();
      if (req.url === '/hang') return;
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
    const gw = await gateway(t, up.port, {
      maxSocketsPerPort: 1,
      maxQueuedPerPort: 1,
      responseTimeoutMs: 150,
      // An idle socket lives T/2..T: with 100 ms it could be swept 50 ms after /ok, before the open() check below
      // on a loaded machine. 2 s leaves a second for that check and still ends the wait below in ~2 s.
      idleTimeoutMs: 2_000,
    });
    const [a, b, c] = await Promise.all([get(gw, '/hang'), get(gw, '/hang'), get(gw, '/hang')]);
    assert.deepEqual([a.status, b.status, c.status].sort(), [503, 504, 504]);
    assert.match(JSON.parse(a.body).error ?? '', /did not answer within 150 ms|too many requests/);
    assert.equal((await get(gw, '/ok')).status, 200);
    // The replica sees the two timed-out sockets close on its own loop turn, which can come after /ok's answer;
    // bounded under T/2 (1 s), so the sweep cannot be what brings the count to 1.
    await waitUntil(() => up.open() === 1, 'the timed-out sockets are closed, the idle one kept', 800);
    await waitUntil(() => up.open() === 0, 'the idle socket was closed by the sweep');
    assert.equal((await get(gw, '/ok')).status, 200);
  });

  test('a replica restarted on another port: the old port’s idle sockets are closed, requests go to the new one', async (t) => {
    const one = await httpUpstream(t, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': 3 });
      res.end('one');
    });
    const two = await httpUpstream(t, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': 3 });
      res.end('two');
    });
    const gw = await gateway(t, one.port);
    assert.equal((await get(gw, '/')).body, 'one');
    assert.equal(one.open(), 1);
    gw.endpoints.set({
      namespace: 'default',
      name: 'svc',
      modelName: 'svc',
      port: two.port,
      revision: 'r2',
      starting: false,
    });
    assert.equal((await get(gw, '/')).body, 'two');
    await waitUntil(() => one.open() === 0, 'the idle socket to the old replica was closed');
  });

  test('through a real model server: V2 infer and HTTP/1.0 clients without Host', async (t) => {
    const replica = await startReplica(t, [identityModel('svc')]);
    const gw = await gateway(t, replica.port);
    const body = '{"inputs":[{"name":"x","shape":[2],"datatype":"INT64","data":[1,2]}]}';
    const r = await get(gw, '/v2/models/svc/infer', 'POST', body, { 'content-type': 'application/json' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body).outputs[0].data, [1, 2]);
    // HTTP/1.0 without Host: routed by path; the replica (which requires Host on HTTP/1.1) still answers.
    const raw = await new Promise<string>((resolve, reject) => {
      const s = net.connect(gw.port, '127.0.0.1');
      const parts: Buffer[] = [];
      s.on('data', (d) => parts.push(d));
      s.on('end', () => resolve(Buffer.concat(parts).toString()));
      s.on('error', reject);
      // write, not end: Node's server drops a request whose client half-closes first
      s.write(`POST /v2/models/svc/infer HTTP/1.0\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /"data":\[1,2\]/);
  });

  test('a streamed body that waits for a socket (pool full) or for a starting replica loses no bytes', async (t) => {
    const slowArrivals = new EventEmitter();
    const up = await httpUpstream(t, (req, res) => {
      if (req.url === '/slow') {
        slowArrivals.emit('slow');
        req.resume();
        setTimeout(() => {
          res.writeHead(200, { 'content-length': 4 });
          res.end('slow');
        }, 150);
        return;
      }
      echo(req, res);
    });
    const gw = await gateway(t, up.port, { maxSocketsPerPort: 1, requestBufferBytes: 64 * 1024 });
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i += 13) big[i] = i % 199;
    const slowArrived = nextEvent(slowArrivals, 'slow', 'the slow request reaches the replica');
    const slow = get(gw, '/slow');
    await slowArrived; // it holds the only socket: the next request queues
    const queued = await get(gw, '/echo', 'POST', big);
    assert.equal((await slow).body, 'slow');
    assert.equal(queued.status, 200);
    assert.ok(queued.bodyBytes.equals(big), 'the queued streamed body arrived whole');

    // held for a starting replica, then forwarded behind a slow request: held and queued
    gw.endpoints.set({
      namespace: 'default',
      name: 'svc',
      modelName: 'svc',
      port: undefined,
      revision: undefined,
      starting: true,
    });
    // Held requests are counted in the revision's queue: wait for each to know both are held, in order.
    const heldNow = () => gw.stats.snapshot('default/svc/unknown').queued;
    const heldSlow = get(gw, '/slow');
    await waitUntil(() => heldNow() === 1, 'the slow request is held');
    const held = get(gw, '/echo', 'POST', big);
    await waitUntil(() => heldNow() === 2, 'the streamed request is held');
    gw.endpoints.set({
      namespace: 'default',
      name: 'svc',
      modelName: 'svc',
      port: up.port,
      revision: 'r1',
      starting: false,
    });
    const r = await held;
    assert.equal((await heldSlow).body, 'slow');
    assert.equal(r.status, 200);
    assert.ok(r.bodyBytes.equals(big), 'the held streamed body arrived whole');
  });

  test('a client that pipelines gets its answers in order, even when the replica answers out of order', async (t) => {
    const up = await httpUpstream(t, (req, res) => {
      req.resume();
      const n = Number((req.url ?? '').slice(1));
      setTimeout(
        () => {
          res.writeHead(200, { 'content-length': String(n).length, 'x-n': n });
          res.end(String(n));
        },
        (3 - n) * 30,
      );
    });
    const gw = await gateway(t, up.port);
    const text = await new Promise<string>((resolve, reject) => {
      const s = net.connect(gw.port, '127.0.0.1');
      const parts: Buffer[] = [];
      s.on('data', (d) => {
        parts.push(d);
        const all = Buffer.concat(parts).toString();
        if ((all.match(/HTTP\/1\.1 200/g) ?? []).length === 3 && all.endsWith('2')) s.end();
      });
      s.on('end', () => resolve(Buffer.concat(parts).toString()));
      s.on('error', reject);
      s.write(`GET /0 HTTP/1.1\r\nhost: ${HOST.host}\r\n\r\nGET /1 HTTP/1.1\r\nhost: ${HOST.host}\r\n\r\n`);
      s.write(`GET /2 HTTP/1.1\r\nhost: ${HOST.host}\r\nconnection: close\r\n\r\n`);
    });
    const order = [...text.matchAll(/x-n: (\d)/g)].map((m) => m[1]);
    assert.deepEqual(order, ['0', '1', '2']);
    assert.equal((text.match(/\r\n\r\n/g) ?? []).length, 3);
    assert.match(text, /Connection: close\r\n/i, 'the last answer closes, as the client asked');
  });
}

proxySuite(true);
proxySuite(false);
