// Issue 15 items 1 and 4 on a real `inferd serve`: the SDK's identity transformer in front of an sklearn
// predictor routes its calls itself (the routes feed of its predictor listener). A 20/80 canary on the
// predictor still splits 20/80 for requests through the transformer (counted per revision by the gateway's
// metrics, which the direct calls are reported to); a predictor at zero replicas still answers through the
// transformer (held by the activator, not failed); and with `--tls-cert` the two tiers work (the predictor
// listener stays plain HTTP on loopback).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { InferenceService } from '../../src/api/types.js';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';

const IDENTITY_JS = fileURLToPath(new URL('../../examples/identity-transformer/transformer.js', import.meta.url));
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const IRIS = '{"instances":[[6.8,2.8,4.8,1.4]]}';

let inferd: Inferd | undefined;
let tlsInferd: Inferd | undefined;
const certDir = tempStateDir('inferd-tier-tls-');

before(async () => {
  inferd = await startInferd();
});

after(async () => {
  await inferd?.stop();
  await tlsInferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  if (tlsInferd) removeDir(tlsInferd.stateDir);
  removeDir(certDir);
});

function manifest(name: string, predictor: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      predictor,
      transformer: { containers: [{ name: 'kserve-container', command: ['inferd', 'run', IDENTITY_JS] }] },
    },
  });
}

async function apply(server: Inferd, body: string, extra: string[] = []): Promise<void> {
  const r = await runCli(['apply', '-f', '-', '--server', server.url, ...extra], { input: body });
  assert.equal(r.code, 0, r.stderr);
}

async function getIsvc(name: string): Promise<InferenceService> {
  const r = await httpRequest({ port: inferd!.port, path: `${ISVC}/${name}` });
  return JSON.parse(r.text) as InferenceService;
}

async function waitFor(name: string, what: string, pred: (o: InferenceService) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: InferenceService | undefined;
  while (Date.now() < deadline) {
    last = await getIsvc(name);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} ${what}: not within ${timeoutMs} ms; last status ${JSON.stringify(last?.status)}`);
}

const ready = (o: InferenceService) =>
  o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
  o.status.observedGeneration === o.metadata.generation;

function predict(name: string) {
  return httpRequest({
    port: inferd!.port,
    path: `/v1/models/${name}:predict`,
    headers: { host: `${name}.default.example.com`, 'content-type': 'application/json' },
    body: IRIS,
  });
}

async function requestsByRevision(name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${inferd!.url}/metrics`)).text();
  const out = new Map<string, number>();
  const re = new RegExp(
    `^inferd_gateway_requests_total\\{namespace="default",service="${name.replace(/-predictor$/, '')}",component="predictor",revision="([^"]+)",protocol="[a-z0-9]+",code="200"\\} (\\d+)$`,
    'gm',
  );
  for (const m of text.matchAll(re)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  return out;
}

