// Issue 18 items 2–4 on a real `inferd serve` with real replicas: after V1, V2 and gRPC requests, a 404 and a
// 500, the gateway's /metrics carries the contract's series (docs/operations.md) with the right label values,
// the replicas' own series (KServe's request_*_seconds, model load time) with the replica's labels, and the
// access log has one JSON line per request with the x-request-id the client got back.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';
import { inferenceClient } from '../server/grpc-client.js';

const FLAKY_JS = fileURLToPath(new URL('../fixtures/sdk/flaky-model.js', import.meta.url));
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const IRIS_HOST = 'obs-iris.default.example.com';
const FLAKY_HOST = 'obs-flaky.default.example.com';

let inferd: Inferd;
let accessLogFile: string;

type Status = {
  status?: {
    conditions?: { type: string; status: string }[];
    components?: { predictor?: { latestCreatedRevision?: string } };
  };
};

async function waitReady(name: string, timeoutMs = 60_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status = {};
  while (Date.now() < deadline) {
    last = JSON.parse((await httpRequest({ port: inferd.port, path: `${ISVC}/${name}` })).text) as Status;
    if (last.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') return last;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${name} not Ready in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

function create(name: string, predictor: unknown) {
  return httpRequest({
    port: inferd.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name },
      spec: { predictor },
    }),
  });
}

const v1 = (host: string, model: string, instances: unknown, headers: Record<string, string> = {}) =>
  httpRequest({
    port: inferd.port,
    path: `/v1/models/${model}:predict`,
    headers: { host, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ instances }),
  });

/** The value of the one sample whose name and labels match exactly (labels in the order written). */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

before(async () => {
  const dir = tempStateDir('inferd-obs-log-');
  accessLogFile = join(dir, 'access.log');
  inferd = await startInferd({ args: ['--access-log', accessLogFile] });
  const a = await create('obs-iris', {
    model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' },
  });
  assert.equal(a.status, 201, a.text);
  const b = await create('obs-flaky', {
    containers: [{ name: 'kserve-container', command: ['inferd', 'run', FLAKY_JS, '--model_name={{.Name}}'] }],
  });
  assert.equal(b.status, 201, b.text);
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  if (accessLogFile) removeDir(join(accessLogFile, '..'));
});

