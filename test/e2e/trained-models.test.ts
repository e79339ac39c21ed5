// Multi-model serving against a real `inferd serve` (issue 16): an InferenceService whose predictor has no
// storageUri is a multi-model server; TrainedModels are loaded into its replica without restarting it, answer
// through the parent's host and by path alone (V1, V2 REST, gRPC), unload on delete, swap atomically on a new
// storageUri, and report KServe's conditions when their parent is missing, single-model, of another framework
// or out of memory. A model that fails to load fails alone.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { inferenceClient } from '../server/grpc-client.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const IRIS_V2 = JSON.stringify({
  inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6] }],
});
const ISVC_API = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const TM_API = '/apis/serving.kserve.io/v1alpha1/namespaces/default/trainedmodels';
const SKLEARN_IRIS = join(repoRoot, 'models', 'sklearn-iris');
const FIXTURES = join(repoRoot, 'test', 'fixtures');
let inferd: Inferd;

before(async () => {
  inferd = await startInferd({ args: ['--standby-replicas', '0'] });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${inferd.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function createParent(name: string, predictor: Record<string, unknown>): Promise<void> {
  const r = await post(ISVC_API, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default' },
    spec: { predictor },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

function trainedModel(name: string, parent: string, storageUri: string, framework = 'sklearn', memory = '64Mi') {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'TrainedModel',
    metadata: { name, namespace: 'default' },
    spec: { inferenceService: parent, model: { storageUri, framework, memory } },
  };
}

async function createTm(...args: Parameters<typeof trainedModel>): Promise<void> {
  const r = await post(TM_API, trainedModel(...args));
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
type Tm = { status?: { url?: string; conditions?: Cond[] } };

/** Polls the TrainedModel until `cond` has `status` (bounded). */
async function waitTm(name: string, cond: string, status: string, timeoutMs = 30_000): Promise<Tm> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await fetch(`${inferd.url}${TM_API}/${name}`);
    if (res.ok) {
      const tm = (await res.json()) as Tm;
      last = tm;
      if (tm.status?.conditions?.find((c) => c.type === cond)?.status === status) return tm;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`trainedmodel ${name} did not reach ${cond}=${status}; last: ${JSON.stringify(last)}`);
}

const cond = (tm: Tm, type: string) => tm.status?.conditions?.find((c) => c.type === type);

const predict = (parent: string, model: string, body = IRIS, path = `/v1/models/${model}:predict`) =>
  httpRequest({ port: inferd.port, path, headers: { host: `${parent}.default.example.com` }, body });

test('sklearn parent without storageUri: two TrainedModels answer V1 by host and by path; V2 index lists them', async () => {
  await createParent('mms-sk', {
    sklearn: { protocolVersion: 'v1', resources: { limits: { cpu: '100m', memory: '1024Mi' } } },
  });
  await waitForCondition(inferd.url, 'default', 'mms-sk', 'True', 60_000);
  await createTm('model1-sk', 'mms-sk', SKLEARN_IRIS);
  await createTm('model2-sk', 'mms-sk', join(FIXTURES, 'sklearn', 'models', 'logreg_multinomial_iris'));
  for (const name of ['model1-sk', 'model2-sk']) {
    const tm = await waitTm(name, 'Ready', 'True');
    assert.equal(tm.status?.url, `http://mms-sk.default.example.com/v1/models/${name}:predict`);
    for (const type of ['FrameworkSupported', 'InferenceServiceReady', 'IsMMSPredictor', 'MemoryResourceAvailable']) {
      assert.equal(cond(tm, type)?.status, 'True', type);
    }
    const byHost = await predict('mms-sk', name);
    assert.equal(byHost.status, 200, byHost.text);
    assert.equal(byHost.text, '{"predictions":[1,1]}');
    const byPath = await httpRequest({ port: inferd.port, path: `/v1/models/${name}:predict`, body: IRIS });
    assert.equal(byPath.text, '{"predictions":[1,1]}');
  }
  // The gateway's own listing (no Host) names the TrainedModels beside the services.
  const listed = await httpRequest({ port: inferd.port, method: 'GET', path: '/v1/models' });
  const models = (JSON.parse(listed.text) as { models: string[] }).models;
  assert.ok(models.includes('model1-sk') && models.includes('model2-sk'), listed.text);
  const index = await httpRequest({
    port: inferd.port,
    method: 'POST',
    path: '/v2/repository/index',
    headers: { host: 'mms-sk.default.example.com' },
    body: '{}',
  });
  assert.deepEqual(
    (JSON.parse(index.text) as { name: string; state: string }[]).map((e) => [e.name, e.state]),
    [
      ['model1-sk', 'Ready'],
      ['model2-sk', 'Ready'],
    ],
  );
});

test('xgboost V2 parent: TrainedModels answer V2 REST and gRPC by model_name', async (t) => {
  await createParent('mms-xgb', { xgboost: { protocolVersion: 'v2' } });
  await waitForCondition(inferd.url, 'default', 'mms-xgb', 'True', 60_000);
  await createTm('xgb-a', 'mms-xgb', join(FIXTURES, 'xgboost', 'models', 'multi_softmax_iris', 'json'), 'xgboost');
  const tm = await waitTm('xgb-a', 'Ready', 'True');
  assert.equal(tm.status?.url, 'http://mms-xgb.default.example.com/v2/models/xgb-a/infer');
  const r = await predict('mms-xgb', 'xgb-a', IRIS_V2, '/v2/models/xgb-a/infer');
  assert.equal(r.status, 200, r.text);
  const out = JSON.parse(r.text) as { model_name: string; outputs: { data: number[] }[] };
  assert.equal(out.model_name, 'xgb-a');
  assert.equal(out.outputs[0]?.data.length, 2);
  const c = inferenceClient(`127.0.0.1:${inferd.port}`);
  t.after(() => c.close());
  const res = await c.ModelInfer({
    model_name: 'xgb-a',
    inputs: [
      {
        name: 'input-0',
        datatype: 'FP32',
        shape: [2, 4],
        contents: { fp32_contents: [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6] },
      },
    ],
  });
  assert.equal(res.model_name, 'xgb-a');
  assert.deepEqual(await c.ModelReady({ name: 'xgb-a' }), { ready: true });
});

test('delete unloads; a new storageUri swaps with no failed request; the replica is never restarted', async () => {
  await createParent('mms-swap', { model: { modelFormat: { name: 'sklearn' } } });
  await waitForCondition(inferd.url, 'default', 'mms-swap', 'True', 60_000);
  const pidOf = async () => {
    const isvc = (await (await fetch(`${inferd.url}${ISVC_API}/mms-swap`)).json()) as {
      status?: { components?: { predictor?: { latestCreatedRevision?: string } } };
    };
    const log = await (await fetch(`${inferd.url}${ISVC_API}/mms-swap/log?tailLines=500`)).text();
    const started = log.split('\n').filter((l) => l.includes('"replica started'));
    return { starts: started.length, revision: isvc.status?.components?.predictor?.latestCreatedRevision };
  };
  await createTm('swap', 'mms-swap', SKLEARN_IRIS);
  await waitTm('swap', 'Ready', 'True');
  const one = '{"instances":[[6.8,2.8,4.8,1.4]]}';
  assert.equal((await predict('mms-swap', 'swap', one)).text, '{"predictions":[1]}');
  const before = await pidOf();

  // A classifier with string labels on the same four features: which version answered is visible.
  const regressor = join(FIXTURES, 'sklearn', 'models', 'logreg_strings_iris');
  let stop = false;
  const answers: string[] = [];
  const load = (async () => {
    while (!stop) {
      const r = await predict('mms-swap', 'swap', one);
      assert.equal(r.status, 200, `a request failed during the swap: ${r.text}`);
      answers.push(r.text);
    }
  })();
  const cur = (await (await fetch(`${inferd.url}${TM_API}/swap`)).json()) as Record<string, unknown>;
  const res = await fetch(`${inferd.url}${TM_API}/swap`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ...cur,
      spec: { inferenceService: 'mms-swap', model: { ...trainedModel('swap', 'mms-swap', regressor).spec.model } },
    }),
  });
  assert.equal(res.status, 200, await res.text());
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(answers.at(-1) ?? '').includes('versicolor'))
    await new Promise((r) => setTimeout(r, 20));
  stop = true;
  await load;
  const after = answers.at(-1) ?? '';
  assert.equal(after, '{"predictions":["versicolor"]}', 'the new version answers');
  for (const a of answers) assert.ok(a === '{"predictions":[1]}' || a === after, `an unexpected answer ${a}`);
  assert.ok(answers.length > 1, 'requests ran during the swap');
  assert.deepEqual(await pidOf(), before, 'no replica started');

  const del = await fetch(`${inferd.url}${TM_API}/swap`, { method: 'DELETE' });
  assert.equal(del.status, 200);
  const gone = Date.now() + 10_000;
  let r = await predict('mms-swap', 'swap', one);
  while (r.status !== 404 && Date.now() < gone) {
    await new Promise((x) => setTimeout(x, 20));
    r = await predict('mms-swap', 'swap', one);
  }
  assert.equal(r.status, 404);
  assert.equal(r.text, '{"error":"Model with name swap does not exist."}');
  assert.deepEqual(await pidOf(), before, 'no replica started');
});

