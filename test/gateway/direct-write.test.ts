// The direct-write shortcut (src/gateway/replica-client/direct-write.ts) relies on Node-private fields of
// ServerResponse. Its start-up self-check must pass on the Node this runs on (else the shortcut is silently
// never taken), fail when those internals are not as expected, and then the gateway must answer through
// writeHead + end, byte for byte the same answer.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { createGateway } from '../../src/gateway/gateway.js';
import {
  directWriteAvailable,
  directWriteSelfCheck,
  recheckDirectWrite,
} from '../../src/gateway/replica-client/direct-write.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { request } from '../server/helpers.js';

async function upstreamAndGateway(t: TestContext) {
  const up = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 4, 'x-path': req.url ?? '' });
    res.end('pong');
  });
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  const endpoints = new EndpointTable();
  endpoints.set({
    namespace: 'default',
    name: 'svc',
    modelName: 'svc',
    port: (up.address() as AddressInfo).port,
    revision: 'r1',
    starting: false,
  });
  const gw = createGateway({
    endpoints,
    controlPlane: [],
    domain: 'example.com',
    holdTimeoutMs: 1_000,
    log: silentLogger,
  });
  await new Promise<void>((r) => gw.server.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => {
    agent.destroy();
    gw.close();
    up.closeAllConnections();
    up.close();
  });
  return { port: (gw.server.address() as AddressInfo).port, agent, proxy: gw.proxy };
}

test('the self-check passes on this Node, and the gateway then writes small answers directly', async (t) => {
  assert.equal(directWriteSelfCheck(), true);
  assert.equal(directWriteAvailable(), true);
  const gw = await upstreamAndGateway(t);
  const r = await request(gw, 'GET', '/ping', undefined, { host: 'svc.default.example.com' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'pong');
  assert.equal(gw.proxy.stats().direct, 1);
});

test('when Node’s internals are not as expected the check fails and answers go through writeHead + end', async (t) => {
  const real = http.ServerResponse;
  // A Node whose ServerResponse no longer has `_headerSent` (renamed or made private).
  class Changed extends real {
    constructor(req: http.IncomingMessage) {
      super(req);
      delete (this as unknown as { _headerSent?: boolean })._headerSent;
    }
  }
  (http as unknown as { ServerResponse: unknown }).ServerResponse = Changed;
  try {
    assert.equal(directWriteSelfCheck(), false);
    assert.equal(recheckDirectWrite(), false);
  } finally {
    (http as { ServerResponse: typeof http.ServerResponse }).ServerResponse = real;
  }
  t.after(() => recheckDirectWrite());
  const gw = await upstreamAndGateway(t); // the proxy reads the (failed) check's answer when it is created
  for (let i = 0; i < 3; i++) {
    const r = await request(gw, 'GET', `/ping${i}`, undefined, { host: 'svc.default.example.com' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'pong');
    assert.equal(r.headers['x-path'], `/ping${i}`);
    assert.equal(r.headers['content-type'], 'text/plain');
  }
  assert.equal(gw.proxy.stats().direct, 0, 'the shortcut was not taken');
  assert.equal(gw.proxy.stats().pooled, 3);
  // With the real internals back the check passes again.
  assert.equal(recheckDirectWrite(), true);
});

test('a self-check that throws counts as failed', () => {
  const real = http.ServerResponse;
  (http as unknown as { ServerResponse: unknown }).ServerResponse = function Broken() {
    throw new Error('no such constructor');
  };
  try {
    assert.equal(directWriteSelfCheck(), false);
  } finally {
    (http as { ServerResponse: typeof http.ServerResponse }).ServerResponse = real;
  }
});