test('after V1, V2, gRPC, a 404 and a 500, /metrics has the series with their labels; the access log has the requests', async (t) => {
  const iris = await waitReady('obs-iris');
  await waitReady('obs-flaky');
  const rev = iris.status?.components?.predictor?.latestCreatedRevision;
  assert.ok(rev, JSON.stringify(iris));

  // V1 with the client's request id: answered with the same id.
  const one = await v1(IRIS_HOST, 'obs-iris', [[6.8, 2.8, 4.8, 1.4]], { 'x-request-id': 'obs-req-1' });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.headers['x-request-id'], 'obs-req-1');
  // V2 without one: the gateway makes one up and returns it.
  const two = await httpRequest({
    port: inferd.port,
    path: '/v2/models/obs-iris/infer',
    headers: { host: IRIS_HOST, 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [6.8, 2.8, 4.8, 1.4] }],
    }),
  });
  assert.equal(two.status, 200, two.text);
  assert.match(String(two.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  // gRPC through the gateway's port.
  const c = inferenceClient(`127.0.0.1:${inferd.port}`, { 'grpc.default_authority': IRIS_HOST });
  t.after(() => c.close());
  const g = await c.ModelInfer({
    model_name: 'obs-iris',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [6.8, 2.8, 4.8, 1.4] } }],
  });
  assert.equal(g.model_name, 'obs-iris');
  // A 404 from the replica (no such model behind the service's host), and one for a model no service serves.
  const missing = await v1(IRIS_HOST, 'nope', [[1, 2, 3, 4]]);
  assert.equal(missing.status, 404, missing.text);
  const ghost = await v1('127.0.0.1', 'ghost-model', [[1]]);
  assert.equal(ghost.status, 404, ghost.text);
  // A 500 from an SDK model that throws, then a good request to it.
  const boom = await v1(FLAKY_HOST, 'obs-flaky', [[-1, 0]]);
  assert.equal(boom.status, 500, boom.text);
  const fine = await v1(FLAKY_HOST, 'obs-flaky', [[1, 0]]);
  assert.equal(fine.status, 200, fine.text);

  const scrape = await httpRequest({ port: inferd.port, path: '/metrics' });
  assert.equal(scrape.status, 200);
  const m = scrape.text;
  const irisLabels = `namespace="default",service="obs-iris",component="predictor",revision="${rev}"`;
  const req = (labels: string, protocol: string, code: number) =>
    sample(m, 'inferd_gateway_requests_total', `${labels},protocol="${protocol}",code="${code}"`);
  assert.equal(req(irisLabels, 'v1', 200), 1, m);
  assert.equal(req(irisLabels, 'v2', 200), 1);
  assert.equal(req(irisLabels, 'grpc', 200), 1);
  assert.equal(req(irisLabels, 'v1', 404), 1);
  assert.equal(req('namespace="",service="",component="",revision=""', 'v1', 404), 1);
  const flaky =
    /inferd_gateway_requests_total\{namespace="default",service="obs-flaky",component="predictor",revision="([^"]+)",protocol="v1",code="500"\} 1/.exec(
      m,
    );
  assert.ok(flaky, m);
  const flakyLabels = `namespace="default",service="obs-flaky",component="predictor",revision="${flaky[1]}"`;
  assert.equal(req(flakyLabels, 'v1', 200), 1);
  // The gateway's latency histogram: every V1 request to obs-iris counted, buckets cumulative up to +Inf.
  const hist = 'inferd_gateway_request_duration_seconds';
  assert.equal(sample(m, `${hist}_count`, `${irisLabels},protocol="v1"`), 2);
  assert.equal(sample(m, `${hist}_bucket`, `${irisLabels},protocol="v1",le="+Inf"`), 2);
  assert.ok((sample(m, `${hist}_sum`, `${irisLabels},protocol="grpc"`) ?? -1) > 0);
  // Replicas desired and ready.
  assert.equal(sample(m, 'inferd_replicas', `${irisLabels},state="desired"`), 1);
  assert.equal(sample(m, 'inferd_replicas', `${irisLabels},state="ready"`), 1);
  // The replicas' own pages, labelled with whose they are; each family declared once.
  const predictCount = new RegExp(
    `^request_predict_seconds_count\\{${irisLabels.replace(/[{}]/g, '\\$&')},replica="[^"]+",model_name="obs-iris"\\} (\\d+)$`,
    'm',
  ).exec(m);
  assert.ok(predictCount, m);
  assert.equal(Number(predictCount[1]), 3, 'V1, V2 and gRPC predicts');
  assert.equal(m.split('\n').filter((l) => l === '# TYPE request_predict_seconds histogram').length, 1);
  const flakyStage = (stage: string) =>
    Number(
      new RegExp(
        `^request_${stage}_seconds_count\\{[^}]*service="obs-flaky"[^}]*model_name="obs-flaky"\\} (\\d+)$`,
        'm',
      ).exec(m)?.[1],
    );
  assert.equal(flakyStage('preprocess'), 2, m);
  assert.equal(flakyStage('predict'), 2, 'the failed predict counts too');
  assert.equal(flakyStage('postprocess'), 1);
  assert.match(m, /^inferd_model_load_seconds\{[^}]*service="obs-iris"[^}]*model_name="obs-iris"\} \d/m);
  assert.match(m, /^# TYPE inferd_storage_download_bytes_total counter$/m);
  assert.match(m, /^inferd_storage_downloads_total\{namespace="default",service="obs-iris",result="ok"\} 1$/m);

  // The access log: one line per model request, written once the answer ended.
  const deadline = Date.now() + 10_000;
  let lines: Record<string, unknown>[] = [];
  while (Date.now() < deadline) {
    lines = readFileSync(accessLogFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    if (lines.length >= 7) break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const first = lines.find((l) => l.request_id === 'obs-req-1');
  assert.ok(first, JSON.stringify(lines));
  assert.deepEqual(Object.keys(first), [
    'time',
    'request_id',
    'method',
    'path',
    'namespace',
    'service',
    'component',
    'revision',
    'protocol',
    'status',
    'duration_ms',
  ]);
  assert.equal(first.namespace, 'default');
  assert.equal(first.service, 'obs-iris');
  assert.equal(first.component, 'predictor');
  assert.equal(first.revision, rev);
  assert.equal(first.protocol, 'v1');
  assert.equal(first.status, 200);
  assert.ok(typeof first.duration_ms === 'number' && first.duration_ms > 0);
  assert.ok(lines.some((l) => l.request_id === two.headers['x-request-id'] && l.protocol === 'v2'));
  assert.ok(lines.some((l) => l.protocol === 'grpc' && l.status === 200 && l.service === 'obs-iris'));
  assert.ok(lines.some((l) => l.service === 'obs-flaky' && l.status === 500));
  assert.ok(lines.some((l) => l.service === '' && l.status === 404 && l.path === '/v1/models/ghost-model:predict'));
});

test('events: Created, Downloading, Loaded and RevisionReady for a new service, as Kubernetes Events', async () => {
  await waitReady('obs-iris');
  const list = JSON.parse(
    (await httpRequest({ port: inferd.port, path: '/api/v1/namespaces/default/events' })).text,
  ) as {
    items: {
      involvedObject: { name: string };
      reason: string;
      count: number;
      firstTimestamp: string;
      lastTimestamp: string;
    }[];
  };
  const mine = list.items.filter((e) => e.involvedObject.name === 'obs-iris');
  const reasons = mine.map((e) => e.reason);
  for (const r of ['Created', 'Downloading', 'Loaded', 'RevisionReady']) assert.ok(reasons.includes(r), reasons.join());
  for (const e of mine) {
    assert.ok(e.count >= 1);
    assert.ok(Date.parse(e.firstTimestamp) <= Date.parse(e.lastTimestamp));
  }
  const described = await runCli(['describe', 'isvc', 'obs-iris', '--server', inferd.url]);
  assert.match(described.stdout, /Loaded/);
});

test('inferd logs --since and --component read the service log', async () => {
  await waitReady('obs-iris');
  const recent = await runCli([
    'logs',
    'obs-iris',
    '--since',
    '1h',
    '--component',
    'predictor',
    '--server',
    inferd.url,
  ]);
  assert.equal(recent.code, 0, recent.stderr);
  assert.match(recent.stdout, /storage initializer/);
  const none = await runCli(['logs', 'obs-iris', '--component', 'transformer', '--server', inferd.url]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '');
});
