// A model that does not exist, a corrupt pickle and a malicious pickle each end as a not-Ready service
// with a clear reason — visible in status and `inferd describe`, never a silent hang — and the malicious
// pickle's payload never runs.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { curlPost, type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';
import { fixturesDir } from '../helpers/paths.js';

const PWNED_MARKER = '/tmp/inferd-pwned-sklearn-os-system';
let inferd: Inferd;

before(async () => {
  rmSync(PWNED_MARKER, { force: true });
  inferd = await startInferd();
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

function manifest(name: string, storageUri: string): string {
  return `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ${name}
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: ${JSON.stringify(storageUri)}
`;
}

interface Status {
  status: {
    conditions: { type: string; status: string; reason?: string; message?: string }[];
    modelStatus: { states: { activeModelState: string }; lastFailureInfo?: { reason: string; message: string } };
  };
}

async function applyAndWaitFailed(name: string, uri: string): Promise<Status> {
  const res = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: manifest(name, uri) });
  assert.equal(res.code, 0, res.stderr);
  return (await waitForCondition(inferd.url, 'default', name, 'False', 30_000)) as unknown as Status;
}

test('a model file that does not exist → Ready=False, ModelNotFound, naming the path', async () => {
  const missing = join(fixturesDir, 'sklearn', 'no-such-model', 'model.joblib');
  const st = await applyAndWaitFailed('missing-model', missing);
  const ready = st.status.conditions.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'ModelNotFound');
  assert.match(ready.message ?? '', /no-such-model/);
  assert.equal(st.status.modelStatus.states.activeModelState, 'FailedToLoad');
  const res = await curlPost(`${inferd.url}/v1/models/missing-model:predict`, '{"instances":[[1,2,3,4]]}');
  assert.equal(res.status, 503);
  assert.match(JSON.parse(res.text).error, /not ready: ModelNotFound/);
});

test('a corrupt pickle → Ready=False with a load-failure reason', async () => {
  const st = await applyAndWaitFailed('corrupt-model', join(fixturesDir, 'sklearn', 'refused', 'truncated'));
  const ready = st.status.conditions.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'ModelLoadFailed');
  assert.ok((ready.message ?? '').length > 10, ready.message);
  assert.equal(st.status.modelStatus.lastFailureInfo?.reason, 'ModelLoadFailed');
});

test('a pickle whose __reduce__ calls os.system is refused and never runs', async () => {
  const st = await applyAndWaitFailed('malicious-model', join(fixturesDir, 'sklearn', 'refused', 'os-system'));
  const ready = st.status.conditions.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'UnsafeModel');
  assert.match(ready.message ?? '', /system/);
  assert.equal(existsSync(PWNED_MARKER), false, 'the malicious payload ran');

  const described = await runCli(['describe', 'isvc', 'malicious-model', '--server', inferd.url]);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /UnsafeModel/);
});
