// The repository extension through the gateway: load/unload route by model name like infer, and the
// index without a service Host lists every service's model with its state.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { inferenceClient } from '../server/grpc-client.js';
import { IrisTestModel, postJson, request } from '../server/helpers.js';
import { publish, startGateway, startReplica } from './helpers.js';

test("unload/load go to the model's replica; /v2/repository/index is the gateway's own listing", async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'sklearn-iris', await startReplica(t, [new IrisTestModel()]));
  publish(endpoints, 'warming', undefined);
  const port = await startGateway(t, endpoints, 2_000, { allowRepositoryApi: true });
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

test('without --allow-repository-api, load/unload through the public port are refused (403, PERMISSION_DENIED)', async (t) => {
  const endpoints = new EndpointTable();
  const replica = await startReplica(t, [new IrisTestModel()]);
  publish(endpoints, 'sklearn-iris', replica);
  const port = await startGateway(t, endpoints);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const s = { port, agent };
  // Every way of reaching the replica: path routing, the Host header, KServe's /serving/ template.
  for (const [path, headers] of [
    ['/v2/repository/models/sklearn-iris/unload', {}],
    ['/v2/repository/models/sklearn-iris/unload?x=1', {}],
    ['/v2/repository/models/sklearn-iris/load', { host: 'sklearn-iris.default.example.com' }],
    ['/serving/default/sklearn-iris/v2/repository/models/sklearn-iris/unload', {}],
  ] as const) {
    const r = await request(s, 'POST', path, '', headers);
    assert.equal(r.status, 403, path);
    assert.match(JSON.parse(r.body).error, /--allow-repository-api/);
  }
  // The model was never unloaded; the index is still readable.
  assert.equal((await request(s, 'GET', '/v2/models/sklearn-iris/ready')).status, 200);
  assert.equal((await request(s, 'GET', '/v2/repository/index')).status, 200);
  const c = inferenceClient(`127.0.0.1:${port}`);
  t.after(() => c.close());
  await assert.rejects(c.RepositoryModelUnload({ model_name: 'sklearn-iris' }), (err: grpc.ServiceError) => {
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    assert.match(err.details, /--allow-repository-api/);
    return true;
  });
  assert.equal(replica.models.get('sklearn-iris')?.ready, true);
});
