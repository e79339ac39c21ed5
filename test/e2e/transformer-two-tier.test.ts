// Issue 15, item 3 on a real `inferd serve`: a transformer (the SDK's examples/transformer through
// `command: ["inferd", "run", ...]`) in front of an inferd-native sklearn predictor. The service host reaches
// the transformer, which reaches the predictor through inferd (--predictor_host, a loopback port routed to
// the predictor's revisions); status.components has both, Ready needs both; V1 and gRPC through the gateway.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpRequest, type Inferd, removeDir, runCli, startInferd } from '../helpers/inferd.js';
import { inferenceClient } from '../server/grpc-client.js';

const TRANSFORMER_JS = fileURLToPath(new URL('../../examples/transformer/transformer.js', import.meta.url));
const CENTROID_JS = fileURLToPath(new URL('../../examples/custom-model/model.js', import.meta.url));
const EXPLAINER_JS = fileURLToPath(new URL('../../examples/explainer/explainer.js', import.meta.url));
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const HOST = 'iris-t.default.example.com';
const NAMED = {
  instances: [
    { sepal_length: 6.8, sepal_width: 2.8, petal_length: 4.8, petal_width: 1.4 },
    { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
  ],
};

let inferd: Inferd;

type Status = {
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    components?: Record<string, { url?: string }>;
  };
};

async function get(name: string): Promise<Status> {
  const r = await httpRequest({ port: inferd.port, path: `${ISVC}/${name}` });
  return JSON.parse(r.text) as Status;
}

async function waitReady(name: string, want: 'True' | 'False', timeoutMs = 60_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status = {};
  while (Date.now() < deadline) {
    last = await get(name);
    if (last.status?.conditions?.find((c) => c.type === 'Ready')?.status === want) return last;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${name} not Ready=${want} in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

function create(name: string, transformerCommand: string[]) {
  return httpRequest({
    port: inferd.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name },
      spec: {
        predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
        transformer: {
          containers: [{ name: 'kserve-container', image: 'example/transformer:1', command: transformerCommand }],
        },
      },
    }),
  });
}

before(async () => {
  inferd = await startInferd();
  const r = await create('iris-t', ['inferd', 'run', TRANSFORMER_JS]);
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('status has both components; Ready once both are', async () => {
  const s = await waitReady('iris-t', 'True');
  const cond = (t: string) => s.status?.conditions?.find((c) => c.type === t)?.status;
  assert.equal(cond('PredictorReady'), 'True');
  assert.equal(cond('TransformerReady'), 'True');
  assert.equal(s.status?.components?.transformer?.url, 'http://iris-t-transformer.default.example.com');
  assert.equal(s.status?.components?.predictor?.url, 'http://iris-t-predictor.default.example.com');
});

test('V1 through the service host: the transformer names the classes the predictor found', async () => {
  await waitReady('iris-t', 'True');
  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/iris-t:predict',
    headers: { host: HOST, 'content-type': 'application/json' },
    body: JSON.stringify(NAMED),
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text), { predictions: ['versicolor', 'setosa'] }); // the sklearn model's classes 1, 0
  // The predictor's own host reaches it directly: numbers, no names.
  const direct = await httpRequest({
    port: inferd.port,
    path: '/v1/models/iris-t:predict',
    headers: { host: 'iris-t-predictor.default.example.com', 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }),
  });
  assert.equal(direct.status, 200, direct.text);
  assert.deepEqual(JSON.parse(direct.text), { predictions: [1] });
  // The transformer's output is in the service's log.
  const logs = await runCli(['logs', 'iris-t', '--server', inferd.url]);
  assert.match(logs.stdout, /transformer container started/);
});

