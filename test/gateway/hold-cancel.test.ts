// A request held for a starting replica is dropped when its client goes away: the replica never sees it.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { createGateway } from '../../src/gateway/gateway.js';
import { silentLogger } from '../../src/log.js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import type { Model } from '../../src/runtimes/model.js';
import { identityModel, postJson } from '../server/helpers.js';
import { nextEvent, waitUntil } from '../support/wait.js';
import { publish, startReplica } from './helpers.js';

test('a client that disconnects while held is not forwarded once the replica is ready', async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'identity', undefined); // starting
  const gw = createGateway({
    endpoints,
    controlPlane: [],
    domain: 'example.com',
    holdTimeoutMs: 10_000,
    log: silentLogger,
  });
  const sockets: Socket[] = [];
  gw.server.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((r) => gw.server.listen(0, '127.0.0.1', r));
  t.after(() => gw.close());
  const port = (gw.server.address() as AddressInfo).port;
  const model = identityModel() as Model & { calls: number };
  const replica = await startReplica(t, [model]);
  const body = '{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1]}]}';
  // A held request waits on the table's 'change' (the gateway itself listens too: count from here).
  const waiting = endpoints.listenerCount('change');
  const gone = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v2/models/identity/infer' });
  gone.on('error', () => {});
  gone.end(body);
  await waitUntil(() => endpoints.listenerCount('change') === waiting + 1, 'the request is held');
  assert.equal(sockets.length, 1);
  const serverSide = nextEvent(sockets[0]!, 'close', "the gateway sees the client's socket close");
  gone.destroy();
  await serverSide;
  publish(endpoints, 'identity', replica);
  const agent = new http.Agent();
  t.after(() => agent.destroy());
  const ok = await postJson({ port, agent }, '/v2/models/identity/infer', body);
  assert.equal(ok.status, 200);
  assert.equal(model.calls, 1); // only the request whose client stayed
});
