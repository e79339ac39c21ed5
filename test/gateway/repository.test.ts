// The repository extension through the gateway: load/unload route by model name like infer, and the
// index without a service Host lists every service's model with its state.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { EndpointTable } from '../../src/controllers/endpoints.js';
import { IrisTestModel, postJson, request } from '../server/helpers.js';
import { publish, startGateway, startReplica } from './helpers.js';

test("unload/load go to the model's replica; /v2/repository/index is the gateway's own listing", async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'sklearn-iris', await startReplica(t, [new IrisTestModel()]));
  publish(endpoints, 'warming', undefined);
  const port = await startGateway(t, endpoints);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const s = { port, agent };
  assert.equal(
    (await postJson(s, '/v2/repository/models/sklearn-iris/unload', '')).body,
    '{"name":"sklearn-iris","unload":true}',
  );
  assert.equal((await request(s, 'GET', '/v2/models/sklearn-iris/ready')).status, 503);
  assert.equal(
    (await postJson(s, '/v2/repository/models/sklearn-iris/load', '')).body,
    '{"name":"sklearn-iris","load":true}',
  );
  assert.equal((await request(s, 'GET', '/v2/models/sklearn-iris/ready')).status, 200);
  assert.equal((await postJson(s, '/v2/repository/models/nope/load', '')).status, 404);
  const index = await request(s, 'POST', '/v2/repository/index');
  assert.deepEqual(JSON.parse(index.body), [
    { name: 'sklearn-iris', state: 'Ready', reason: '' },
    { name: 'warming', state: 'NotReady', reason: '' },
  ]);
  const ready = await postJson(s, '/v2/repository/index', '{"ready":true}');
  assert.deepEqual(JSON.parse(ready.body), [{ name: 'sklearn-iris', state: 'Ready', reason: '' }]);
  // With a service Host, the replica's own index answers.
  const own = await request(s, 'GET', '/v2/repository/index', undefined, { host: 'sklearn-iris.default.example.com' });
  assert.equal(own.body, '[{"name":"sklearn-iris","state":"Ready","reason":""}]');
});
