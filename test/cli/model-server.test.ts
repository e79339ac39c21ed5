// `inferd model-server` runs one model server on its own with the flags of KServe's sklearnserver / xgbserver /
// lgbserver (`--model_name X --model_dir D --http_port P`), listening on 0.0.0.0 as KServe does unless
// --http_host says otherwise; a replica forked by `inferd serve` keeps listening on 127.0.0.1.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { cliEntry } from '../helpers/inferd.js';
import { postJson, startModelServer } from '../runtimes/python/model-server.js';

test('serves iris with KServe flags and answers {"predictions":[1,1]}; SIGTERM stops it with exit 0', async (t) => {
  const server = await startModelServer([
    '--model_name',
    'sklearn-iris',
    '--model_dir',
    'models/sklearn-iris',
    '--http_port',
    '0',
    '--grpc_port',
    '0',
    '--http_host',
    '127.0.0.1',
    '--workers',
    '1', // KServe flags inferd accepts and ignores
    '--nthread',
    '2',
  ]);
  t.after(() => server.stop());
  assert.ok(server.listening, server.output());
  assert.equal(server.listening.host, '127.0.0.1');
  const url = `http://127.0.0.1:${server.listening.port}`;
  const res = await postJson(`${url}/v1/models/sklearn-iris:predict`, {
    instances: [
      [6.8, 2.8, 4.8, 1.4],
      [6.0, 3.4, 4.5, 1.6],
    ],
  });
  assert.deepEqual(res, { status: 200, body: '{"predictions":[1,1]}' });
  assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200);
  assert.equal(await server.stop(), 0);
});

test('listens on 0.0.0.0 without --http_host, as KServe model servers do', async (t) => {
  const server = await startModelServer([
    '--model_name=iris',
    '--model_dir=models/sklearn-iris',
    '--http_port=0',
    '--grpc_port=0',
  ]);
  t.after(() => server.stop());
  assert.ok(server.listening, server.output());
  assert.equal(server.listening.host, '0.0.0.0');
  const res = await postJson(`http://127.0.0.1:${server.listening.port}/v1/models/iris:predict`, {
    instances: [[6.8, 2.8, 4.8, 1.4]],
  });
  assert.equal(res.body, '{"predictions":[1]}');
});

test('--help prints the flags; a bad flag exits 1 saying what is wrong', async () => {
  const run = promisify(execFile);
  const help = await run(process.execPath, [cliEntry, 'model-server', '--help']);
  assert.match(help.stdout, /--model_name NAME/);
  assert.match(help.stdout, /listens on 0\.0\.0\.0/);
  const bad = await startModelServer(['--model_name', 'x', '--model_dir', 'models/sklearn-iris', '--http_port', 'abc']);
  assert.equal(bad.listening, null);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.output(), /--http_port: expected 0-65535, got 'abc'/);
});
