// KServe's canary flow against a real `inferd serve`: apply v1; update to v2 with canaryTrafficPercent 20;
// promote; roll back with 0; promote; `inferd rollout undo`; kill -9 and restart. Each step is checked in
// status.components.predictor (traffic, rolled-out revisions), in `inferd get isvc` (PREV/LATEST) and in
// the events (`inferd describe`), and predictions answer 200 throughout.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { curlPost, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const R1 = 'iris-canary-predictor-00001';
const R2 = 'iris-canary-predictor-00002';
const stateDir = tempStateDir();
let inferd: Inferd | undefined;

after(async () => {
  await inferd?.stop();
  removeDir(stateDir);
});

/** The manifest: v2 differs from v1 in its revision template (an env var), the same bundled model. */
function manifest(version: 1 | 2, canary?: number): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris-canary', namespace: 'default' },
    spec: {
      predictor: {
        ...(canary !== undefined ? { canaryTrafficPercent: canary } : {}),
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: 'models/sklearn-iris',
          env: [{ name: 'MODEL_VERSION', value: `v${version}` }],
        },
      },
    },
  });
}

async function apply(version: 1 | 2, canary?: number): Promise<void> {
  const r = await runCli(['apply', '-f', '-', '--server', inferd!.url], { input: manifest(version, canary) });
  assert.equal(r.code, 0, r.stderr);
}

async function getIsvc(): Promise<InferenceService> {
  const res = await fetch(
    `${inferd!.url}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/iris-canary`,
  );
  return (await res.json()) as InferenceService;
}

/** Polls the stored object until `pred` holds (bounded); returns the predictor's status then. */
async function waitStatus(what: string, pred: (isvc: InferenceService) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: InferenceService | undefined;
  while (Date.now() < deadline) {
    last = await getIsvc();
    if (pred(last)) return last.status!.components!.predictor!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not so within ${timeoutMs} ms; last status ${JSON.stringify(last?.status)}`);
}

const trafficIs = (want: [string, number][]) => (o: InferenceService) =>
  JSON.stringify((o.status?.components?.predictor?.traffic ?? []).map((t) => [t.revisionName, t.percent])) ===
  JSON.stringify(want);
const readyTrue = (o: InferenceService) =>
  o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
  o.status.observedGeneration === o.metadata.generation;

async function getRow(): Promise<string[]> {
  const r = await runCli(['get', 'isvc', 'iris-canary', '--server', inferd!.url]);
  assert.equal(r.code, 0, r.stderr);
  const [header, row] = r.stdout.trim().split('\n');
  assert.match(header!, /^NAME\s+URL\s+READY\s+PREV\s+LATEST\s+AGE$/);
  return row!.split(/\s+/);
}

async function events(): Promise<string> {
  const r = await runCli(['describe', 'isvc', 'iris-canary', '--server', inferd!.url]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function predict(): Promise<void> {
  const res = await curlPost(`${inferd!.url}/serving/default/iris-canary/v1/models/iris-canary:predict`, IRIS);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, '{"predictions":[1,1]}');
}

test('canary 20 → promote → 0 → promote → rollout undo → restart, as KServe fills the status', async () => {
  inferd = await startInferd({ stateDir, args: ['--standby-replicas', '0'] });
  await apply(1);
  let p = await waitStatus('v1 Ready', (o) => readyTrue(o) && trafficIs([[R1, 100]])(o));
  assert.equal(p.latestRolledoutRevision, R1);
  await predict();

  // v2 as a canary with 20%.
  await apply(2, 20);
  p = await waitStatus(
    'v2 takes 20%',
    (o) =>
      readyTrue(o) &&
      trafficIs([
        [R2, 20],
        [R1, 80],
      ])(o),
  );
  assert.deepEqual(p.traffic, [
    { revisionName: R2, percent: 20, latestRevision: true },
    { revisionName: R1, percent: 80, latestRevision: false },
  ]);
  assert.equal(p.latestCreatedRevision, R2);
  assert.equal(p.latestReadyRevision, R2);
  assert.equal(p.latestRolledoutRevision, R1);
  let row = await getRow();
  assert.deepEqual(row.slice(3, 5), ['80', '20'], 'PREV 80, LATEST 20');
  assert.match(await events(), new RegExp(`TrafficSplit\\s.*traffic split: ${R2} 20%, ${R1} 80%`));
  await predict();

  // A canary-only change makes no revision.
  await apply(2, 30);
  p = await waitStatus(
    'v2 takes 30%',
    trafficIs([
      [R2, 30],
      [R1, 70],
    ]),
  );
  assert.equal(p.latestCreatedRevision, R2);

  // Promote: the field removed.
  await apply(2);
  p = await waitStatus('promoted', (o) => trafficIs([[R2, 100]])(o) && readyTrue(o));
  assert.equal(p.latestRolledoutRevision, R2);
  assert.equal(p.previousRolledoutRevision, R1);
  row = await getRow();
  assert.equal(row.length, 5, `no PREV cell: ${row.join(' ')}`);
  assert.equal(row[3], '100', 'LATEST 100');
  assert.match(await events(), /Promoted\s.*receives 100% of traffic/);
  await predict();

  // Roll back with 0: v1 started again and takes all traffic, v2 keeps running with 0%.
  await apply(2, 0);
  p = await waitStatus(
    'rolled back',
    trafficIs([
      [R2, 0],
      [R1, 100],
    ]),
  );
  assert.equal(p.latestRolledoutRevision, R1);
  row = await getRow();
  assert.deepEqual(row.slice(3, 5), ['100', '0'], 'PREV 100, LATEST 0');
  assert.match(await events(), /RolledBack\s.*rolled back/);
  await predict();

  // Promote again, then undo from the CLI.
  await apply(2);
  await waitStatus('promoted again', trafficIs([[R2, 100]]));
  const undo = await runCli(['rollout', 'undo', 'isvc/iris-canary', '--server', inferd.url]);
  assert.equal(undo.code, 0, undo.stderr);
  assert.match(
    undo.stdout,
    new RegExp(`iris-canary rolled back: canaryTrafficPercent set to 0; traffic goes to ${R1}`),
  );
  p = await waitStatus(
    'undone',
    (o) =>
      trafficIs([
        [R2, 0],
        [R1, 100],
      ])(o) && readyTrue(o),
  );
  assert.equal((await getIsvc()).spec?.predictor.canaryTrafficPercent, 0);
  await predict();

  // A restart keeps the revisions and the traffic: no new revision, v1 serving again.
  const before = await getIsvc();
  await inferd.kill9();
  inferd = await startInferd({ stateDir, args: ['--standby-replicas', '0'] });
  await predict();
  p = await waitStatus(
    'after restart',
    (o) =>
      trafficIs([
        [R2, 0],
        [R1, 100],
      ])(o) && readyTrue(o),
  );
  assert.equal(p.latestCreatedRevision, R2);
  assert.equal(p.latestRolledoutRevision, R1);
  const afterRestart = await getIsvc();
  assert.equal(afterRestart.metadata.resourceVersion, before.metadata.resourceVersion, 'no status churn');

  // Errors as the CLI's others.
  const missing = await runCli(['rollout', 'undo', 'isvc/nope', '--server', inferd.url]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /NotFound.*"nope" not found/);
  const wrong = await runCli(['rollout', 'status', 'isvc/iris-canary', '--server', inferd.url]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /unknown subcommand "status"/);
});
