// Issue 15: a transformer's revisions survive an `inferd serve` restart (they are in the revision ledger beside
// the predictor's). A canary in progress keeps its split after a restart (both revisions run again, the same
// status traffic); after a promotion and a restart, `canaryTrafficPercent: 0` starts the previous revision
// again from its recorded spec (the manifest now names only v2); deleting the service drops its ledger file.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';
import { versionTransformerManifest } from './version-transformer-manifest.js';

const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const IRIS = '{"instances":[[6.8,2.8,4.8,1.4]]}';
const NAME = 'tcrestart';
const stateDir = tempStateDir();

let inferd: Inferd | undefined;

after(async () => {
  await inferd?.stop();
  removeDir(stateDir);
});

const manifest = (version: string, canary?: number): string => versionTransformerManifest(NAME, version, canary);

async function apply(body: string): Promise<void> {
  const r = await runCli(['apply', '-f', '-', '--server', inferd!.url], { input: body });
  assert.equal(r.code, 0, r.stderr);
}

async function restart(): Promise<void> {
  await inferd!.stop();
  inferd = await startInferd({ stateDir });
}

async function waitFor(what: string, pred: (o: InferenceService) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: InferenceService | undefined;
  while (Date.now() < deadline) {
    last = JSON.parse((await httpRequest({ port: inferd!.port, path: `${ISVC}/${NAME}` })).text) as InferenceService;
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${NAME} ${what}: not within ${timeoutMs} ms; last status ${JSON.stringify(last?.status)}`);
}

const ready = (o: InferenceService) =>
  o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
  o.status.observedGeneration === o.metadata.generation;
const transformerOf = (o: InferenceService) => o.status?.components?.transformer;
const trafficOf = (o: InferenceService) =>
  (transformerOf(o)?.traffic ?? []).map((t) => `${t.revisionName} ${t.percent}${t.tag ? ` ${t.tag}` : ''}`);

async function shares(n: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await httpRequest({
      port: inferd!.port,
      path: `/v1/models/${NAME}:predict`,
      headers: { host: `${NAME}.default.example.com`, 'content-type': 'application/json' },
      body: IRIS,
    });
    assert.equal(r.status, 200, r.text);
    const body = JSON.parse(r.text) as { predictions: number[]; transformer: string };
    assert.deepEqual(body.predictions, [1]);
    out.set(body.transformer, (out.get(body.transformer) ?? 0) + 1);
  }
  return out;
}

test('a transformer canary keeps its split across a restart; a rollback after a restart runs the previous spec', async () => {
  inferd = await startInferd({ stateDir });
  await apply(manifest('v1'));
  const first = await waitFor('Ready', (o) => ready(o) && trafficOf(o).length === 1);
  const rev1 = transformerOf(first)!.latestCreatedRevision!;
  await apply(manifest('v2', 20));
  const split = await waitFor('split 20/80', (o) => ready(o) && trafficOf(o).length === 2);
  const rev2 = transformerOf(split)!.latestCreatedRevision!;
  assert.notEqual(rev2, rev1);
  assert.deepEqual(trafficOf(split), [`${rev2} 20`, `${rev1} 80`]);

  // Restart: both revisions run again and the split is the same (before: v2 alone at 100 %).
  await restart();
  const resumed = await waitFor('Ready after the restart', (o) => ready(o) && trafficOf(o).length === 2);
  assert.deepEqual(trafficOf(resumed), [`${rev2} 20`, `${rev1} 80`]);
  assert.equal(transformerOf(resumed)?.latestRolledoutRevision, rev1);
  assert.equal(transformerOf(resumed)?.latestReadyRevision, rev2);
  const N = 100;
  const counted = await shares(N);
  assert.equal((counted.get('v1') ?? 0) + (counted.get('v2') ?? 0), N, JSON.stringify([...counted]));
  const canary = (counted.get('v2') ?? 0) / N;
  assert.ok(Math.abs(canary - 0.2) <= 0.05, `canary share after the restart ${counted.get('v2')}/${N}`);

  // Promotion, then a restart: v1's replicas are gone, only its recorded spec is left.
  await apply(manifest('v2'));
  const promoted = await waitFor('promoted', (o) => ready(o) && trafficOf(o).length === 1);
  assert.deepEqual(trafficOf(promoted), [`${rev2} 100`]);
  await restart();
  const again = await waitFor('Ready after the second restart', (o) => ready(o) && trafficOf(o).length === 1);
  assert.equal(transformerOf(again)?.previousRolledoutRevision, rev1);
  assert.deepEqual([...(await shares(10))], [['v2', 10]]);

  // Rollback: the manifest names v2 only; v1 starts again from the ledger's spec and takes 100 %.
  await apply(manifest('v2', 0));
  const back = await waitFor('rolled back', (o) => ready(o) && trafficOf(o).length === 2);
  assert.deepEqual(trafficOf(back), [`${rev2} 0`, `${rev1} 100`]);
  assert.deepEqual([...(await shares(20))], [['v1', 20]]);

  // Deleting the service drops its revisions, the transformer's with the predictor's.
  const ledgerFile = join(stateDir, 'revisions', 'default', `${NAME}.json`);
  assert.ok(existsSync(ledgerFile), 'the ledger file exists while the service does');
  const del = await runCli(['delete', 'isvc', NAME, '--server', inferd.url]);
  assert.equal(del.code, 0, del.stderr);
  const deadline = Date.now() + 30_000;
  while (existsSync(ledgerFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(existsSync(ledgerFile), false, 'the ledger file is gone after the delete');
});
