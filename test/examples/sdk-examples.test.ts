// The SDK examples, run the way a user runs them: `inferd run FILE.js` on free ports, called over V1, V2 REST
// and gRPC. The custom model keeps its own state across protocols; the transformer calls it over each
// predictor protocol (v1, v2, grpc-v2) and turns classes into names; a predictor that cannot be reached is a
// 502 JSON answer, not a hang.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { cliEntry } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { postJson, startModelServer } from '../runtimes/python/model-server.js';
import { inferenceClient } from '../server/grpc-client.js';

const MODEL = 'dist/examples/custom-model/model.js';
const TRANSFORMER = 'dist/examples/transformer/transformer.js';
const free = ['--http_port', '0', '--grpc_port', '0'];

async function run(t: { after(fn: () => unknown): void }, args: string[]) {
  const p = await startModelServer(args, { command: 'run' });
  t.after(() => p.stop());
  assert.ok(p.listening, `inferd run did not start:\n${p.output()}`);
  return {
    url: `http://127.0.0.1:${p.listening.port}`,
    grpc: `127.0.0.1:${p.listening.grpcPort}`,
    port: p.listening.port as number,
    proc: p,
  };
}

const V1_ROWS = {
  instances: [
    [6.8, 2.8, 6.0, 2.4],
    [5.0, 3.4, 1.5, 0.2],
    [5.9, 2.8, 4.2, 1.3],
  ],
};

test('custom model: inferd run serves V1, V2 and gRPC from one model whose state all three share', async (t) => {
  const m = await run(t, [MODEL, '--model_name', 'iris-centroid', ...free]);
  const v1 = await postJson(`${m.url}/v1/models/iris-centroid:predict`, V1_ROWS);
  assert.deepEqual(v1, { status: 200, body: '{"predictions":[2,0,1],"served":3}' });
  const v2 = await postJson(`${m.url}/v2/models/iris-centroid/infer`, {
    id: 'q1',
    inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [5.0, 3.4, 1.5, 0.2] }],
  });
  assert.equal(v2.status, 200, v2.body);
  const body = JSON.parse(v2.body);
  assert.equal(body.id, 'q1');
  assert.deepEqual(
    body.outputs.map((o: { name: string; data: number[] }) => [o.name, o.data]),
    [
      ['class', [0]],
      ['served', [4]],
    ],
  );
  const client = inferenceClient(m.grpc);
  t.after(() => client.close());
  const g = await client.ModelInfer({
    model_name: 'iris-centroid',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [6.8, 2.8, 6.0, 2.4] } }],
  });
  assert.deepEqual(g.outputs[0].contents.int64_contents, ['2']);
  assert.deepEqual(g.outputs[1].contents.int64_contents, ['5'], 'served counts V1 + V2 + gRPC rows');
  const meta = JSON.parse(await (await fetch(`${m.url}/v2/models/iris-centroid`)).text());
  assert.deepEqual(meta.inputs, [{ name: 'input-0', datatype: 'FP32', shape: [-1, 4] }]);
  assert.equal((await fetch(`${m.url}/v2/models/iris-centroid/ready`)).status, 200);
});

for (const protocol of ['v1', 'v2', 'grpc-v2'] as const) {
  test(`transformer (--protocol ${protocol}) in front of the custom model: V1, V2 and gRPC answer class names`, async (t) => {
    const m = await run(t, [MODEL, '--model_name', 'iris', ...free]);
    const predictorHost = protocol === 'grpc-v2' ? m.grpc : `127.0.0.1:${m.port}`;
    const tr = await run(t, [
      TRANSFORMER,
      '--model_name',
      'iris',
      '--predictor_host',
      predictorHost,
      '--protocol',
      protocol,
      ...free,
    ]);
    const named = {
      instances: [
        { sepal_length: 6.8, sepal_width: 2.8, petal_length: 6.0, petal_width: 2.4 },
        { sepal_length: 5.0, sepal_width: 3.4, petal_length: 1.5, petal_width: 0.2 },
      ],
    };
    const v1 = await postJson(`${tr.url}/v1/models/iris:predict`, named);
    assert.deepEqual(v1, { status: 200, body: '{"predictions":["virginica","setosa"]}' });
    // A V2 request goes on as V2 whatever --protocol says (an InferRequest has no V1 form).
    const v2 = await postJson(`${tr.url}/v2/models/iris/infer`, {
      inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [5.9, 2.8, 4.2, 1.3] }],
    });
    assert.equal(v2.status, 200, v2.body);
    const label = JSON.parse(v2.body).outputs.find((o: { name: string }) => o.name === 'label');
    assert.deepEqual(label, { name: 'label', shape: [1], datatype: 'BYTES', parameters: null, data: ['versicolor'] });
    const client = inferenceClient(tr.grpc);
    t.after(() => client.close());
    const g = await client.ModelInfer({
      model_name: 'iris',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [5.0, 3.4, 1.5, 0.2] } },
      ],
    });
    const out = g.outputs.find((o: { name: string }) => o.name === 'label');
    assert.deepEqual(
      out.contents.bytes_contents.map((b: Buffer) => b.toString()),
      ['setosa'],
    );
  });
}

