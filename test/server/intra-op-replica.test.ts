// A replica started with the intra-op env the controller sets (INFERD_INTRA_OP_THREADS, from the annotation or
// resources.limits.cpu) passes it to its runtime, and a large V2 batch served through it -- split across
// threads -- answers the same bytes as a replica without it; a small one stays on the calling thread.

import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { sharedPool } from '../../src/runtimes/intra-op/settings.js';
import type { RuntimeFactory } from '../../src/runtimes/model.js';
import { xgboostRuntime } from '../../src/runtimes/xgboost/index.js';
import { startReplica } from '../../src/server/replica.js';
import { parseReplicaArgs } from '../../src/server/replica-args.js';
import { fixturesDir } from '../helpers/paths.js';
import { postJson } from './helpers.js';

const MODEL_DIR = join(fixturesDir, 'xgboost', 'models', 'multi_softprob_iris', 'json');

async function replicaWith(env: Record<string, string>, seen: Record<string, string | undefined>[]) {
  const runtime: RuntimeFactory = {
    name: 'xgboost',
    formats: ['xgboost'],
    load: async (opts) => {
      seen.push(opts.env ?? {});
      return xgboostRuntime.load(opts);
    },
  };
  const config = parseReplicaArgs([
    '--model_name',
    'm',
    '--model_dir',
    MODEL_DIR,
    '--http_port',
    '0',
    '--grpc_port',
    '0',
  ]);
  return startReplica(
    { ...config, modelFormat: 'xgboost' },
    {
      registry: { forFormat: () => runtime, formats: () => ['xgboost'] },
      env,
      log: silentLogger,
      notify: async () => {},
    },
  );
}

function body(rows: number): string {
  const data: number[] = [];
  for (let r = 0; r < rows; r++) data.push(4 + (r % 30) / 10, 3 - (r % 7) / 10, 1 + (r % 50) / 10, (r % 25) / 10);
  return JSON.stringify({ inputs: [{ name: 'input-0', shape: [rows, 4], datatype: 'FP32', data }] });
}

test('the replica hands INFERD_INTRA_OP_THREADS to the runtime; split batches answer the same outputs', async (t) => {
  const seen: Record<string, string | undefined>[] = [];
  const split = await replicaWith({ INFERD_INTRA_OP_THREADS: '2', INFERD_INTRA_OP_MIN_ROWS: '300', HOME: '/x' }, seen);
  t.after(() => split.close(100));
  const plain = await replicaWith({}, seen);
  t.after(() => plain.close(100));
  assert.deepEqual(seen[0], { INFERD_INTRA_OP_THREADS: '2', INFERD_INTRA_OP_MIN_ROWS: '300' });
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const pool = await sharedPool(2);
  for (const [rows, splits] of [
    [1000, true],
    [299, false],
  ] as const) {
    const jobs = pool.stats.jobs;
    const a = await postJson({ port: split.port, agent }, '/v2/models/m/infer', body(rows));
    const b = await postJson({ port: plain.port, agent }, '/v2/models/m/infer', body(rows));
    assert.equal(a.status, 200, a.body);
    // Everything but the request id (a fresh UUID each).
    const outputs = (text: string) => JSON.stringify((JSON.parse(text) as { outputs: unknown }).outputs);
    assert.ok(outputs(a.body) === outputs(b.body), `${rows} rows: the same outputs`);
    assert.equal(pool.stats.jobs, jobs + (splits ? 1 : 0), `${rows} rows`);
  }
});
