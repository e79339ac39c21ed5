// A request held for a starting replica is dropped when its client goes away: the replica never sees it.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { EndpointTable } from '../../src/controllers/endpoints.js';
import type { Model } from '../../src/runtimes/model.js';
import { identityModel, postJson } from '../server/helpers.js';
import { publish, startGateway, startReplica } from './helpers.js';

test('a client that disconnects while held is not forwarded once the replica is ready', async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'identity', undefined); // starting
  const port = await startGateway(t, endpoints, 10_000);
  const model = identityModel() as Model & { calls: number };
  const replica = await startReplica(t, [model]);
  const body = '{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1]}]}';
  const gone = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v2/models/identity/infer' });
  gone.on('error', () => {});
  gone.end(body);
  await new Promise((r) => setTimeout(r, 50));
  gone.destroy();
  await new Promise((r) => setTimeout(r, 50));
  publish(endpoints, 'identity', replica);
  const agent = new http.Agent();
  t.after(() => agent.destroy());
  const ok = await postJson({ port, agent }, '/v2/models/identity/infer', body);
  assert.equal(ok.status, 200);
  assert.equal(model.calls, 1); // only the request whose client stayed
});
