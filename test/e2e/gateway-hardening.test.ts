// `inferd serve`'s gateway under issue 10's findings, end to end: --max-body-bytes is the gateway's limit
// (L6), repository load/unload is refused on the public port (H2), a crashed replica's requests are held
// while it restarts (L4), and a failing same-named service in another namespace does not hide the working
// one (L5).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';

let inferd: Inferd;
const PREDICT = '/v1/models/sklearn-iris:predict';
const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';

before(async () => {
  inferd = await startInferd({ args: ['--demo', '--standby-replicas', '0', '--max-body-bytes', '100000'] });
  await waitForCondition(inferd.url, 'default', 'sklearn-iris', 'True', 60_000);
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

const predict = () => httpRequest({ port: inferd.port, path: PREDICT, body: IRIS, timeoutMs: 40_000 });

test('--max-body-bytes is the gateway limit: a larger body gets 413 naming the flag (L6, L1)', async () => {
  const big = `{"instances":[[${'1,'.repeat(60_000)}1]]}`;
  const r = await httpRequest({ port: inferd.port, path: PREDICT, body: big });
  assert.equal(r.status, 413, r.text);
  assert.match(r.text, /limit of 100000 bytes \(inferd serve --max-body-bytes\)/);
  assert.equal((await predict()).status, 200);
});

test('repository load/unload through the public port: 403 naming --allow-repository-api; the model stays up (H2)', async () => {
  const r = await httpRequest({ port: inferd.port, path: '/v2/repository/models/sklearn-iris/unload', body: '' });
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /--allow-repository-api/);
  const p = await predict();
  assert.equal(p.status, 200);
  assert.equal(p.text, '{"predictions":[1,1]}');
});

test('a same-named service failing in another namespace does not turn the working one into 400s (L5)', async () => {
  const manifest = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'sklearn-iris', namespace: 'team-b' },
    spec: {
      predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: '/nonexistent/inferd/model.joblib' } },
    },
  };
  const res = await fetch(`${inferd.url}/apis/serving.kserve.io/v1beta1/namespaces/team-b/inferenceservices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(manifest),
  });
  assert.equal(res.status, 201, await res.text());
  await waitForCondition(inferd.url, 'team-b', 'sklearn-iris', 'False', 30_000);
  const p = await predict();
  assert.equal(p.status, 200, p.text);
  const del = await runCli(['delete', 'isvc', 'sklearn-iris', '-n', 'team-b', '--server', inferd.url]);
  assert.equal(del.code, 0, del.stderr);
});

test('after a replica crash, requests are held while it restarts instead of 503 at once (L4)', async () => {
  const logs = await runCli(['logs', 'sklearn-iris', '--server', inferd.url]);
  assert.equal(logs.code, 0, logs.stderr);
  const pid = replicaPid(logs.stdout);
  assert.ok(pid !== undefined, `no replica pid in: ${logs.stdout.slice(0, 400)}`);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.ok(!isAlive(pid), 'the replica is gone');
  const t0 = performance.now();
  const r = await predict();
  const ms = performance.now() - t0;
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text, '{"predictions":[1,1]}');
  console.log(`# L4: the request after the crash was held ${ms.toFixed(0)} ms and answered 200`);
});

/** The replica logs its pid in its first JSON line. */
function replicaPid(logs: string): number | undefined {
  for (const line of logs.split('\n')) {
    try {
      const rec = JSON.parse(line) as { pid?: number };
      if (typeof rec.pid === 'number') return rec.pid;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
