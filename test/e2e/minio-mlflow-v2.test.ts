// Acceptance story 3 (seed 002): an MLflow model on an S3 server (MinIO in the seed; here OpenStack Swift with
// s3api, which checks SigV4 signatures), a Secret with KServe's s3 annotations and AWS keys, a ServiceAccount
// listing it, and the seed's InferenceService (`modelFormat: mlflow`, `protocolVersion: v2`, `serviceAccountName`,
// `storageUri: s3://mlflow/1/<run>/artifacts/iris_model`) applied as written — only the endpoint and the keys are
// this test server's. Then V2 infer with one named input per MLflow signature column; and a wrong secret key
// ends as StorageAccessDenied without the secret ever being shown.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import { S3Client } from '../../src/storage/s3-client.js';
import { SEED_002_MLFLOW, SEED_002_SA } from '../api/seed-manifests.js';
import { type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';
import { fixturesDir } from '../helpers/paths.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server, stopS3Server } from '../storage/s3-server.js';

const MODEL_DIR = join(fixturesDir, 'mlflow', 'iris_model');
const BUCKET = 'mlflow';
const PREFIX = '1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model';
const WRONG_SECRET = 'wrong-secret-Zq7Xv3';
const NS = 'default';

interface IrisExpected {
  columns: string[];
  queries: { rows: number[][]; predictions: number[] };
}
const expected = JSON.parse(readFileSync(join(MODEL_DIR, 'expected.json'), 'utf8')) as IrisExpected;

let root: string | undefined;
let inferd: Inferd | undefined;
let endpointHost = '';
const timings: Record<string, number> = {};

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round(performance.now() - start);
  }
}

/** Seed 002's sa.yaml with this server's endpoint and keys; `suffix` names a second, separate set. */
function saManifest(secretKey: string, suffix = ''): string {
  return SEED_002_SA.replace('minio-service.kubeflow:9000', endpointHost)
    .replace('AWS_ACCESS_KEY_ID: minio', `AWS_ACCESS_KEY_ID: ${JSON.stringify(S3_ACCESS_KEY)}`)
    .replace('AWS_SECRET_ACCESS_KEY: minio123', `AWS_SECRET_ACCESS_KEY: ${JSON.stringify(secretKey)}`)
    .replaceAll('name: s3creds', `name: s3creds${suffix}`)
    .replace('name: sa\n', `name: sa${suffix}\n`);
}

async function apply(manifest: string): Promise<void> {
  const res = await runCli(['apply', '-f', '-', '--server', inferd!.url], { input: manifest });
  assert.equal(res.code, 0, `inferd apply failed: ${res.stderr}`);
}

async function postJson(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${inferd!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface V2Input {
  name: string;
  shape: number[];
  datatype: string;
  data: (number | string)[];
}

/** KServe's MLflow V2 request: one input per column, `content_type: pd`. */
function inferRequest(
  rows: number[][],
  columns = expected.columns,
): { id: string; parameters: object; inputs: V2Input[] } {
  return {
    id: 'seed-002',
    parameters: { content_type: 'pd' },
    inputs: columns.map((name) => {
      const c = expected.columns.indexOf(name);
      const data = rows.map((r) => {
        const v = r[c];
        if (v === undefined) throw new Error(`a test row has no value for column ${name}`);
        return v;
      });
      return { name, shape: [rows.length], datatype: 'FP64', data };
    }),
  };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'inferd-e2e-mlflow-'));
  // The S3 server takes 20-30 s to start on a loaded machine: start inferd meanwhile.
  const [endpoint, server] = await Promise.all([
    timed('s3 server start', () => startS3Server(join(root!, 's3'))),
    timed('inferd start', () => startInferd()),
  ]);
  inferd = server;
  endpointHost = new URL(endpoint).host;
  await timed('upload iris_model', async () => {
    const io = () => ({ signal: AbortSignal.timeout(20_000), idleTimeoutMs: 20_000 });
    const client = await S3Client.create({
      endpoint,
      region: 'us-east-1',
      accessKeyId: S3_ACCESS_KEY,
      secretAccessKey: S3_SECRET_KEY,
    });
    await client.createBucket(BUCKET, io());
    for (const name of readdirSync(MODEL_DIR)) {
      if (name === 'expected.json') continue; // ours, not MLflow's
      await client.putObject(BUCKET, `${PREFIX}/${name}`, readFileSync(join(MODEL_DIR, name)), io());
    }
  });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  if (root) {
    await stopS3Server(join(root, 's3')).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
});

