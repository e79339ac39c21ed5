// A TrainedModel whose load or download failed is retried on a timer (issue 16), with no change to its spec
// and no restart of its parent: a model file that is broken at first and fixed on disk later becomes Ready after
// the back-off; a storageUri that does not exist yet is downloaded once it does. The Ready condition's message
// says how often it failed and when the next try is.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createObject, httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const ISVC_API = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const TM_API = '/apis/serving.kserve.io/v1alpha1/namespaces/default/trainedmodels';
let inferd: Inferd;

before(async () => {
  inferd = await startInferd({ args: ['--standby-replicas', '0'] });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

const post = (path: string, body: unknown) => createObject(inferd.url, path, body);

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Polls the TrainedModel's Ready condition until `ok` holds (bounded). */
async function waitReady(name: string, ok: (c: Cond | undefined) => boolean, timeoutMs: number): Promise<Cond> {
  const deadline = Date.now() + timeoutMs;
  let last: Cond | undefined;
  while (Date.now() < deadline) {
    const res = await fetch(`${inferd.url}${TM_API}/${name}`);
    if (res.ok) {
      const tm = (await res.json()) as { status?: { conditions?: Cond[] } };
      last = tm.status?.conditions?.find((c) => c.type === 'Ready');
      if (ok(last)) return last!;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`trainedmodel ${name}: Ready never matched; last: ${JSON.stringify(last)}`);
}

const tm = (name: string, storageUri: string) => ({
  apiVersion: 'serving.kserve.io/v1alpha1',
  kind: 'TrainedModel',
  metadata: { name, namespace: 'default' },
  spec: { inferenceService: 'mms', model: { storageUri, framework: 'sklearn', memory: '64Mi' } },
});

test('a failed TrainedModel load and a failed download are retried on a timer until they succeed', async () => {
  await post(ISVC_API, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'mms', namespace: 'default' },
    spec: { predictor: { sklearn: { protocolVersion: 'v1' } } },
  });
  await waitForCondition(inferd.url, 'default', 'mms', 'True', 60_000);

  const broken = join(inferd.stateDir, 'broken');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'model.joblib'), 'not a pickle');
  const later = join(inferd.stateDir, 'later');
  await post(TM_API, tm('fixed-later', broken));
  await post(TM_API, tm('arrives-later', later));

  const loadFailed = await waitReady('fixed-later', (c) => /failed once, retrying at/.test(c?.message ?? ''), 30_000);
  assert.equal(loadFailed.status, 'False');
  const downloadFailed = await waitReady(
    'arrives-later',
    (c) => /failed once, retrying at/.test(c?.message ?? ''),
    30_000,
  );
  assert.equal(downloadFailed.reason, 'ModelNotFound');

  // Fix both on disk; nothing else changes. The first retry is 5 s after the failure.
  copyFileSync(join(repoRoot, 'models', 'sklearn-iris', 'model.joblib'), join(broken, 'model.joblib'));
  mkdirSync(later, { recursive: true });
  copyFileSync(join(repoRoot, 'models', 'sklearn-iris', 'model.joblib'), join(later, 'model.joblib'));
  for (const name of ['fixed-later', 'arrives-later']) {
    await waitReady(name, (c) => c?.status === 'True', 40_000);
    const r = await httpRequest({
      port: inferd.port,
      path: `/v1/models/${name}:predict`,
      headers: { host: 'mms.default.example.com' },
      body: IRIS,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '{"predictions":[1,1]}');
  }
});
