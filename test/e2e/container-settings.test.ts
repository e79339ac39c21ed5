// Issue 15 item 2 on a real `inferd serve`: component settings applied to custom containers as to native
// replicas. resources.limits.cpu → the thread env (OMP_NUM_THREADS, ...); resources.limits.memory → the RSS
// watchdog kills a container over it, reported OOMKilled; the component `timeout` → the gateway answers 504
// for a transformer or a custom predictor container that answers later than it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { httpRequest, type Inferd, removeDir, runCli, startInferd } from '../helpers/inferd.js';

const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const IRIS = '{"instances":[[6.8,2.8,4.8,1.4]]}';
/** A tiny model server: answers a POST after SLEEP_MS with the OMP_NUM_THREADS it got; with GROW_MB set, keeps allocating. */
const SERVER = `
const http = require('node:http');
const hog = [];
if (process.env.GROW) setInterval(() => hog.push(Buffer.alloc(16 * 2 ** 20, 1)), 50);
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ predictions: [1], threads: process.env.OMP_NUM_THREADS ?? null }));
  }, req.method === 'POST' ? Number(process.env.SLEEP_MS || 0) : 0));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

let inferd: Inferd;

before(async () => {
  inferd = await startInferd();
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

function container(env: Record<string, string>, resources?: object) {
  return {
    name: 'kserve-container',
    command: ['node', '-e', SERVER, '--'], // the flags inferd appends go to the script, not to node
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    ...(resources ? { resources } : {}),
  };
}

async function apply(name: string, spec: object): Promise<void> {
  const body = JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default' },
    spec,
  });
  const r = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: body });
  assert.equal(r.code, 0, r.stderr);
}

async function waitFor(name: string, what: string, pred: (o: InferenceService) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: InferenceService | undefined;
  while (Date.now() < deadline) {
    last = JSON.parse((await httpRequest({ port: inferd.port, path: `${ISVC}/${name}` })).text) as InferenceService;
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} ${what}: not within ${timeoutMs} ms; last status ${JSON.stringify(last?.status)}`);
}

const ready = (o: InferenceService) =>
  o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
  o.status.observedGeneration === o.metadata.generation;

const predict = (host: string, name: string) =>
  httpRequest({
    port: inferd.port,
    path: `/v1/models/${name}:predict`,
    headers: { host, 'content-type': 'application/json' },
    body: IRIS,
  });

test('resources.limits.cpu sets the thread env of a custom container (its own env still wins)', async () => {
  await apply('threads', { predictor: { containers: [container({}, { limits: { cpu: '2', memory: '1Gi' } })] } });
  await waitFor('threads', 'Ready', ready);
  const r = await predict('threads.default.example.com', 'threads');
  assert.equal(r.status, 200, r.text);
  assert.equal(JSON.parse(r.text).threads, '2');
  await apply('threads-own', {
    predictor: { containers: [container({ OMP_NUM_THREADS: '7' }, { limits: { cpu: '2' } })] },
  });
  await waitFor('threads-own', 'Ready', ready);
  const own = await predict('threads-own.default.example.com', 'threads-own');
  assert.equal(JSON.parse(own.text).threads, '7');
});

test('resources.limits.memory: a custom container over it is killed and reported OOMKilled', async () => {
  await apply('hog', { predictor: { containers: [container({ GROW: '1' }, { limits: { memory: '128Mi' } })] } });
  const deadline = Date.now() + 60_000;
  let text = '';
  while (Date.now() < deadline) {
    text = (await runCli(['describe', 'isvc', 'hog', '--server', inferd.url])).stdout;
    if (/OOMKilled/.test(text)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(text, /OOMKilled/);
  assert.match(text, /over its limit resources\.limits\.memory = 128Mi/);
});

// The containers answer after 20 s (was 4 s, with 3.5 s allowed for the 1 s timeout's 504 on a loaded machine).
test('the transformer’s timeout: the gateway answers 504 after it', async () => {
  await apply('slow-t', {
    predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
    transformer: { timeout: 1, containers: [container({ SLEEP_MS: '20000' })] },
  });
  await waitFor('slow-t', 'Ready', ready);
  const t0 = Date.now();
  const r = await predict('slow-t.default.example.com', 'slow-t');
  const ms = Date.now() - t0;
  assert.equal(r.status, 504, r.text);
  assert.ok(ms >= 900 && ms < 10_000, `answered after ${ms} ms`);
});

test('a custom predictor container’s timeout: 504 after it', async () => {
  await apply('slow-p', { predictor: { timeout: 1, containers: [container({ SLEEP_MS: '20000' })] } });
  await waitFor('slow-p', 'Ready', ready);
  const t0 = Date.now();
  const r = await predict('slow-p.default.example.com', 'slow-p');
  const ms = Date.now() - t0;
  assert.equal(r.status, 504, r.text);
  assert.ok(ms >= 900 && ms < 10_000, `answered after ${ms} ms`);
});
