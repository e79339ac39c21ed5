// Acceptance story 2: apply the seeds' manifests (new and old style, another namespace), wait, predict,
// list with -A, delete one and see its replica process stop.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
let inferd: Inferd;
const cli = (...args: string[]) => runCli([...args, '--server', inferd.url]);

before(async () => {
  inferd = await startInferd({ args: ['--demo'] });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('apply -f an old-style manifest in another namespace, wait, predict by Host', async () => {
  const file = join(repoRoot, 'examples', 'sklearn-iris-old-style.yaml');
  const applied = await cli('apply', '-f', file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim(), 'inferenceservice.serving.kserve.io/sklearn-iris-v1 created');
  const again = await cli('apply', '-f', file);
  assert.equal(again.stdout.trim(), 'inferenceservice.serving.kserve.io/sklearn-iris-v1 unchanged');

  const waited = await cli(
    'wait',
    '--for=condition=Ready',
    'isvc/sklearn-iris-v1',
    '-n',
    'kserve-test',
    '--timeout=60s',
  );
  assert.equal(waited.code, 0, waited.stderr);
  assert.match(waited.stdout, /condition met/);

  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/sklearn-iris-v1:predict',
    headers: { host: 'sklearn-iris-v1.kserve-test.example.com' },
    body: IRIS,
  });
  assert.equal(res.status, 200);
  assert.equal(res.text, '{"predictions":[1,1]}');

  // The old-style spec was stored in the new style.
  const got = await cli('get', 'isvc', 'sklearn-iris-v1', '-n', 'kserve-test', '-o', 'json');
  const obj = JSON.parse(got.stdout);
  assert.equal(obj.spec.predictor.model.modelFormat.name, 'sklearn');
  assert.equal(obj.spec.predictor.sklearn, undefined);
});

test('get isvc -A lists both services with kubectl columns', async () => {
  await waitForCondition(inferd.url, 'default', 'sklearn-iris', 'True');
  const res = await cli('get', 'isvc', '-A');
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+URL\s+READY\s+PREV\s+LATEST\s+AGE/);
  assert.ok(
    lines.some((l) => /^default\s+sklearn-iris\s+http:\/\/sklearn-iris\.default\.example\.com\s+True/.test(l)),
    res.stdout,
  );
  assert.ok(
    lines.some((l) => /^kserve-test\s+sklearn-iris-v1\s+\S+\s+True/.test(l)),
    res.stdout,
  );
});

test('delete removes the service and stops its replica process', async () => {
  const logs = await cli('logs', 'sklearn-iris-v1', '-n', 'kserve-test');
  assert.equal(logs.code, 0, logs.stderr);
  const pid = replicaPid(logs.stdout);
  assert.ok(pid, `no replica pid in logs:\n${logs.stdout}`);
  assert.ok(isAlive(pid));

  const del = await cli('delete', 'isvc', 'sklearn-iris-v1', '-n', 'kserve-test');
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout.trim(), 'inferenceservice.serving.kserve.io "sklearn-iris-v1" deleted');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(isAlive(pid), false, 'replica process still running after delete');

  const gone = await cli('get', 'isvc', 'sklearn-iris-v1', '-n', 'kserve-test');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /NotFound/);
  const res = await httpRequest({
    port: inferd.port,
    path: '/v1/models/sklearn-iris-v1:predict',
    headers: { host: 'sklearn-iris-v1.kserve-test.example.com' },
    body: IRIS,
  });
  assert.equal(res.status, 404);
});

test('a manifest that is not valid is refused before it is stored, with the field path', async () => {
  const bad = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: Bad_Name
spec:
  predictor:
    containers:
      - name: kserve-container
        image: example/custom
    model:
      modelFormat:
        name: sklearn
`;
  const res = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: bad });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /metadata\.name/);
  assert.match(
    res.stderr,
    /spec\.predictor: exactly one of model, sklearn, .* or containers must be set; found model and containers/,
  );
  const malformed = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: 'kind: [unclosed\n' });
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /\d+:\d+/);
});

/** The replica logs its pid in its first JSON line. */
function replicaPid(logs: string): number | undefined {
  for (const line of logs.split('\n')) {
    try {
      const rec = JSON.parse(line) as { pid?: number };
      if (typeof rec.pid === 'number') return rec.pid;
    } catch {
      // not a JSON line (e.g. a runtime's own output)
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
