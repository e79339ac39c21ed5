// Issue 15 on a real `inferd serve`: a predictor's `containers[0]` and a ServingRuntime with a command run as
// local processes (the SDK's custom model through `command: ["inferd", "run", ...]`, which resolves to this
// installation), reached through the service host like any predictor; a command that does not exist is
// Ready=False with its reason and the gateway answers 503 JSON; with auth on only an admin may apply one.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';

const MODEL_JS = fileURLToPath(new URL('../../examples/custom-model/model.js', import.meta.url));
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const IRIS = JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] });

let inferd: Inferd;

async function api(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  server: Inferd = inferd,
): Promise<{ status: number; text: string }> {
  const r = await httpRequest({
    port: server.port,
    path,
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, text: r.text };
}

/** The Ready condition once it is `want`; bounded. */
async function readyCondition(name: string, want: 'True' | 'False', timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await api('GET', `${ISVC}/${name}`);
    last = r.text;
    const obj = JSON.parse(r.text) as {
      status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
    };
    const c = obj.status?.conditions?.find((x) => x.type === 'Ready');
    if (c?.status === want) return c;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${name} not Ready=${want} within ${timeoutMs} ms: ${last}`);
}

before(async () => {
  // The operator's image map in the state folder: an image name → the SDK's custom model.
  const stateDir = tempStateDir('inferd-containers-');
  writeFileSync(
    join(stateDir, 'image-map.yaml'),
    `images:\n  example/iris-centroid:\n    command: [inferd, run, ${JSON.stringify(MODEL_JS)}]\n`,
  );
  inferd = await startInferd({ stateDir });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('a predictor container running `inferd run` serves through the service host; {{.Name}} substituted', async () => {
  const created = await api('POST', ISVC, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'centroid' },
    spec: {
      predictor: {
        containers: [
          {
            name: 'kserve-container',
            image: 'example/iris-centroid:1',
            command: ['inferd', 'run', MODEL_JS],
            args: ['--model_name={{.Name}}', '--http_port=8080'],
          },
        ],
      },
    },
  });
  assert.equal(created.status, 201, created.text);
  await readyCondition('centroid', 'True');
  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/centroid:predict',
    headers: { host: 'centroid.default.example.com', 'content-type': 'application/json' },
    body: IRIS,
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text).predictions, [2]); // the centroid model's class for this row
  // Its output is the service's log (inferd logs NAME).
  const logs = await runCli(['logs', 'centroid', '--server', inferd.url]);
  assert.match(logs.stdout, /predictor container started/);
});

test('a ServingRuntime with a command, selected by modelFormat, serves the model; get servingruntimes lists it', async () => {
  const rt = await api('POST', '/apis/serving.kserve.io/v1alpha1/namespaces/default/servingruntimes', {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ServingRuntime',
    metadata: { name: 'ts-centroid' },
    spec: {
      supportedModelFormats: [{ name: 'iris-centroid', version: '1', autoSelect: true }],
      protocolVersions: ['v1', 'v2'],
      containers: [
        {
          name: 'kserve-container',
          image: 'example/ts-runtime:1',
          command: ['inferd', 'run', MODEL_JS],
          args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080'],
        },
      ],
    },
  });
  assert.equal(rt.status, 201, rt.text);
  const created = await api('POST', ISVC, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'by-runtime' },
    spec: { predictor: { model: { modelFormat: { name: 'iris-centroid' }, storageUri: 'models/sklearn-iris' } } },
  });
  assert.equal(created.status, 201, created.text);
  await readyCondition('by-runtime', 'True');
  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/by-runtime:predict',
    headers: { host: 'by-runtime.default.example.com', 'content-type': 'application/json' },
    body: IRIS,
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text).predictions, [2]); // the centroid model's class for this row
  const listed = await runCli(['get', 'servingruntimes', '--server', inferd.url]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /ts-centroid/);
});

test('a command that does not exist: Ready=False CommandNotFound, the gateway answers 503 JSON', async () => {
  const created = await api('POST', ISVC, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'missing-cmd' },
    spec: { predictor: { containers: [{ name: 'kserve-container', command: ['inferd-no-such-server'] }] } },
  });
  assert.equal(created.status, 201, created.text);
  const ready = await readyCondition('missing-cmd', 'False');
  assert.equal(ready.reason, 'CommandNotFound');
  assert.match(ready.message ?? '', /inferd-no-such-server not found on PATH/);
  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/missing-cmd:predict',
    headers: { host: 'missing-cmd.default.example.com', 'content-type': 'application/json' },
    body: IRIS,
    timeoutMs: 20_000,
  });
  assert.equal(res.status, 503, res.text);
  assert.match(String(res.headers['content-type']), /json/);
  assert.match(res.text, /not found on PATH|CommandNotFound/);
});

test('with auth on, an editor may not apply a manifest that names a command; an admin may', async (t) => {
  const stateDir = tempStateDir('inferd-containers-auth-');
  const token = async (role: string) => {
    const r = await runCli(['token', 'create', '--state', stateDir, '-n', 'default', '--role', role, '--name', role]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split(/\s+/).pop() as string;
  };
  const editor = await token('editor');
  const admin = await token('admin');
  const server = await startInferd({ stateDir, args: ['--auth'] });
  t.after(async () => {
    await server.stop();
    removeDir(stateDir);
  });
  const manifest = (name: string) => ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name },
    spec: { predictor: { containers: [{ name: 'kserve-container', command: ['sh', '-c', 'id'] }] } },
  });
  const refused = await api('POST', ISVC, manifest('by-editor'), editor, server);
  assert.equal(refused.status, 403, refused.text);
  assert.match(refused.text, /spec\.predictor\.containers runs a command on the host.*only the admin role/);
  const rt = await api(
    'POST',
    '/apis/serving.kserve.io/v1alpha1/namespaces/default/servingruntimes',
    {
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'ServingRuntime',
      metadata: { name: 'rt' },
      spec: { supportedModelFormats: [{ name: 'x' }], containers: [{ name: 'c', command: ['sh'] }] },
    },
    editor,
    server,
  );
  assert.equal(rt.status, 403, rt.text);
  const allowed = await api('POST', ISVC, manifest('by-admin'), admin, server);
  assert.equal(allowed.status, 201, allowed.text);
  // An editor may still change what does not start anything new (the containers as they are).
  const patched = await httpRequest({
    port: server.port,
    path: `${ISVC}/by-admin`,
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', authorization: `Bearer ${editor}` },
    body: JSON.stringify({ metadata: { labels: { team: 'a' } } }),
  });
  assert.equal(patched.status, 200, patched.text);
  const changed = await httpRequest({
    port: server.port,
    path: `${ISVC}/by-admin`,
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', authorization: `Bearer ${editor}` },
    body: JSON.stringify({
      spec: { predictor: { containers: [{ name: 'kserve-container', command: ['sh', '-c', 'whoami'] }] } },
    }),
  });
  assert.equal(changed.status, 403, changed.text);
});

async function predict(name: string, body = IRIS) {
  return httpRequest({
    port: inferd.port,
    path: `/v1/models/${name}:predict`,
    headers: { host: `${name}.default.example.com`, 'content-type': 'application/json' },
    body,
  });
}

const withContainer = (name: string, container: Record<string, unknown>) => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name },
  spec: { predictor: { containers: [{ name: 'kserve-container', ...container }] } },
});

test('an image named in the image map runs its command, with the manifest’s args', async () => {
  const created = await api(
    'POST',
    ISVC,
    withContainer('mapped', { image: 'example/iris-centroid:2', args: ['--model_name={{.Name}}'] }),
  );
  assert.equal(created.status, 201, created.text);
  await readyCondition('mapped', 'True');
  const res = await predict('mapped');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text).predictions, [2]);
});

test('KServe’s sklearnserver image runs inferd’s sklearn runtime; STORAGE_URI fetched to /mnt/models', async () => {
  const created = await api(
    'POST',
    ISVC,
    withContainer('kserve-image', {
      image: 'kserve/sklearnserver:v0.12.1',
      args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080'],
      env: [{ name: 'STORAGE_URI', value: 'models/sklearn-iris' }],
    }),
  );
  assert.equal(created.status, 201, created.text);
  await readyCondition('kserve-image', 'True');
  const res = await predict('kserve-image');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text).predictions, [1]);
});

test('an image nobody mapped: Ready=False ImageNotRunnable saying both ways out', async () => {
  const created = await api('POST', ISVC, withContainer('unmapped', { image: 'example/unknown:1' }));
  assert.equal(created.status, 201, created.text);
  const ready = await readyCondition('unmapped', 'False');
  assert.equal(ready.reason, 'ImageNotRunnable');
  assert.match(ready.message ?? '', /image-map\.yaml.*--container-engine/);
});
