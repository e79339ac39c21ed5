// The predictor's `args: ["--model_name", X]` (KServe appends them after the runtime's args; the last
// --model_name wins) serve the model under X for V1, V2 and gRPC, as KServe's e2e tests
// (test_lightgbm_v2_grpc, test_pmml_v2_grpc, ...) call it: by the service's Host, with the model's name.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';
import { inferenceClient } from '../server/grpc-client.js';

let inferd: Inferd;
const HOST = 'isvc-args.default.example.com';
const IRIS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];

before(async () => {
  inferd = await startInferd();
  const res = await fetch(`${inferd.url}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'isvc-args' },
      spec: {
        predictor: {
          // the old style, as the SDK's V1beta1SKLearnSpec(args=...) sends it, with the SDK's name: ""
          sklearn: {
            storageUri: 'models/sklearn-iris',
            name: '',
            args: ['--model_name', 'first', '--model_name', 'sklearn'],
          },
        },
      },
    }),
  });
  assert.equal(res.status, 201, await res.text());
  await waitForCondition(inferd.url, 'default', 'isvc-args', 'True', 60_000);
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('V1 and V2 answer for the name in args (the last one), by Host and by path', async () => {
  const v1 = await httpRequest({
    port: inferd.port,
    path: '/v1/models/sklearn:predict',
    headers: { host: HOST, 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [IRIS.slice(0, 4), IRIS.slice(4)] }),
  });
  assert.equal(v1.status, 200, v1.text);
  assert.equal(v1.text, '{"predictions":[1,1]}');
  const v2 = await httpRequest({
    port: inferd.port,
    path: '/v2/models/sklearn/infer',
    headers: { host: HOST, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'input-0', datatype: 'FP32', shape: [2, 4], data: IRIS }] }),
  });
  assert.equal(v2.status, 200, v2.text);
  assert.equal(JSON.parse(v2.text).model_name, 'sklearn');
  const byPath = await httpRequest({
    port: inferd.port,
    path: '/v1/models/sklearn:predict',
    body: JSON.stringify({ instances: [IRIS.slice(0, 4)] }),
  });
  assert.equal(byPath.status, 200, byPath.text);
  const old = await httpRequest({
    port: inferd.port,
    path: '/v1/models/isvc-args:predict',
    headers: { host: HOST },
    body: JSON.stringify({ instances: [IRIS.slice(0, 4)] }),
  });
  assert.equal(old.status, 404, old.text); // KServe's replica no longer knows the service's name either
});

test('gRPC ModelInfer for the name in args, by :authority', async (t) => {
  const c = inferenceClient(`127.0.0.1:${inferd.port}`, { 'grpc.default_authority': HOST });
  t.after(() => c.close());
  const res = await c.ModelInfer({
    model_name: 'sklearn',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } }],
  });
  assert.equal(res.model_name, 'sklearn');
  assert.deepEqual(res.outputs[0].contents.int64_contents, ['1', '1']);
});
