// A killed (kill -9) inferd restarts with every resource intact and brings its replicas back:
// same uid and resourceVersion, Ready again, predictions answered.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  curlPost,
  type Inferd,
  removeDir,
  runCli,
  startInferd,
  tempStateDir,
  waitForCondition,
} from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const stateDir = tempStateDir();
let inferd: Inferd | undefined;

after(async () => {
  await inferd?.stop();
  removeDir(stateDir);
});

interface Meta {
  metadata: { uid: string; resourceVersion: string };
}

test('kill -9, restart: both services come back Ready with the same uid and resourceVersion', async () => {
  inferd = await startInferd({ stateDir, args: ['--demo'] });
  const applied = await runCli([
    'apply',
    '-f',
    join(repoRoot, 'examples', 'sklearn-iris.yaml'),
    '--server',
    inferd.url,
  ]);
  assert.equal(applied.code, 0, applied.stderr);
  const before = [
    (await waitForCondition(inferd.url, 'default', 'sklearn-iris', 'True')) as unknown as Meta,
    (await waitForCondition(inferd.url, 'kserve-test', 'sklearn-iris', 'True')) as unknown as Meta,
  ];
  await inferd.kill9();

  inferd = await startInferd({ stateDir, args: ['--demo'] });
  // Requests sent while the replicas come back are held, not refused.
  const res = await curlPost(`${inferd.url}/serving/kserve-test/sklearn-iris/v1/models/sklearn-iris:predict`, IRIS);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, '{"predictions":[1,1]}');
  const afterRestart = [
    (await waitForCondition(inferd.url, 'default', 'sklearn-iris', 'True')) as unknown as Meta,
    (await waitForCondition(inferd.url, 'kserve-test', 'sklearn-iris', 'True')) as unknown as Meta,
  ];
  for (let i = 0; i < 2; i++) {
    assert.equal(afterRestart[i]!.metadata.uid, before[i]!.metadata.uid);
    assert.equal(afterRestart[i]!.metadata.resourceVersion, before[i]!.metadata.resourceVersion);
  }
});