test('bad input: missing, single-model or wrong-framework parent, memory over budget, a broken model alone, a duplicate name', async () => {
  await createParent('mms-bad', {
    model: { modelFormat: { name: 'sklearn' }, resources: { limits: { memory: '256Mi' } } },
  });
  await createParent('single', { model: { modelFormat: { name: 'sklearn' }, storageUri: SKLEARN_IRIS } });
  await waitForCondition(inferd.url, 'default', 'mms-bad', 'True', 60_000);
  await waitForCondition(inferd.url, 'default', 'single', 'True', 60_000);

  await createTm('ok-one', 'mms-bad', SKLEARN_IRIS, 'sklearn', '128Mi');
  await waitTm('ok-one', 'Ready', 'True');
  await createTm('orphan', 'nothere', SKLEARN_IRIS);
  await createTm('on-single', 'single', SKLEARN_IRIS);
  await createTm('wrong-fw', 'mms-bad', SKLEARN_IRIS, 'xgboost', '1Mi');
  // 'broken' before 'too-big': memory is counted oldest first, and on a slow machine the two may be created in
  // different seconds (too-big first would put broken over the budget too).
  await createTm('broken', 'mms-bad', join(FIXTURES, 'xgboost', 'models', 'multi_softmax_iris'), 'sklearn', '1Mi');
  await createTm('too-big', 'mms-bad', SKLEARN_IRIS, 'sklearn', '200Mi');

  const expect = async (name: string, type: string, reason: string) => {
    const tm = await waitTm(name, type, 'False');
    assert.equal(cond(tm, type)?.reason, reason, name);
    assert.equal(cond(tm, 'Ready')?.status, 'False', name);
    assert.equal(cond(tm, 'Ready')?.reason, reason, name);
  };
  await expect('orphan', 'InferenceServiceReady', 'InferenceServiceNotFound');
  await expect('on-single', 'IsMMSPredictor', 'IsNotMMSPredictor');
  await expect('wrong-fw', 'FrameworkSupported', 'FrameworkNotSupported');
  await expect('too-big', 'MemoryResourceAvailable', 'MemoryResourceNotAvailable');
  const broken = await waitTm('broken', 'Ready', 'False');
  assert.equal(cond(broken, 'Ready')?.reason, 'ModelMissing');
  assert.match(cond(broken, 'Ready')?.message ?? '', /no model found/);
  // Its sibling keeps serving.
  assert.equal((await predict('mms-bad', 'ok-one')).text, '{"predictions":[1,1]}');
  // Names are unique in the namespace, so under any parent: the second is refused.
  const dup = await post(TM_API, trainedModel('ok-one', 'mms-bad', SKLEARN_IRIS));
  assert.equal(dup.status, 409, JSON.stringify(dup.body));
  // Admission: memory must be a quantity; storageUri schemes as for InferenceServices.
  const badMemory = await post(TM_API, trainedModel('bad-mem', 'mms-bad', SKLEARN_IRIS, 'sklearn', 'lots'));
  assert.equal(badMemory.status, 422, JSON.stringify(badMemory.body));
  assert.match(String(badMemory.body['message']), /spec\.model\.memory/);
  const badUri = await post(TM_API, trainedModel('bad-uri', 'mms-bad', 'ftp://x/model'));
  assert.equal(badUri.status, 422, JSON.stringify(badUri.body));
  assert.match(String(badUri.body['message']), /spec\.model\.storageUri/);
});
