// Replays every case of shared/reference/kserve-python-wire.md (KServe 0.12.1 sklearnserver) against
// inferd's model server: status, exact body bytes, headers. Where inferd answers differently on purpose,
// the case says so and docs/compatibility.md says why.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postJson, request, SKLEARN_1D, startServer } from './helpers.js';

const IRIS = '{"instances": [[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const V2_NESTED =
  '{"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}]}';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Case {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  expect: string;
  /** What KServe 0.12.1 answers where inferd deliberately differs. */
  kserve?: string;
}

const json = { 'content-type': 'application/json' };
const NOT_FOUND_NOSUCH = '{"error":"Model with name nosuch does not exist."}';

const cases: Case[] = [
  // V1 / server
  { name: 'liveness GET /', method: 'GET', path: '/', status: 200, expect: '{"status":"alive"}' },
  { name: 'V1 list models', method: 'GET', path: '/v1/models', status: 200, expect: '{"models":["sklearn-iris"]}' },
  {
    name: 'V1 model ready (string "True" as under pydantic 1)',
    method: 'GET',
    path: '/v1/models/sklearn-iris',
    status: 200,
    expect: '{"name":"sklearn-iris","ready":"True"}',
  },
  {
    name: 'V1 predict (2 instances)',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: IRIS,
    headers: json,
    status: 200,
    expect: '{"predictions":[1,1]}',
  },
  {
    name: 'V1 predict, no Content-Type header',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: IRIS,
    status: 200,
    expect: '{"predictions":[1,1]}',
  },
  {
    name: 'V1 predict, Content-Type text/plain',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: IRIS,
    headers: { 'content-type': 'text/plain' },
    status: 200,
    expect: '{"predictions":[1,1]}',
    kserve: '500: body not parsed as JSON',
  },
  {
    name: "V1 predict with 'inputs' key",
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"inputs": [[6.8,2.8,4.8,1.4]]}',
    headers: json,
    status: 200,
    expect: '{"predictions":[1]}',
  },
  { name: 'V1 unknown model: ready', method: 'GET', path: '/v1/models/nosuch', status: 404, expect: NOT_FOUND_NOSUCH },
  {
    name: 'V1 unknown model: predict',
    method: 'POST',
    path: '/v1/models/nosuch:predict',
    body: IRIS,
    headers: json,
    status: 404,
    expect: NOT_FOUND_NOSUCH,
  },
  {
    name: 'V1 malformed JSON',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"instances": [[6.8,2.8',
    headers: json,
    status: 400,
    expect: '{"error":"Unrecognized request format: Expecting \',\' delimiter: line 1 column 24 (char 23)"}',
  },
  {
    name: 'V1 empty body',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: ' ',
    headers: json,
    status: 400,
    expect: '{"error":"Unrecognized request format: Expecting value: line 1 column 2 (char 1)"}',
  },
  {
    name: 'V1 wrong shape (3 features)',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"instances": [[6.8,2.8,4.8]]}',
    headers: json,
    status: 400,
    expect: '{"error":"X has 3 features, but SVC is expecting 4 features as input."}',
    kserve: '500, same body',
  },
  {
    name: 'V1 ragged rows',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"instances": [[6.8,2.8,4.8,1.4],[1.0]]}',
    headers: json,
    status: 400,
    expect:
      '{"error":"setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part."}',
    kserve: '500, same body',
  },
  {
    name: 'V1 non-numeric feature',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"instances": [["a","b","c","d"]]}',
    headers: json,
    status: 400,
    expect: `{"error":"could not convert string to float: 'a'"}`,
    kserve: '500, same body',
  },
  {
    name: 'V1 empty instances',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"instances": []}',
    headers: json,
    status: 400,
    expect: JSON.stringify({ error: SKLEARN_1D }),
    kserve: '500, same body',
  },
  {
    name: 'V1 missing instances key',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"foo": 1}',
    headers: json,
    status: 400,
    expect: '{"error":"Expected \\"instances\\" or \\"inputs\\" in the request body"}',
    kserve: `500 {"error":"'instances'"}`,
  },
  {
    name: 'V1 instances not a list',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '{"instances": 5}',
    headers: json,
    status: 400,
    expect: '{"error":"Expected \\"instances\\" to be a list"}',
  },
  {
    name: 'V1 JSON array body',
    method: 'POST',
    path: '/v1/models/sklearn-iris:predict',
    body: '[[6.8,2.8,4.8,1.4]]',
    headers: json,
    status: 400,
    expect: '{"error":"Expected a JSON object with \\"instances\\" or \\"inputs\\", got a JSON array"}',
    kserve: '500 with an sklearn "scalar array" text',
  },
  {
    name: 'V1 GET on :predict',
    method: 'GET',
    path: '/v1/models/sklearn-iris:predict',
    status: 404,
    expect: '{"error":"Model with name sklearn-iris:predict does not exist."}',
  },
  {
    name: 'V1 explain (no explainer)',
    method: 'POST',
    path: '/v1/models/sklearn-iris:explain',
    body: IRIS,
    headers: json,
    status: 501,
    expect: '{"error":"Could not find explainer_host."}',
  },
  // V2
  {
    name: 'V2 server metadata',
    method: 'GET',
    path: '/v2',
    status: 200,
    expect: '{"name":"inferd","version":"0.1.0","extensions":["model_repository_extension"]}',
    kserve: '{"name":"kserve","version":"0.12.1",...}',
  },
  { name: 'V2 live', method: 'GET', path: '/v2/health/live', status: 200, expect: '{"live":true}' },
  { name: 'V2 ready', method: 'GET', path: '/v2/health/ready', status: 200, expect: '{"ready":true}' },
  { name: 'V2 list models', method: 'GET', path: '/v2/models', status: 200, expect: '{"models":["sklearn-iris"]}' },
  {
    name: 'V2 model metadata',
    method: 'GET',
    path: '/v2/models/sklearn-iris',
    status: 200,
    expect: '{"name":"sklearn-iris","versions":null,"platform":"","inputs":[],"outputs":[]}',
  },
  {
    name: 'V2 model ready',
    method: 'GET',
    path: '/v2/models/sklearn-iris/ready',
    status: 200,
    expect: '{"name":"sklearn-iris","ready":true}',
  },
  {
    name: 'V2 infer FP32 [2,4] flat data, with id',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"id":"req-1","inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4,6.0,3.4,4.5,1.6]}]}',
    headers: json,
    status: 200,
    expect:
      '{"model_name":"sklearn-iris","model_version":null,"id":"req-1","parameters":null,"outputs":[{"name":"output-0","shape":[2],"datatype":"INT64","parameters":null,"data":[1,1]}]}',
  },
  {
    name: 'V2 infer via versions path',
    method: 'POST',
    path: '/v2/models/sklearn-iris/versions/1/infer',
    body: V2_NESTED,
    headers: json,
    status: 501,
    expect: '{"error":"Model versioning not supported yet."}',
  },
  {
    name: 'V2 unknown model metadata',
    method: 'GET',
    path: '/v2/models/nosuch',
    status: 404,
    expect: NOT_FOUND_NOSUCH,
  },
  {
    name: 'V2 unknown model ready',
    method: 'GET',
    path: '/v2/models/nosuch/ready',
    status: 404,
    expect: NOT_FOUND_NOSUCH,
  },
  {
    name: 'V2 unknown model infer',
    method: 'POST',
    path: '/v2/models/nosuch/infer',
    body: V2_NESTED,
    headers: json,
    status: 404,
    expect: NOT_FOUND_NOSUCH,
  },
  {
    name: 'V2 malformed JSON',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"inputs":[{"name":"input-0"',
    headers: json,
    status: 422,
    expect:
      '{"detail":[{"loc":["body",28],"msg":"Expecting \',\' delimiter: line 1 column 29 (char 28)","type":"value_error.jsondecode","ctx":{"msg":"Expecting \',\' delimiter","doc":"{\\"inputs\\":[{\\"name\\":\\"input-0\\"","pos":28,"lineno":1,"colno":29}}]}',
  },
  {
    name: 'V2 wrong shape (shape [1,3], 3 values)',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"inputs":[{"name":"input-0","shape":[1,3],"datatype":"FP32","data":[6.8,2.8,4.8]}]}',
    headers: json,
    status: 400,
    expect: '{"error":"X has 3 features, but SVC is expecting 4 features as input."}',
    kserve: '500, same body',
  },
  {
    name: 'V2 shape/data mismatch (shape [2,4], 4 values)',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4]}]}',
    headers: json,
    status: 400,
    expect: '{"error":"cannot reshape array of size 4 into shape (2,4)"}',
    kserve: '500, same body',
  },
  {
    name: 'V2 empty inputs list',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"inputs":[]}',
    headers: json,
    status: 400,
    expect: '{"error":"Expected at least one tensor in \\"inputs\\""}',
    kserve: '500 {"error":"list index out of range"}',
  },
  {
    name: 'V2 empty data (shape [0,4])',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"inputs":[{"name":"input-0","shape":[0,4],"datatype":"FP32","data":[]}]}',
    headers: json,
    status: 400,
    expect: '{"error":"Found array with 0 sample(s) (shape=(0, 4)) while a minimum of 1 is required by SVC."}',
    kserve: '500, same body',
  },
  {
    name: 'V2 missing inputs key',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"foo":1}',
    headers: json,
    status: 422,
    expect: '{"detail":[{"loc":["body","inputs"],"msg":"field required","type":"value_error.missing"}]}',
  },
  {
    name: 'V2 missing datatype',
    method: 'POST',
    path: '/v2/models/sklearn-iris/infer',
    body: '{"inputs":[{"name":"input-0","shape":[1,4],"data":[6.8,2.8,4.8,1.4]}]}',
    headers: json,
    status: 422,
    expect: '{"detail":[{"loc":["body","inputs",0,"datatype"],"msg":"field required","type":"value_error.missing"}]}',
  },
  { name: 'unknown path', method: 'GET', path: '/nosuch', status: 404, expect: '{"detail":"Not Found"}' },
];