test('gRPC end to end: client → transformer (gRPC) → predictor (gRPC, through the predictor listener)', async (t) => {
  // The SDK's custom model as a custom predictor, the example transformer calling it over gRPC (--protocol grpc-v2).
  const r = await httpRequest({
    port: inferd.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'iris-g' },
      spec: {
        predictor: {
          containers: [{ name: 'kserve-container', command: ['inferd', 'run', CENTROID_JS, '--model_name={{.Name}}'] }],
        },
        transformer: {
          containers: [
            { name: 'kserve-container', command: ['inferd', 'run', TRANSFORMER_JS], args: ['--protocol=grpc-v2'] },
          ],
        },
      },
    }),
  });
  assert.equal(r.status, 201, r.text);
  await waitReady('iris-g', 'True');
  const c = inferenceClient(`127.0.0.1:${inferd.port}`, { 'grpc.default_authority': 'iris-g.default.example.com' });
  t.after(() => c.close());
  const res = await c.ModelInfer({
    model_name: 'iris-g',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [6.8, 2.8, 4.8, 1.4] } }],
  });
  const label = res.outputs.find((o: { name: string }) => o.name === 'label');
  assert.ok(label, JSON.stringify(res.outputs.map((o: { name: string }) => o.name)));
  assert.equal(Buffer.from(label.contents.bytes_contents[0]).toString(), 'virginica');
  // V1 through the same service: the transformer turns it into a gRPC call to the predictor.
  const v1 = await httpRequest({
    port: inferd.port,
    path: '/v1/models/iris-g:predict',
    headers: { host: 'iris-g.default.example.com', 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [NAMED.instances[0]] }),
  });
  assert.equal(v1.status, 200, v1.text);
  assert.deepEqual(JSON.parse(v1.text), { predictions: ['virginica'] });
  // The transformer's gRPC calls go straight to the predictor's gRPC port once its link is up (client-side
  // routing): the gateway counts them from the transformer's reports (protocol "other"), not as gRPC it proxied.
  const direct =
    /inferd_gateway_requests_total\{namespace="default",service="iris-g",component="predictor",revision="[^"]+",protocol="other",code="200"\} [1-9]/;
  let seen = false;
  // Bounded by time, not by a count of calls: a loaded machine connects the link later.
  for (const until = Date.now() + 20_000; Date.now() < until && !seen; ) {
    const again = await c.ModelInfer({
      model_name: 'iris-g',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [6.8, 2.8, 4.8, 1.4] } },
      ],
    });
    assert.equal(
      Buffer.from(
        again.outputs.find((o: { name: string }) => o.name === 'label').contents.bytes_contents[0],
      ).toString(),
      'virginica',
    );
    seen = direct.test(await (await fetch(`${inferd.url}/metrics`)).text());
    if (!seen) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(seen, 'a gRPC call of the transformer went straight to the predictor replica');
});

test('a transformer whose command does not exist: Ready=False naming it; the gateway answers 503 JSON', async () => {
  const r = await create('iris-bad-t', ['inferd-no-such-transformer']);
  assert.equal(r.status, 201, r.text);
  const s = await waitReady('iris-bad-t', 'False');
  const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.reason, 'CommandNotFound');
  assert.match(ready?.message ?? '', /transformer: command inferd-no-such-transformer not found/);
  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/iris-bad-t:predict',
    headers: { host: 'iris-bad-t.default.example.com', 'content-type': 'application/json' },
    body: JSON.stringify(NAMED),
    timeoutMs: 20_000,
  });
  assert.equal(res.status, 503, res.text);
  assert.match(res.text, /transformer of default\/iris-bad-t/);
});

test('an explainer container: :explain on the service host reaches it, it reaches the predictor; Ready needs it', async () => {
  const r = await httpRequest({
    port: inferd.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'iris-x' },
      spec: {
        predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
        explainer: { containers: [{ name: 'kserve-container', command: ['inferd', 'run', EXPLAINER_JS] }] },
      },
    }),
  });
  assert.equal(r.status, 201, r.text);
  const s = await waitReady('iris-x', 'True');
  assert.equal(s.status?.conditions?.find((c) => c.type === 'ExplainerReady')?.status, 'True');
  assert.equal(s.status?.components?.explainer?.url, 'http://iris-x-explainer.default.example.com');
  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/iris-x:explain',
    headers: { host: 'iris-x.default.example.com', 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }),
  });
  assert.equal(res.status, 200, res.text);
  const body = JSON.parse(res.text) as { explanations: { prediction: number; influential_features: number[] }[] };
  assert.equal(body.explanations[0]?.prediction, 1);
  assert.ok(Array.isArray(body.explanations[0]?.influential_features));
  // :predict on the same host still reaches the predictor.
  const predict = await httpRequest({
    port: inferd.port,
    path: '/v1/models/iris-x:predict',
    headers: { host: 'iris-x.default.example.com', 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }),
  });
  assert.deepEqual(JSON.parse(predict.text), { predictions: [1] });
});
