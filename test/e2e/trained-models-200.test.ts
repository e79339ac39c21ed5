// Density (issue 16 acceptance): 200 TrainedModels (iris-size sklearn models) loaded into one multi-model
// InferenceService. Each answers correctly through the parent's host, the parent's replica process is never
// restarted, and its RSS grows by at most 10 MiB per model (measured from /proc, printed for the report).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createObject, httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

const MODELS = 200;
const MAX_MIB_PER_MODEL = 10;
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

const tm = (name: string, storageUri: string) => ({
  apiVersion: 'serving.kserve.io/v1alpha1',
  kind: 'TrainedModel',
  metadata: { name, namespace: 'default' },
  spec: { inferenceService: 'dense', model: { storageUri, framework: 'sklearn', memory: '8Mi' } },
});

/** Pids of the parent's replica starts, from its log ("replica started", pid). */
async function replicaPids(): Promise<number[]> {
  const log = await (await fetch(`${inferd.url}${ISVC_API}/dense/log?tailLines=2000`)).text();
  return log
    .split('\n')
    .filter((l) => l.includes('"msg":"replica started'))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);
}

const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS readable');
  return Number(m[1]) / 1024;
};

/** Polls the list until `n` TrainedModels are Ready (bounded). */
async function waitAllReady(n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ready = 0;
  while (Date.now() < deadline) {
    const list = (await (await fetch(`${inferd.url}${TM_API}`)).json()) as {
      items: { status?: { conditions?: { type: string; status: string }[] } }[];
    };
    ready = list.items.filter((i) =>
      i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    if (ready >= n) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`only ${ready} of ${n} TrainedModels Ready in ${timeoutMs} ms`);
}

test(`${MODELS} TrainedModels in one parent: each answers, no restart, RSS per model ≤ ${MAX_MIB_PER_MODEL} MiB`, async () => {
  await post(ISVC_API, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'dense', namespace: 'default' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' } } } },
  });
  await waitForCondition(inferd.url, 'default', 'dense', 'True', 60_000);
  const [pid] = await replicaPids();
  assert.ok(pid, 'the parent replica pid is logged');
  // The first model loads the runtime's modules: the baseline is taken after it.
  const iris = join(repoRoot, 'models', 'sklearn-iris');
  await post(TM_API, tm('m-0', iris));
  await waitAllReady(1, 30_000);
  const base = rssMiB(pid);
  const started = Date.now();
  for (let i = 1; i < MODELS; i++) await post(TM_API, tm(`m-${i}`, iris));
  await waitAllReady(MODELS, 120_000);
  const loadSeconds = (Date.now() - started) / 1000;
  for (let i = 0; i < MODELS; i++) {
    const r = await httpRequest({
      port: inferd.port,
      path: `/v1/models/m-${i}:predict`,
      headers: { host: 'dense.default.example.com' },
      body: IRIS,
    });
    assert.equal(r.status, 200, `m-${i}: ${r.text}`);
    assert.equal(r.text, '{"predictions":[1,1]}', `m-${i}`);
  }
  const grown = rssMiB(pid) - base;
  const perModel = grown / (MODELS - 1);
  console.log(
    JSON.stringify({
      models: MODELS,
      baseRssMiB: Math.round(base),
      grownMiB: Math.round(grown),
      mibPerModel: perModel,
      loadSeconds,
    }),
  );
  assert.ok(perModel <= MAX_MIB_PER_MODEL, `${perModel.toFixed(2)} MiB per model`);
  assert.deepEqual(await replicaPids(), [pid], 'the parent replica was never restarted');
});