test('replays every case of the KServe 0.12.1 wire capture', async (t) => {
  const s = await startServer(t);
  for (const c of cases) {
    await t.test(c.name, async () => {
      const r = await request(s, c.method, c.path, c.body, c.headers);
      assert.equal(r.status, c.status, `${c.name}: status (body ${r.body})`);
      assert.equal(r.body, c.expect, c.name);
      assert.deepEqual(r.headerNames.slice(0, 4), ['date', 'server', 'content-length', 'content-type']);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers.server, 'inferd');
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(c.expect));
      assert.match(r.headers.date ?? '', /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    });
  }
});

test('V2 infer with nested data and no id answers a fresh uuid4 (206 bytes, as captured)', async (t) => {
  const s = await startServer(t);
  const r = await postJson(s, '/v2/models/sklearn-iris/infer', V2_NESTED);
  assert.equal(r.status, 200);
  const m =
    /^\{"model_name":"sklearn-iris","model_version":null,"id":"([^"]+)","parameters":null,"outputs":\[\{"name":"output-0","shape":\[2\],"datatype":"INT64","parameters":null,"data":\[1,1\]\}\]\}$/.exec(
      r.body,
    );
  assert.ok(m, r.body);
  assert.match(m[1]!, UUID);
  assert.equal(Buffer.byteLength(r.body), 206);
  const again = await postJson(s, '/v2/models/sklearn-iris/infer', V2_NESTED);
  assert.notEqual(JSON.parse(again.body).id, m[1], 'a new id per request');
});