test('seed 002: Secret + ServiceAccount + InferenceService applied as written → Ready', async (t: TestContext) => {
  await apply(saManifest(S3_SECRET_KEY));
  await apply(SEED_002_MLFLOW);
  const waited = await timed('inferd wait for Ready after apply', () =>
    runCli(['wait', '--for=condition=Ready', 'isvc/irish-s3', '--timeout=90s', '--server', inferd!.url], {
      timeoutMs: 100_000,
    }),
  );
  assert.equal(waited.code, 0, `inferd wait: ${waited.stderr}\n${inferd!.output()}`);
  assert.equal(waited.stdout, 'inferenceservice.serving.kserve.io/irish-s3 condition met\n');
  t.diagnostic(`timings (ms): ${JSON.stringify(timings)}`);
});

test('seed 002: POST /v2/models/irish-s3/infer with one named input per column → the classes sklearn predicts', async () => {
  const { rows, predictions } = expected.queries;
  const { status, json } = await postJson('/v2/models/irish-s3/infer', inferRequest(rows));
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(json.model_name, 'irish-s3');
  assert.equal(json.id, 'seed-002');
  assert.deepEqual(json.outputs, [
    {
      name: 'output-1',
      shape: [rows.length, 1],
      datatype: 'INT64',
      parameters: { content_type: 'np' },
      data: predictions,
    },
  ]);
  // Column order in the request does not matter: the signature's order does.
  const reversed = await postJson('/v2/models/irish-s3/infer', inferRequest(rows, [...expected.columns].reverse()));
  assert.deepEqual((reversed.json.outputs as { data: number[] }[])[0]!.data, predictions);
});

test('seed 002: GET /v2/models/irish-s3 shows the MLflow signature as V2 metadata', async () => {
  const res = await fetch(`${inferd!.url}/v2/models/irish-s3`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    name: 'irish-s3',
    versions: null,
    platform: '',
    inputs: expected.columns.map((name) => ({ name, datatype: 'FP64', shape: [-1, 1] })),
    outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1, 1] }],
  });
});

test('seed 002: BAD CALL - a missing or mistyped column is a 400 naming it', async () => {
  const rows = expected.queries.rows;
  const missing = await postJson('/v2/models/irish-s3/infer', inferRequest(rows, expected.columns.slice(0, 3)));
  assert.equal(missing.status, 400);
  assert.match(String(missing.json.error), /^missing column "petal width \(cm\)": /);
  const body = inferRequest(rows);
  body.inputs[1] = { name: 'sepal width (cm)', shape: [rows.length], datatype: 'BYTES', data: rows.map(() => 'wide') };
  const mistyped = await postJson('/v2/models/irish-s3/infer', body);
  assert.equal(mistyped.status, 400);
  assert.equal(mistyped.json.error, 'column "sepal width (cm)": expected double (FP64) values, got BYTES');
});

test('seed 002: EXPECTED FAILURE - a wrong secret key → not Ready, StorageAccessDenied naming bucket and endpoint; the secret never shows', async (t: TestContext) => {
  await apply(saManifest(WRONG_SECRET, '-wrong'));
  await apply(
    SEED_002_MLFLOW.replace('name: "irish-s3"', 'name: "irish-s3-denied"').replace(
      'serviceAccountName: sa\n',
      'serviceAccountName: sa-wrong\n',
    ),
  );
  const st = (await timed('wait for StorageAccessDenied after apply', () =>
    waitForCondition(inferd!.url, NS, 'irish-s3-denied', 'False', 60_000),
  )) as { status: { conditions: { type: string; reason?: string; message?: string }[] } };
  const ready = st.status.conditions.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'StorageAccessDenied', JSON.stringify(st.status));
  assert.match(ready.message ?? '', new RegExp(`\\b${BUCKET}\\b`));
  assert.ok((ready.message ?? '').includes(endpointHost), `the endpoint ${endpointHost} is named: ${ready.message}`);

  const shown: Record<string, string> = {
    status: JSON.stringify(st),
    events: await (await fetch(`${inferd!.url}/api/v1/namespaces/${NS}/events`)).text(),
    logs: await (
      await fetch(
        `${inferd!.url}/apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices/irish-s3-denied/log`,
      )
    ).text(),
    describe: (await runCli(['describe', 'isvc', 'irish-s3-denied', '--server', inferd!.url])).stdout,
    'serve output': inferd!.output(),
  };
  assert.match(shown.events!, /StorageAccessDenied/);
  for (const [where, text] of Object.entries(shown)) {
    assert.equal(text.includes(WRONG_SECRET), false, `the secret key appears in ${where}`);
    assert.equal(text.includes(S3_SECRET_KEY), false, `the good secret key appears in ${where}`);
  }
  // The good service is unaffected.
  const ok = await postJson('/v2/models/irish-s3/infer', inferRequest(expected.queries.rows));
  assert.equal(ok.status, 200);
  t.diagnostic(`denied: ${ready.message}`);
  t.diagnostic(`timings (ms): ${JSON.stringify(timings)}`);
});
