// Packed replicas (`inferd serve --models-per-replica 4`): two sklearn services share one model-host process
// (each model in its own worker thread) and both answer through the gateway; deleting one keeps the other
// answering from the same host; killing the host brings both back (restarts counted per service).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const API = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
let inferd: Inferd;

before(async () => {
  inferd = await startInferd({ args: ['--models-per-replica', '4', '--standby-replicas', '0'] });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

async function apply(name: string): Promise<void> {
  const res = await fetch(`${inferd.url}${API}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name, namespace: 'default' },
      spec: {
        predictor: {
          model: { modelFormat: { name: 'sklearn' }, storageUri: join(repoRoot, 'models', 'sklearn-iris') },
        },
      },
    }),
  });
  assert.equal(res.status, 201, await res.text());
}

const predict = (name: string) =>
  httpRequest({
    port: inferd.port,
    path: `/v1/models/${name}:predict`,
    headers: { host: `${name}.default.example.com` },
    body: IRIS,
  });

/** The host pid from the service's log ("replica started in a shared model host", pid). */
async function hostPid(name: string): Promise<number> {
  const res = await fetch(`${inferd.url}${API}/${name}/log?tailLines=200`);
  const lines = (await res.text()).split('\n').filter((l) => l.includes('shared model host'));
  const last = lines.at(-1);
  assert.ok(last, `no host line in ${name}'s log`);
  return JSON.parse(last).pid as number;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('two services in one host: both answer; delete one, the other answers; kill the host, both return', async () => {
  await apply('iris-p1');
  await apply('iris-p2');
  await waitForCondition(inferd.url, 'default', 'iris-p1', 'True', 60_000);
  await waitForCondition(inferd.url, 'default', 'iris-p2', 'True', 60_000);
  for (const n of ['iris-p1', 'iris-p2']) {
    const r = await predict(n);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '{"predictions":[1,1]}');
  }
  const pid = await hostPid('iris-p1');
  assert.equal(await hostPid('iris-p2'), pid, 'both services in the same host process');

  // Kill the host: both services restart (in a new host) and answer again; restarts are per service.
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 60_000;
  for (const n of ['iris-p1', 'iris-p2']) {
    for (;;) {
      const r = await predict(n).catch(() => undefined);
      if (r?.status === 200 && r.text === '{"predictions":[1,1]}') break;
      assert.ok(Date.now() < deadline, `${n} did not come back: ${r?.status} ${r?.text}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  const newPid = await hostPid('iris-p1');
  assert.notEqual(newPid, pid);
  assert.equal(await hostPid('iris-p2'), newPid);
  for (const n of ['iris-p1', 'iris-p2']) {
    const obj = (await (await fetch(`${inferd.url}${API}/${n}`)).json()) as {
      status?: { components?: { predictor?: { restartCount?: number } } };
    };
    const restarts = JSON.stringify(obj.status);
    assert.match(restarts, /"restartCount":1\b/, `${n}: ${restarts}`);
  }

  // Delete one: the other keeps answering from the same host.
  const del = await fetch(`${inferd.url}${API}/iris-p1`, { method: 'DELETE' });
  assert.ok(del.status === 200 || del.status === 202, String(del.status));
  for (let i = 0; i < 100; i++) {
    if ((await predict('iris-p1')).status === 404) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal((await predict('iris-p1')).status, 404);
  const r2 = await predict('iris-p2');
  assert.equal(r2.status, 200);
  assert.equal(r2.text, '{"predictions":[1,1]}');
  assert.ok(alive(newPid), 'the host stays for its other model');

  // Delete the last: the host stops.
  await fetch(`${inferd.url}${API}/iris-p2`, { method: 'DELETE' });
  // Bounded by time (was 100 sleeps of 50 ms): a loaded machine takes longer to stop a host.
  for (const until = Date.now() + 20_000; Date.now() < until && alive(newPid); )
    await new Promise((res) => setTimeout(res, 50));
  assert.equal(alive(newPid), false, 'the last model out stops the host');
});
