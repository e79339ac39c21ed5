// Issue 15: canaryTrafficPercent on a transformer, on a real `inferd serve`. KServe gives each component its own
// traffic: a changed transformer with `spec.transformer.canaryTrafficPercent: 20` takes 20 % of the service's
// requests beside the last rolled-out transformer revision (the predictor is not touched), removing the field
// promotes it, setting it to 0 rolls back to the previous revision (started again). The two revisions answer
// differently (the fixture adds its TRANSFORMER_VERSION), and status.components.transformer carries the
// traffic block and rolled-out revisions; under tag routing `latest-`/`prev-{name}-transformer` reach one each.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { httpRequest, type Inferd, removeDir, runCli, startInferd } from '../helpers/inferd.js';
import { versionTransformerManifest } from './version-transformer-manifest.js';

const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const IRIS = '{"instances":[[6.8,2.8,4.8,1.4]]}';
const NAME = 'tcanary';

let inferd: Inferd | undefined;

before(async () => {
  inferd = await startInferd();
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

const manifest = (version: string, canary?: number): string =>
  versionTransformerManifest(NAME, version, canary, { 'serving.kserve.io/enable-tag-routing': 'true' });

async function apply(body: string): Promise<void> {
  const r = await runCli(['apply', '-f', '-', '--server', inferd!.url], { input: body });
  assert.equal(r.code, 0, r.stderr);
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
/** The transformer's traffic as `revision percent[ tag]` strings. */
const trafficOf = (o: InferenceService) =>
  (transformerOf(o)?.traffic ?? []).map((t) => `${t.revisionName} ${t.percent}${t.tag ? ` ${t.tag}` : ''}`);

/** The transformer version that answered one request (through the service host, or a tag host). */
async function servedBy(host = `${NAME}.default.example.com`): Promise<string> {
  const r = await httpRequest({
    port: inferd!.port,
    path: `/v1/models/${NAME}:predict`,
    headers: { host, 'content-type': 'application/json' },
    body: IRIS,
  });
  assert.equal(r.status, 200, r.text);
  const body = JSON.parse(r.text) as { predictions: number[]; transformer: string };
  assert.deepEqual(body.predictions, [1]);
  return body.transformer;
}

async function shares(n: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = await servedBy();
    out.set(v, (out.get(v) ?? 0) + 1);
  }
  return out;
}

test('a transformer canary at 20 % splits 20/80 between its revisions; promotion and rollback move it', async () => {
  assert.ok(inferd);
  await apply(manifest('v1'));
  const first = await waitFor('Ready', (o) => ready(o) && trafficOf(o).length === 1);
  const rev1 = transformerOf(first)!.latestCreatedRevision!;
  assert.match(rev1, /^transformer-[0-9a-f]{8}$/);
  assert.equal(transformerOf(first)?.latestRolledoutRevision, rev1);
  assert.deepEqual(trafficOf(first), [`${rev1} 100`]);
  assert.equal(await servedBy(), 'v1');

  // The canary: a new transformer revision at 20 %, the rolled-out one keeps 80 %; the predictor stays as it was.
  await apply(manifest('v2', 20));
  const split = await waitFor('split 20/80', (o) => ready(o) && trafficOf(o).length === 2);
  const t = transformerOf(split)!;
  const rev2 = t.latestCreatedRevision!;
  assert.notEqual(rev2, rev1);
  assert.equal(t.latestReadyRevision, rev2);
  assert.equal(t.latestRolledoutRevision, rev1);
  assert.deepEqual(trafficOf(split), [`${rev2} 20 latest`, `${rev1} 80 prev`]);
  assert.deepEqual(
    split.status?.components?.predictor?.traffic?.map((x) => x.percent),
    [100],
    'the predictor has its own traffic',
  );
  assert.equal(t.traffic?.[0]?.url, `http://latest-${NAME}-transformer.default.example.com`);
  const N = 200;
  const counted = await shares(N);
  assert.equal((counted.get('v1') ?? 0) + (counted.get('v2') ?? 0), N, JSON.stringify([...counted]));
  const canary = (counted.get('v2') ?? 0) / N;
  assert.ok(Math.abs(canary - 0.2) <= 0.05, `canary share ${counted.get('v2')}/${N}`);
  // Each tag host reaches its own revision.
  for (let i = 0; i < 5; i++) {
    assert.equal(await servedBy(`latest-${NAME}-transformer.default.example.com`), 'v2');
    assert.equal(await servedBy(`prev-${NAME}-transformer.default.example.com`), 'v1');
  }

  // Promotion: the field removed, the canary takes everything; v1 is the previous rolled-out revision.
  await apply(manifest('v2'));
  const promoted = await waitFor('promoted', (o) => ready(o) && trafficOf(o).length === 1);
  assert.deepEqual(trafficOf(promoted), [`${rev2} 100`]);
  assert.equal(transformerOf(promoted)?.latestRolledoutRevision, rev2);
  assert.equal(transformerOf(promoted)?.previousRolledoutRevision, rev1);
  assert.deepEqual([...(await shares(20))], [['v2', 20]]);

  // Rollback: 0 % to the latest revision; the previous one (stopped after the promotion) serves again.
  await apply(manifest('v2', 0));
  const back = await waitFor('rolled back', (o) => ready(o) && trafficOf(o).length === 2);
  assert.deepEqual(trafficOf(back), [`${rev2} 0 latest`, `${rev1} 100 prev`]);
  assert.equal(transformerOf(back)?.latestRolledoutRevision, rev1);
  assert.deepEqual([...(await shares(20))], [['v1', 20]]);
  const events = await runCli(['describe', 'isvc', NAME, '--server', inferd.url]);
  assert.match(events.stdout, /transformer: traffic split/);
  assert.match(events.stdout, /transformer: revision transformer-[0-9a-f]{8} receives 100% of traffic/);
  assert.match(events.stdout, /transformer: rolled back/);
});
