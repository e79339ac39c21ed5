// Acceptance story 1: `inferd serve --demo` serves sklearn-iris; the seeds' curl lines answer as KServe does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { curlPost, httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
let inferd: Inferd;

before(async () => {
  inferd = await startInferd({ args: ['--demo'] });
  await waitForCondition(inferd.url, 'default', 'sklearn-iris', 'True');
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('curl -d to /v1/models/sklearn-iris:predict prints exactly {"predictions":[1,1]}', async () => {
  const res = await curlPost(`${inferd.url}/v1/models/sklearn-iris:predict`, IRIS);
  assert.equal(res.status, 200);
  assert.equal(res.text, '{"predictions":[1,1]}');
  assert.equal(res.headers.get('content-type'), 'application/json');
});

for (const host of [
  'sklearn-iris.default.example.com',
  'sklearn-iris.default.svc.cluster.local',
  'sklearn-iris-predictor.default.svc.cluster.local',
]) {
  test(`routes by Host: ${host}`, async () => {
    const res = await httpRequest({
      port: inferd.port,
      path: '/v1/models/sklearn-iris:predict',
      headers: { host, 'content-type': 'application/json' },
      body: IRIS,
    });
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"predictions":[1,1]}');
  });
}

test('V2 infer FP32 [2,4] gives KServe V2 body with model_version null and parameters null', async () => {
  const body = JSON.stringify({
    id: 'req-1',
    inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6] }],
  });
  const res = await curlPost(`${inferd.url}/v2/models/sklearn-iris/infer`, body, {
    'content-type': 'application/json',
  });
  assert.equal(res.status, 200);
  assert.equal(
    res.text,
    '{"model_name":"sklearn-iris","model_version":null,"id":"req-1","parameters":null,"outputs":[{"name":"output-0","shape":[2],"datatype":"INT64","parameters":null,"data":[1,1]}]}',
  );
});

test('V1 and V2 model readiness answer through the gateway', async () => {
  const v2 = await fetch(`${inferd.url}/v2/models/sklearn-iris/ready`);
  assert.equal(v2.status, 200);
  assert.equal(await v2.text(), '{"name":"sklearn-iris","ready":true}');
  const v1 = await fetch(`${inferd.url}/v1/models/sklearn-iris`);
  assert.equal(v1.status, 200);
});

test('unknown model and unknown host give KServe-shaped 404 JSON', async () => {
  const res = await curlPost(`${inferd.url}/v1/models/nosuch:predict`, IRIS);
  assert.equal(res.status, 404);
  assert.equal(res.text, '{"error":"Model with name nosuch does not exist."}');
  const byHost = await httpRequest({
    port: inferd.port,
    path: '/v1/models/nosuch:predict',
    headers: { host: 'nosuch.default.example.com' },
    body: IRIS,
  });
  assert.equal(byHost.status, 404);
  assert.match(JSON.parse(byHost.text).error, /nosuch does not exist in namespace default/);
});

test('the path template /serving/{ns}/{name}/ reaches the service', async () => {
  const res = await curlPost(`${inferd.url}/serving/default/sklearn-iris/v1/models/sklearn-iris:predict`, IRIS);
  assert.equal(res.status, 200);
  assert.equal(res.text, '{"predictions":[1,1]}');
});

test('status is KServe-shaped: url, conditions, traffic, modelStatus', async () => {
  const obj = (await waitForCondition(inferd.url, 'default', 'sklearn-iris', 'True')) as {
    status: {
      url: string;
      components: { predictor: { latestReadyRevision: string; traffic: { percent: number }[] } };
      modelStatus: { states: { activeModelState: string } };
    };
  };
  assert.equal(obj.status.url, 'http://sklearn-iris.default.example.com');
  assert.equal(obj.status.components.predictor.latestReadyRevision, 'sklearn-iris-predictor-00001');
  assert.equal(obj.status.components.predictor.traffic[0]?.percent, 100);
  assert.equal(obj.status.modelStatus.states.activeModelState, 'Loaded');
});
