// Density by default (issue 16): with inferd serve's default settings, two sklearn services of one namespace
// are packed into one model-host process (a worker thread each) and a third in another namespace gets a host
// of its own; a model that runs past its worker's heap limit (a 20 MB xgboost JSON under --worker-heap-limit
// 32Mi) fails alone with reason OOMKilled in its status while its neighbour keeps answering from the same host.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const api = (ns: string) => `/apis/serving.kserve.io/v1beta1/namespaces/${ns}/inferenceservices`;
let inferd: Inferd;

before(async () => {
  inferd = await startInferd({ args: ['--worker-heap-limit', '32Mi'] });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

async function apply(ns: string, name: string, format: string, storageUri: string): Promise<void> {
  const res = await fetch(`${inferd.url}${api(ns)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name, namespace: ns },
      spec: { predictor: { model: { modelFormat: { name: format }, storageUri } } },
    }),
  });
  assert.equal(res.status, 201, await res.text());
}

const predict = (ns: string, name: string) =>
  httpRequest({
    port: inferd.port,
    path: `/v1/models/${name}:predict`,
    headers: { host: `${name}.${ns}.example.com` },
    body: IRIS,
  });

/** The host pid from the service's log ("replica started in a shared model host", pid). */
async function hostPid(ns: string, name: string): Promise<number> {
  const res = await fetch(`${inferd.url}${api(ns)}/${name}/log?tailLines=200`);
  const last = (await res.text())
    .split('\n')
    .filter((l) => l.includes('shared model host'))
    .at(-1);
  assert.ok(last, `${ns}/${name} was not started in a shared model host`);
  return JSON.parse(last).pid as number;
}

test('default settings: one namespace shares a host, another gets its own; a heap bomb fails alone', async () => {
  const iris = join(repoRoot, 'models', 'sklearn-iris');
  await apply('default', 'dense-1', 'sklearn', iris);
  await apply('default', 'dense-2', 'sklearn', iris);
  await apply('team-b', 'dense-3', 'sklearn', iris);
  for (const [ns, n] of [
    ['default', 'dense-1'],
    ['default', 'dense-2'],
    ['team-b', 'dense-3'],
  ] as const) {
    await waitForCondition(inferd.url, ns, n, 'True', 60_000);
    const r = await predict(ns, n);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '{"predictions":[1,1]}');
  }
  const shared = await hostPid('default', 'dense-1');
  assert.equal(await hostPid('default', 'dense-2'), shared, 'two services of one namespace share a host');
  assert.notEqual(await hostPid('team-b', 'dense-3'), shared, 'another namespace never shares it');

  // 20 MB of JSON numbers in 10,000 small arrays: JSON.parse needs far more than the worker's 32 MiB heap.
  // (Many small allocations: one huge array past the limit can abort the whole process, a known Node.js
  // limitation of worker heap limits, nodejs/node#47224; docs/multi-model.md says so.)
  const big = join(inferd.stateDir, 'big-xgb');
  mkdirSync(big, { recursive: true });
  const inner = `[${'0,'.repeat(999)}0]`;
  writeFileSync(join(big, 'model.json'), `{"learner":{"pad":[${Array(10_000).fill(inner).join(',')}]}}`);
  await apply('default', 'heap-bomb', 'xgboost', big);
  let status = '';
  const deadline = Date.now() + 60_000;
  while (!status.includes('OOMKilled')) {
    assert.ok(Date.now() < deadline, `no OOMKilled in heap-bomb's status: ${status}`);
    await new Promise((r) => setTimeout(r, 200));
    const obj = (await (await fetch(`${inferd.url}${api('default')}/heap-bomb`)).json()) as { status?: unknown };
    status = JSON.stringify(obj.status ?? {});
  }
  assert.match(status, /32 MiB heap limit/);
  assert.equal(await hostPid('default', 'heap-bomb'), shared, 'it ran in the shared host');
  const r = await predict('default', 'dense-1');
  assert.equal(r.status, 200, 'its neighbour keeps answering');
  assert.equal(r.text, '{"predictions":[1,1]}');
  assert.equal(await hostPid('default', 'dense-1'), shared, 'from the same host process');
  process.kill(shared, 0); // still alive
});