test('identity transformer: V1 and V2 pass through to the predictor and back unchanged', async (t) => {
  const m = await run(t, [MODEL, '--model_name', 'iris', ...free]);
  const tr = await run(t, [
    'dist/examples/identity-transformer/transformer.js',
    '--model_name',
    'iris',
    '--predictor_host',
    `127.0.0.1:${m.port}`,
    ...free,
  ]);
  const v1 = await postJson(`${tr.url}/v1/models/iris:predict`, V1_ROWS);
  assert.deepEqual(v1, { status: 200, body: '{"predictions":[2,0,1],"served":3}' });
  const v2 = await postJson(`${tr.url}/v2/models/iris/infer`, {
    id: 'pass',
    inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [5.0, 3.4, 1.5, 0.2] }],
  });
  assert.equal(v2.status, 200, v2.body);
  const body = JSON.parse(v2.body);
  assert.equal(body.id, 'pass');
  assert.deepEqual(body.outputs[0], { name: 'class', shape: [1], datatype: 'INT64', parameters: null, data: [0] });
});

test('EXPECTED FAILURE - transformer whose predictor cannot be reached answers 502 JSON at once, naming it', async (t) => {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const dead = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const tr = await run(t, [TRANSFORMER, '--model_name', 'iris', '--predictor_host', `127.0.0.1:${dead}`, ...free]);
  const r = await postJson(`${tr.url}/v1/models/iris:predict`, {
    instances: [{ sepal_length: 1, sepal_width: 1, petal_length: 1, petal_width: 1 }],
  });
  assert.equal(r.status, 502);
  assert.match(
    JSON.parse(r.body).error,
    new RegExp(`predictor http://127\\.0\\.0\\.1:${dead}/v1/models/iris:predict is not reachable`),
  );
});

test('EXPECTED FAILURE - transformer whose predictor never answers gives 504 JSON after --predictor_request_timeout_seconds', async (t) => {
  const held: http.ServerResponse[] = [];
  const hang = http.createServer((_req, res) => held.push(res)); // accepts, never answers
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  t.after(() => {
    hang.closeAllConnections();
    hang.close();
  });
  const port = (hang.address() as AddressInfo).port;
  const tr = await run(t, [
    TRANSFORMER,
    '--model_name',
    'iris',
    '--predictor_host',
    `127.0.0.1:${port}`,
    '--predictor_request_timeout_seconds',
    '0.3',
    ...free,
  ]);
  const t0 = performance.now();
  const r = await postJson(`${tr.url}/v1/models/iris:predict`, {
    instances: [{ sepal_length: 1, sepal_width: 1, petal_length: 1, petal_width: 1 }],
  });
  const ms = performance.now() - t0;
  assert.equal(r.status, 504);
  assert.match(JSON.parse(r.body).error, /did not answer within 300 ms/);
  assert.ok(ms >= 290 && ms < 10_000, `answered after ${ms} ms`);
});

test('BAD CALL - inferd run: no file, a missing file, a file that exports no model, a bad flag: exit 2 saying what to do', async () => {
  const exec = promisify(execFile);
  const runCli = (args: string[]) =>
    exec(process.execPath, [cliEntry, 'run', ...args], { cwd: repoRoot }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
  const none = await runCli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /inferd run needs one FILE\.js/);
  const missing = await runCli(['./no-such-model.js']);
  assert.deepEqual(missing, { code: 2, stderr: 'error: ./no-such-model.js: no such file\n' });
  const dir = mkdtempSync(join(tmpdir(), 'inferd-run-'));
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'export const x = 1;\n');
  const noModel = await runCli([empty, ...free]);
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /exports no model: export default a Model subclass/);
  const bad = await runCli([MODEL, '--http_port', 'eighty']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--http_port: expected 0-65535, got 'eighty'/);
});
