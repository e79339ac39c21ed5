// The V2 model repository extension as KServe's and Triton's clients call it: index (GET, or POST with an
// optional `{"ready": true}`), load and unload, with KServe's bodies and status codes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IrisTestModel, postJson, request, startServer } from './helpers.js';

test('index lists every model with its state; {"ready":true} keeps the ready ones', async (t) => {
  const s = await startServer(t, [new IrisTestModel(), new IrisTestModel('other')]);
  const get = await request(s, 'GET', '/v2/repository/index');
  assert.equal(get.status, 200);
  assert.equal(
    get.body,
    '[{"name":"sklearn-iris","state":"Ready","reason":""},{"name":"other","state":"Ready","reason":""}]',
  );
  assert.equal((await postJson(s, '/v2/repository/models/other/unload', '')).body, '{"name":"other","unload":true}');
  const all = await request(s, 'POST', '/v2/repository/index'); // Triton's client: POST, empty body
  assert.equal(
    all.body,
    '[{"name":"sklearn-iris","state":"Ready","reason":""},{"name":"other","state":"NotReady","reason":""}]',
  );
  const ready = await postJson(s, '/v2/repository/index', '{"ready":true}');
  assert.equal(ready.body, '[{"name":"sklearn-iris","state":"Ready","reason":""}]');
  // Triton's load body (parameters) is accepted; the model is ready again.
  const load = await postJson(s, '/v2/repository/models/other/load', '{"parameters":{}}');
  assert.equal(load.body, '{"name":"other","load":true}');
  assert.equal((await request(s, 'GET', '/v2/models/other/ready')).status, 200);
});

test('BAD CALL - repository extension errors: unknown model 404, bad index body 400, other methods 405', async (t) => {
  const s = await startServer(t);
  const unload = await postJson(s, '/v2/repository/models/nope/unload', '');
  assert.deepEqual([unload.status, unload.body], [404, '{"error":"Model with name nope does not exist."}']);
  assert.equal((await postJson(s, '/v2/repository/models/nope/load', '')).status, 404);
  const bad = await postJson(s, '/v2/repository/index', '{"ready":"yes"}');
  assert.deepEqual([bad.status, bad.body], [400, '{"error":"\\"ready\\" must be true or false, got \\"yes\\""}']);
  assert.equal((await postJson(s, '/v2/repository/index', '[1]')).status, 400);
  assert.equal((await postJson(s, '/v2/repository/index', '{')).status, 400);
  const put = await request(s, 'PUT', '/v2/repository/index');
  assert.deepEqual([put.status, put.headers.allow], [405, 'GET, POST']);
  assert.equal((await request(s, 'GET', '/v2/repository/models/sklearn-iris/load')).status, 405);
});
