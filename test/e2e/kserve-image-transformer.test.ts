// Issue 15, item 4 / acceptance 1: KServe's own image transformer (python/custom_transformer/model.py of
// ../shared/peers/kserve-v0.12.1, unmodified) runs through the image map as spec.transformer.containers in front
// of an inferd-native ONNX predictor, and answers KServe's e2e request (test/e2e/data/transformer.json, a base64
// PNG) through the service host, as KServe's test_transformer.py sends it. The transformer's work is visible: its
// log line under `inferd logs NAME --component transformer`, and the predictor's input shape (the ONNX model
// takes only FP32 [n, 1, 28, 28], what the transformer makes of the 28x28 PNG). Prerequisites come from .ci/run's
// apt list (python3-torchvision, python3-pil and KServe's server deps): under CI=true a missing one fails.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';
import { KSERVE, kservePythonEnv, kservePythonMissing, PYTHON } from '../helpers/kserve-python.js';

const TRANSFORMER_DIR = join(KSERVE, 'python', 'custom_transformer');
const REQUEST = join(KSERVE, 'test', 'e2e', 'data', 'transformer.json');
const MODEL_DIR = fileURLToPath(new URL('../../../test/fixtures/mnist-onnx', import.meta.url));
const EXPECTED = JSON.parse(readFileSync(join(MODEL_DIR, 'expected.json'), 'utf8')) as {
  input: { name: string; shape: number[] };
  predictions: number[];
};
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const NAME = 'mnist'; // KServe's test serves "mnist": the transformer picks its mnist preprocessing by that name

function missing(): string | undefined {
  if (!existsSync(join(TRANSFORMER_DIR, 'model.py'))) return `KServe's sources are not at ${TRANSFORMER_DIR}`;
  if (!existsSync(REQUEST)) return `KServe's e2e request is not at ${REQUEST}`;
  return kservePythonMissing(['PIL', 'torchvision', 'numpy']);
}

const why = missing();
let inferd: Inferd | undefined;

before(async () => {
  if (why) return;
  const stateDir = tempStateDir('inferd-kserve-imgt-');
  writeFileSync(
    join(stateDir, 'image-map.yaml'),
    JSON.stringify({
      images: {
        'kserve/image-transformer': {
          command: [PYTHON, 'model.py'],
          workingDir: TRANSFORMER_DIR,
          env: kservePythonEnv(stateDir),
        },
      },
    }),
  );
  inferd = await startInferd({ stateDir });
  const r = await httpRequest({
    port: inferd.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: NAME },
      spec: {
        predictor: {
          model: { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: MODEL_DIR },
        },
        transformer: {
          containers: [
            {
              name: 'kserve-container',
              image: 'kserve/image-transformer:latest',
              // KServe's test gives --model_name; the transformer reads --predictor_protocol (v1 by default).
              args: ['--model_name', NAME, '--predictor_protocol', 'v2'],
            },
          ],
        },
      },
    }),
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

async function waitReady(timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await httpRequest({ port: inferd!.port, path: `${ISVC}/${NAME}` })).text;
    const s = JSON.parse(last) as { status?: { conditions?: { type: string; status: string }[] } };
    if (s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${NAME} not Ready in ${timeoutMs} ms: ${last}`);
}

test('KServe’s image transformer in front of an ONNX predictor answers KServe’s e2e image request', async (t) => {
  if (why) {
    assert.notEqual(process.env.CI, 'true', `${why} under CI=true`);
    t.skip(why);
    return;
  }
  await waitReady();
  // As KServe's test_transformer.py: POST the base64 PNG to the service host's V1 predict.
  const res = await httpRequest({
    port: inferd!.port,
    path: `/v1/models/${NAME}:predict`,
    headers: { host: `${NAME}.default.example.com`, 'content-type': 'application/json' },
    body: readFileSync(REQUEST, 'utf8'),
  });
  assert.equal(res.status, 200, res.text);
  const body = JSON.parse(res.text) as { predictions: unknown[] };
  assert.deepEqual(body.predictions.map(Number), EXPECTED.predictions);

  // The predictor's input shape: what the transformer sends is the only shape the ONNX model accepts.
  const meta = await httpRequest({
    port: inferd!.port,
    path: `/v2/models/${NAME}`,
    headers: { host: `${NAME}-predictor.default.example.com` },
  });
  assert.equal(meta.status, 200, meta.text);
  const inputs = (JSON.parse(meta.text) as { inputs: { name: string; shape: number[] }[] }).inputs;
  assert.equal(inputs[0]?.name, EXPECTED.input.name);
  assert.deepEqual(inputs[0]?.shape.slice(1), EXPECTED.input.shape.slice(1));

  // A raw image straight to the predictor is refused: the transformer's preprocessing is what makes it servable.
  const direct = await httpRequest({
    port: inferd!.port,
    path: `/v1/models/${NAME}:predict`,
    headers: { host: `${NAME}-predictor.default.example.com`, 'content-type': 'application/json' },
    body: readFileSync(REQUEST, 'utf8'),
  });
  assert.ok(direct.status >= 400 && direct.status < 500, `${direct.status} ${direct.text}`);

  // The transformer's work in its own log: KServe's server logs its preprocess/predict timings and the request.
  const logs = await runCli(['logs', NAME, '--component', 'transformer', '--server', inferd!.url]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /transformer container started/);
  assert.match(logs.stdout, /kserve\.trace requestId: .*preprocess_ms: [\d.]+.*predict_ms: [\d.]+/);
  assert.match(logs.stdout, /"POST \/v1\/models\/mnist(:|%3A)predict HTTP\/1\.1" 200/);
});
