// A replica serving a scikit-learn MLP hands the runtime its logger and INFERD_SKLEARN_ORT_MIN_ROWS (one of the
// runtime env keys the controller passes through), and a V2 batch answered by onnxruntime gives the same labels
// as one answered by the TypeScript kernel (runtimes/sklearn/ort-kernel.ts).

import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { LoadOptions, RuntimeFactory } from '../../src/runtimes/model.js';
import { sklearnRuntime } from '../../src/runtimes/sklearn/index.js';
import { startReplica } from '../../src/server/replica.js';
import { parseReplicaArgs } from '../../src/server/replica-args.js';
import { fixturesDir } from '../helpers/paths.js';
import { postJson } from './helpers.js';

const MODEL_DIR = join(fixturesDir, 'sklearn', 'models', 'mlp_clf_iris');

async function replicaWith(env: Record<string, string>, seen: LoadOptions[]) {
  const runtime: RuntimeFactory = {
    name: 'sklearn',
    formats: ['sklearn'],
    load: async (opts) => {
      seen.push(opts);
      return sklearnRuntime.load(opts);
    },
  };
  const config = parseReplicaArgs(['--model_name', 'm', '--model_dir', MODEL_DIR, '--http_port', '0']);
  return startReplica(
    { ...config, modelFormat: 'sklearn', grpcPort: null },
    {
      registry: { forFormat: () => runtime, formats: () => ['sklearn'] },
      env,
      log: silentLogger,
      notify: async () => {},
    },
  );
}

function body(rows: number): string {
  const data: number[] = [];
  for (let r = 0; r < rows; r++) data.push(4 + (r % 30) / 10, 3 - (r % 7) / 10, 1 + (r % 50) / 10, (r % 25) / 10);
  return JSON.stringify({ inputs: [{ name: 'input-0', shape: [rows, 4], datatype: 'FP64', data }] });
}

test('an MLP replica answers batches from onnxruntime with the labels the TypeScript kernel gives', async (t) => {
  const seen: LoadOptions[] = [];
  const ort = await replicaWith({ INFERD_SKLEARN_ORT_MIN_ROWS: '2', HOME: '/x' }, seen);
  t.after(() => ort.close(100));
  const ts = await replicaWith({ INFERD_SKLEARN_ORT_MIN_ROWS: '1000000' }, seen);
  t.after(() => ts.close(100));
  assert.deepEqual(seen[0]!.env, { INFERD_SKLEARN_ORT_MIN_ROWS: '2' });
  assert.equal(seen[0]!.log, silentLogger, 'the replica passes its logger to the runtime');
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  for (const rows of [1, 2, 500]) {
    const a = await postJson({ port: ort.port, agent }, '/v2/models/m/infer', body(rows));
    const b = await postJson({ port: ts.port, agent }, '/v2/models/m/infer', body(rows));
    assert.equal(a.status, 200, a.body);
    assert.equal(b.status, 200, b.body);
    const outputs = (text: string) => (JSON.parse(text) as { outputs: unknown }).outputs;
    assert.deepEqual(outputs(a.body), outputs(b.body), `${rows} rows: the same labels`);
  }
});