test('a 20/80 canary on the predictor splits 20/80 for requests through the SDK transformer', async () => {
  assert.ok(inferd);
  const predictor = (version: number, canary?: number) => ({
    ...(canary !== undefined ? { canaryTrafficPercent: canary } : {}),
    model: {
      modelFormat: { name: 'sklearn' },
      storageUri: 'models/sklearn-iris',
      env: [{ name: 'MODEL_VERSION', value: `v${version}` }],
    },
  });
  await apply(inferd, manifest('split', predictor(1)));
  await waitFor('split', 'Ready', ready);
  await apply(inferd, manifest('split', predictor(2, 20)));
  await waitFor(
    'split',
    'Ready with two revisions serving 20/80',
    (o) =>
      ready(o) && (o.status?.components?.predictor?.traffic ?? []).filter((t) => (t.percent ?? 0) > 0).length === 2,
  );
  // The transformer's feed follows the endpoint: warm up until both revisions have answered.
  for (let i = 0; i < 20; i++) assert.equal((await predict('split')).status, 200);
  const before = await requestsByRevision('split');
  const N = 200;
  for (let i = 0; i < N; i++) {
    const r = await predict('split');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '{"predictions":[1]}');
  }
  // Direct calls reach the gateway's counters in batches (a few ms): wait until all N are there (bounded).
  const deadline = Date.now() + 10_000;
  let delta = new Map<string, number>();
  for (;;) {
    const now = await requestsByRevision('split');
    delta = new Map([...now].map(([rev, n]) => [rev, n - (before.get(rev) ?? 0)]));
    const total = [...delta.values()].reduce((a, b) => a + b, 0);
    if (total >= N || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const r1 = delta.get('split-predictor-00001') ?? 0;
  const r2 = delta.get('split-predictor-00002') ?? 0;
  assert.equal(r1 + r2, N, `counted ${JSON.stringify([...delta])}`);
  // 80 % stays on the previous revision, 20 % goes to the canary (KServe's canaryTrafficPercent).
  assert.ok(Math.abs(r2 / N - 0.2) <= 0.05, `canary share ${r2}/${N}`);
});

test('a predictor scaled to zero still answers through the transformer (held, not failed)', async () => {
  assert.ok(inferd);
  await apply(
    inferd,
    manifest(
      'zero',
      { minReplicas: 0, model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
      { 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '1s' },
    ),
  );
  await waitFor('zero', 'Ready', ready);
  assert.equal((await predict('zero')).status, 200);
  await waitFor(
    'zero',
    'at zero predictor replicas',
    (o) => ready(o) && (o.status?.components?.predictor as { readyReplicas?: number } | undefined)?.readyReplicas === 0,
    30_000,
  );
  const answers = await Promise.all(Array.from({ length: 5 }, () => predict('zero')));
  for (const a of answers) assert.deepEqual([a.status, a.text], [200, '{"predictions":[1]}']);
  const events = await runCli(['describe', 'isvc', 'zero', '--server', inferd.url]);
  assert.match(events.stdout, /Activate/);
});

test('with --tls-cert a two-tier service answers over HTTPS (the predictor listener stays plain loopback)', async () => {
  const key = join(certDir, 'server.key');
  const cert = join(certDir, 'server.crt');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:*.default.example.com',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  tlsInferd = await startInferd({ args: ['--tls-cert', cert, '--tls-key', key] });
  assert.match(tlsInferd.url, /^https:/);
  await apply(
    tlsInferd,
    manifest('tls-tier', { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } }),
    ['--ca-file', cert],
  );
  const ca = readFileSync(cert);
  const call = (path: string, body?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: tlsInferd!.port,
          path,
          method: body === undefined ? 'GET' : 'POST',
          ca,
          headers: { host: 'tls-tier.default.example.com', 'content-type': 'application/json' },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
  const deadline = Date.now() + 60_000;
  let last = { status: 0, text: '' };
  while (Date.now() < deadline) {
    last = await call('/v1/models/tls-tier:predict', IRIS);
    if (last.status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // Through the transformer, which reached the predictor (before the fix: its call was handed to TLS and failed).
  assert.deepEqual(last, { status: 200, text: '{"predictions":[1]}' });
  for (let i = 0; i < 20; i++) assert.deepEqual(await call('/v1/models/tls-tier:predict', IRIS), last);
});

test('transformer minReplicas 2 runs two; a changed transformer spec rolls out a new revision without failing a request', async () => {
  assert.ok(inferd);
  const transformer = (version: string) => ({
    minReplicas: 2,
    maxReplicas: 2,
    containers: [
      {
        name: 'kserve-container',
        command: ['inferd', 'run', IDENTITY_JS],
        env: [{ name: 'TRANSFORMER_VERSION', value: version }],
      },
    ],
  });
  const body = (version: string) =>
    JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'tx2', namespace: 'default' },
      spec: {
        predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
        transformer: transformer(version),
      },
    });
  await apply(inferd, body('v1'));
  await waitFor('tx2', 'Ready', ready);
  const transformers = async () => {
    const out = (await runCli(['logs', 'tx2', '-c', 'transformer', '--server', inferd!.url])).stdout;
    return (out.match(/transformer container started/g) ?? []).length;
  };
  // Two replicas of the transformer: two processes started.
  const deadline = Date.now() + 30_000;
  while ((await transformers()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await transformers(), 2);
  // Requests keep flowing while the spec changes: none may fail.
  let stop = false;
  const codes = new Map<number, number>();
  const worker = async () => {
    while (!stop) {
      const r = await predict('tx2');
      codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
    }
  };
  const workers = [worker(), worker(), worker()];
  await apply(inferd, body('v2'));
  const until = Date.now() + 60_000;
  while ((await transformers()) < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  // Let the old revision drain and stop under load.
  await waitFor('tx2', 'Ready on the new transformer', ready);
  await new Promise((r) => setTimeout(r, 1_000));
  stop = true;
  await Promise.all(workers);
  assert.equal(await transformers(), 4, 'two more processes for the new revision');
  assert.deepEqual([...codes.keys()], [200], `answers by status: ${JSON.stringify([...codes])}`);
});
