// The replica entry as inferd's controller runs it: `fork(dist/src/server/main.js, flags, ipc)` with the
// real sklearn runtime and the demo iris model; and as a pod runs it, without IPC.

import assert from 'node:assert/strict';
import { type ChildProcess, fork, spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import type { ReplicaMessage } from '../../src/server/replica.js';
import { distDir, repoRoot } from '../helpers/paths.js';
import { inferenceClient } from './grpc-client.js';
import { postJson } from './helpers.js';

const entry = join(distDir, 'src', 'server', 'main.js');
const irisDir = join(repoRoot, 'models', 'sklearn-iris');
const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function forkReplica(args: string[]): {
  child: ChildProcess;
  messages: ReplicaMessage[];
  settled: Promise<ReplicaMessage>;
} {
  const child = fork(entry, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  child.stdout?.resume();
  child.stderr?.resume();
  const messages: ReplicaMessage[] = [];
  const settled = new Promise<ReplicaMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ready/failed message within 15 s')), 15_000);
    child.on('message', (m: ReplicaMessage) => {
      messages.push(m);
      if (m.type !== 'state') {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
  return { child, messages, settled };
}

test('forked: Loading → ready with the port; serves iris; SIGTERM → exit 0', async (t) => {
  const { child, messages, settled } = forkReplica([
    '--model_name',
    'sklearn-iris',
    '--model_dir',
    irisDir,
    '--model_format',
    'sklearn',
    '--http_port',
    '0',
    '--grpc_port',
    '0',
  ]);
  t.after(() => child.kill('SIGKILL'));
  const ready = await settled;
  assert.equal(ready.type, 'ready');
  assert.deepEqual(messages[0], { type: 'state', state: 'Loading' });
  const port = (ready as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const r = await postJson({ port, agent }, '/v1/models/sklearn-iris:predict', IRIS);
  assert.equal(r.body, '{"predictions":[1,1]}');
  const v2 = await postJson(
    { port, agent },
    '/v2/models/sklearn-iris/infer',
    '{"id":"req-1","inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4,6.0,3.4,4.5,1.6]}]}',
  );
  assert.equal(
    v2.body,
    '{"model_name":"sklearn-iris","model_version":null,"id":"req-1","parameters":null,"outputs":[{"name":"output-0","shape":[2],"datatype":"INT64","parameters":null,"data":[1,1]}]}',
  );
  const grpcPort = (ready as { grpcPort?: number }).grpcPort;
  assert.ok(typeof grpcPort === 'number' && grpcPort > 0);
  const client = inferenceClient(`127.0.0.1:${grpcPort}`);
  t.after(() => client.close());
  const g = await client.ModelInfer({
    model_name: 'sklearn-iris',
    inputs: [
      {
        name: 'input-0',
        datatype: 'FP32',
        shape: [2, 4],
        contents: { fp32_contents: [6.8, 2.8, 4.8, 1.4, 6, 3.4, 4.5, 1.6] },
      },
    ],
  });
  assert.deepEqual(g.outputs[0].contents.int64_contents, ['1', '1']);
  client.close();
  agent.destroy();
  child.kill('SIGTERM');
  assert.equal(await exited(child, 6_000), 0);
});

test('EXPECTED FAILURE - forked with a missing model dir: failed with a reason, exit 1', async (t) => {
  const { child, settled } = forkReplica([
    '--model_name',
    'x',
    '--model_dir',
    join(repoRoot, 'no-such-dir'),
    '--http_port',
    '0',
    '--grpc_port',
    '0',
  ]);
  t.after(() => child.kill('SIGKILL'));
  const failed = await settled;
  assert.equal(failed.type, 'failed');
  assert.ok(typeof (failed as { reason: string }).reason === 'string' && (failed as { reason: string }).reason);
  assert.ok((failed as { message: string }).message.length > 0);
  assert.equal(await exited(child, 5_000), 1);
});

test('EXPECTED FAILURE - forked with bad flags: failed InvalidConfig, exit 1', async (t) => {
  const { child, messages, settled } = forkReplica(['--model_name', 'x', '--http_port', 'abc']);
  t.after(() => child.kill('SIGKILL'));
  const failed = await settled;
  assert.deepEqual(messages[0], { type: 'state', state: 'Loading' });
  assert.deepEqual([failed.type, (failed as { reason: string }).reason], ['failed', 'InvalidConfig']);
  assert.equal(await exited(child, 5_000), 1);
});

test('without IPC: one JSON log line on stderr carries the bound port', async (t) => {
  const child = spawn(
    process.execPath,
    [entry, '--model_name=sklearn-iris', `--model_dir=${irisDir}`, '--http_port=0', '--enable_grpc=false'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no listening line within 15 s')), 15_000);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const rec = JSON.parse(line) as { msg: string; port?: number };
      if (rec.msg === 'model server listening' && typeof rec.port === 'number') {
        clearTimeout(timer);
        resolve(rec.port);
      }
    });
  });
  const agent = new http.Agent();
  t.after(() => agent.destroy());
  assert.equal(
    (await postJson({ port, agent }, '/v1/models/sklearn-iris:predict', IRIS)).body,
    '{"predictions":[1,1]}',
  );
  child.kill('SIGTERM');
  assert.equal(await exited(child, 6_000), 0);
});