test('V2 INT32 input is accepted and predicted on the ints', async (t) => {
  const s = await startServer(t);
  const r = await postJson(
    s,
    '/v2/models/sklearn-iris/infer',
    '{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"INT32","data":[6,2,4,1]}]}',
  );
  assert.equal(r.status, 200);
  assert.match(
    r.body,
    /"outputs":\[\{"name":"output-0","shape":\[1\],"datatype":"INT64","parameters":null,"data":\[1\]\}\]\}$/,
  );
  assert.equal(Buffer.byteLength(r.body), 204);
});

test('V2 two inputs: both reach the model, the iris model uses the first', async (t) => {
  const s = await startServer(t);
  const r = await postJson(
    s,
    '/v2/models/sklearn-iris/infer',
    '{"inputs":[{"name":"a","shape":[1,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4]},{"name":"b","shape":[1,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4]}]}',
  );
  assert.equal(r.status, 200);
  assert.match(r.body, /"data":\[1\]\}\]\}$/);
  assert.equal(Buffer.byteLength(r.body), 204);
});

test('GET /metrics is Prometheus text with per-model request counts', async (t) => {
  const s = await startServer(t);
  await postJson(s, '/v1/models/sklearn-iris:predict', IRIS);
  await postJson(s, '/v1/models/sklearn-iris:predict', '{"instances": [[1,2,3]]}');
  await postJson(s, '/v2/models/sklearn-iris/infer', V2_NESTED);
  await postJson(s, '/v1/models/nosuch:predict', IRIS);
  const r = await request(s, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.deepEqual(r.headerNames.slice(0, 4), ['date', 'server', 'content-length', 'content-type']);
  assert.match(r.body, /^inferd_model_requests_total\{model_name="sklearn-iris",protocol="v1",code="200"\} 1$/m);
  assert.match(r.body, /^inferd_model_requests_total\{model_name="sklearn-iris",protocol="v1",code="400"\} 1$/m);
  assert.match(r.body, /^inferd_model_requests_total\{model_name="sklearn-iris",protocol="v2",code="200"\} 1$/m);
  assert.match(r.body, /^inferd_model_request_duration_seconds_count\{model_name="sklearn-iris",protocol="v1"\} 2$/m);
  assert.match(r.body, /^request_predict_seconds_count\{model_name="sklearn-iris"\} 3$/m);
  assert.match(r.body, /^request_predict_seconds_bucket\{model_name="sklearn-iris",le="\+Inf"\} 3$/m);
  assert.doesNotMatch(r.body, /nosuch/, 'unknown model names get no series');
});
