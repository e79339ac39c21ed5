// Issue 15, item 4: KServe's own Python model servers run unmodified as custom predictors, through the image
// map (the operator names the program for an image; the manifest is KServe's). The graph e2e servers of
// test_resources/graph (success_200_isvc, error_404_isvc) from ../shared/peers/kserve-v0.12.1 with Debian's
// python3 and the peers' shim (orjson and friends are not packaged), and a TypeScript transformer in front of
// one. Prerequisites come from .ci/run's apt list: under CI=true a missing one fails, elsewhere it skips.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpRequest, type Inferd, removeDir, startInferd, tempStateDir } from '../helpers/inferd.js';
import { KSERVE, kservePythonEnv, kservePythonMissing, PYTHON } from '../helpers/kserve-python.js';

const GRAPH = join(KSERVE, 'python', 'test_resources', 'graph');
const IDENTITY_JS = fileURLToPath(new URL('../../examples/identity-transformer/transformer.js', import.meta.url));
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';

function missing(): string | undefined {
  if (!existsSync(GRAPH)) return `KServe's sources are not at ${GRAPH}`;
  return kservePythonMissing();
}

const why = missing();
let inferd: Inferd | undefined;

before(async () => {
  if (why) return;
  const stateDir = tempStateDir('inferd-kserve-py-');
  const env = kservePythonEnv(stateDir);
  const entry = (dir: string) => ({ command: [PYTHON, 'model.py'], workingDir: join(GRAPH, dir), env });
  writeFileSync(
    join(stateDir, 'image-map.yaml'),
    JSON.stringify({
      images: {
        'kserve/success-200-isvc': entry('success_200_isvc'),
        'kserve/error-404-isvc': entry('error_404_isvc'),
      },
    }),
  );
  inferd = await startInferd({ stateDir });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

async function apply(name: string, image: string, transformer = false): Promise<void> {
  const r = await httpRequest({
    port: inferd!.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name },
      spec: {
        // As KServe's graph e2e tests write them: an image and KServe's flags, ports as in a pod.
        predictor: {
          containers: [
            {
              name: 'kserve-container',
              image,
              args: ['--model_name={{.Name}}', '--http_port=8080', '--grpc_port=8081'],
            },
          ],
        },
        ...(transformer
          ? { transformer: { containers: [{ name: 'kserve-container', command: ['inferd', 'run', IDENTITY_JS] }] } }
          : {}),
      },
    }),
  });
  assert.equal(r.status, 201, r.text);
}

async function waitReady(name: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await httpRequest({ port: inferd!.port, path: `${ISVC}/${name}` })).text;
    if (/"type":"Ready","status":"True"/.test(last) || /"status":"True","type":"Ready"/.test(last)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} not Ready in ${timeoutMs} ms: ${last}`);
}

const predict = (name: string) =>
  httpRequest({
    port: inferd!.port,
    path: `/v1/models/${name}:predict`,
    headers: { host: `${name}.default.example.com`, 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [[1, 2, 3, 4]] }),
  });

test('KServe’s graph success server runs unmodified as a custom predictor', async (t) => {
  if (why) {
    assert.notEqual(process.env.CI, 'true', `${why} under CI=true`);
    t.skip(why);
    return;
  }
  await apply('graph-success', 'kserve/success-200-isvc:latest');
  await waitReady('graph-success');
  const res = await predict('graph-success');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text), { message: 'SUCCESS' });
});

test('KServe’s graph error server: its 404 reaches the client', async (t) => {
  if (why) {
    assert.notEqual(process.env.CI, 'true', `${why} under CI=true`);
    t.skip(why);
    return;
  }
  await apply('graph-error', 'kserve/error-404-isvc:latest');
  await waitReady('graph-error');
  const res = await predict('graph-error');
  assert.equal(res.status, 404, res.text);
  assert.match(res.text, /Intentional 404 code/);
});

test('a TypeScript transformer in front of KServe’s Python server', async (t) => {
  if (why) {
    assert.notEqual(process.env.CI, 'true', `${why} under CI=true`);
    t.skip(why);
    return;
  }
  await apply('graph-two-tier', 'kserve/success-200-isvc:latest', true);
  await waitReady('graph-two-tier');
  const res = await predict('graph-two-tier');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text), { message: 'SUCCESS' });
});
