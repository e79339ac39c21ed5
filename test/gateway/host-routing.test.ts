// Host routing through the gateway with its Host → candidates memo: services that appear after a Host was
// first seen, alternating hosts, ports and -predictor names all reach the right replica.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { request } from '../server/helpers.js';
import { startGateway } from './helpers.js';

async function named(t: import('node:test').TestContext, name: string): Promise<number> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': name.length });
    res.end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as import('node:net').AddressInfo).port;
}

test('Host routing: memoised hosts follow the endpoint table as it changes', async (t) => {
  const endpoints = new EndpointTable();
  const port = await startGateway(t, endpoints);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const ask = (host: string) => request({ port, agent }, 'GET', '/v2/models/x', undefined, { host });
  const missing = await ask('a.default.example.com');
  assert.equal(missing.status, 404);
  const aPort = await named(t, 'a');
  const bPort = await named(t, 'b');
  const set = (name: string, namespace: string, p: number) =>
    endpoints.set({ namespace, name, modelName: name, port: p, revision: `${name}-1`, starting: false });
  set('a', 'default', aPort);
  set('b', 'other', bPort);
  for (let i = 0; i < 3; i++) {
    assert.equal((await ask('a.default.example.com')).body, 'a', 'a host first seen when it named nothing');
    assert.equal((await ask('b.other.example.com:8080')).body, 'b');
    assert.equal((await ask('a-predictor.default.svc.cluster.local')).body, 'a');
    assert.equal((await ask('B.Other.Example.Com')).body, 'b');
  }
  endpoints.delete('default', 'a');
  assert.equal((await ask('a.default.example.com')).status, 404);
});
