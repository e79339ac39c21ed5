// The batcher (spec.predictor.batcher): concurrent requests merged along dim 0 into few model calls, split
// back correctly; incompatible requests kept apart; failures and unsplittable outputs answered per request;
// KServe's V1 batch reply shape; the controller's flags parsed by the replica.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { InferdError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { predictorReplicaArgs } from '../../src/replica-protocol.js';
import type { Model, Tensor } from '../../src/runtimes/model.js';
import { Batcher } from '../../src/server/batcher.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { createModelServer } from '../../src/server/model-server.js';
import { parseReplicaArgs } from '../../src/server/replica-args.js';

/** Doubles every value; rejects any negative value (a client mistake); counts calls and rows. */
function doubler(name = 'doubler'): Model & { calls: number[] } {
  const calls: number[] = [];
  return {
    name,
    calls,
    metadata: () => ({ platform: '', inputs: [], outputs: [] }),
    predict(inputs: Tensor[]): Tensor[] {
      const x = inputs[0]!;
      calls.push(x.shape[0]!);
      const data = Float64Array.from(x.data as ArrayLike<number>, (v) => {
        if (v < 0) throw new InferdError('INVALID_INPUT', `negative value ${v}`);
        return v * 2;
      });
      return [{ name: 'output-0', datatype: 'FP64', shape: x.shape, data }];
    },
  };
}

const row = (v: number, width = 2): Tensor => ({
  name: 'x',
  datatype: 'FP64',
  shape: [1, width],
  data: new Float64Array(width).fill(v),
});

test('200 concurrent single-row requests with maxBatchSize 32 → at most ⌈200/32⌉+1 model calls, right answers', async () => {
  const model = doubler();
  const b = new Batcher(model, { maxBatchSize: 32, maxLatencyMs: 50 });
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => b.submit([row(i)], {})));
  assert.ok(model.calls.length <= Math.ceil(200 / 32) + 1, `${model.calls.length} calls: ${model.calls}`);
  assert.equal(
    model.calls.reduce((a, n) => a + n, 0),
    200,
  );
  for (let i = 0; i < 200; i++) {
    const out = results[i]!.outputs[0]!;
    assert.deepEqual(out.shape, [1, 2]);
    assert.deepEqual([...(out.data as Float64Array)], [i * 2, i * 2]);
  }
  assert.equal(new Set(results.map((r) => r.batchId)).size, model.calls.length);
});

test('only requests that agree on trailing shape, datatype, parameters and outputs share a call', async () => {
  const model = doubler();
  const b = new Batcher(model, { maxBatchSize: 100, maxLatencyMs: 10 });
  const [a, c, w, p] = await Promise.all([
    b.submit([row(1)], {}),
    b.submit([{ ...row(2), shape: [2, 2], data: new Float64Array([2, 2, 3, 3]) }], {}),
    b.submit([row(4, 3)], {}),
    b.submit([row(5)], { parameters: { k: 1 } }),
  ]);
  assert.deepEqual(model.calls.sort(), [1, 1, 3]); // [1 row + 2 rows], [width 3], [parameters]
  assert.deepEqual([...(a.outputs[0]!.data as Float64Array)], [2, 2]);
  assert.deepEqual(c.outputs[0]!.shape, [2, 2]);
  assert.deepEqual([...(c.outputs[0]!.data as Float64Array)], [4, 4, 6, 6]);
  assert.deepEqual(w.outputs[0]!.shape, [1, 3]);
  assert.deepEqual([...(p.outputs[0]!.data as Float64Array)], [10, 10]);
  assert.equal(a.batchId, c.batchId);
});

test('EXPECTED FAILURE - one bad request fails alone; the rest of its batch is answered', async () => {
  const model = doubler();
  const b = new Batcher(model, { maxBatchSize: 8, maxLatencyMs: 10 });
  const settled = await Promise.allSettled([1, -1, 3].map((v) => b.submit([row(v)], {})));
  assert.equal(settled[0]!.status, 'fulfilled');
  assert.equal(settled[2]!.status, 'fulfilled');
  assert.deepEqual(
    [...((settled[2] as PromiseFulfilledResult<{ outputs: Tensor[] }>).value.outputs[0]!.data as Float64Array)],
    [6, 6],
  );
  assert.equal(settled[1]!.status, 'rejected');
  assert.equal(((settled[1] as PromiseRejectedResult).reason as InferdError).code, 'INVALID_INPUT');
});

test('an output without the batch dimension is not split: each request runs on its own', async () => {
  let calls = 0;
  const summer: Model = {
    name: 's',
    metadata: () => ({ platform: '', inputs: [], outputs: [] }),
    predict: (inputs) => {
      calls++;
      const d = inputs[0]!.data as Float64Array;
      return [{ name: 'sum', datatype: 'FP64', shape: [1], data: new Float64Array([d.reduce((a, v) => a + v, 0)]) }];
    },
  };
  const b = new Batcher(summer, { maxBatchSize: 8, maxLatencyMs: 5 });
  const [x, y] = await Promise.all([b.submit([row(1)], {}), b.submit([row(10)], {})]);
  assert.deepEqual([...(x.outputs[0]!.data as Float64Array)], [2]);
  assert.deepEqual([...(y.outputs[0]!.data as Float64Array)], [20]);
  assert.equal(calls, 3); // the merged call, then one each
});

test('EXPECTED FAILURE - a model call slower than the batcher timeout answers TIMEOUT', async () => {
  const slow: Model = {
    name: 'slow',
    metadata: () => ({ platform: '', inputs: [], outputs: [] }),
    predict: () => new Promise<Tensor[]>((r) => setTimeout(() => r([row(1)]), 200)),
  };
  const b = new Batcher(slow, { maxBatchSize: 1, maxLatencyMs: 1, timeoutMs: 20 });
  await assert.rejects(b.submit([row(1)], {}), { code: 'TIMEOUT' });
});

test('V1 through the model server: KServe batch reply {"message":"","batchId":…,"predictions":…}', async (t) => {
  const model = doubler('m');
  const repo = new ModelRepository();
  // A long latency window: full batches flush at 32, so the count does not depend on how fast a busy machine
  // delivers 200 connections; only the last partial batch waits for the window.
  repo.add(model, { batcher: new Batcher(model, { maxBatchSize: 32, maxLatencyMs: 2000 }) });
  const server = createModelServer({ models: repo, log: silentLogger });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  t.after(() => {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const post = (i: number) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        { port, host: '127.0.0.1', method: 'POST', path: '/v1/models/m:predict', agent },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end(`{"instances":[[${i},${i + 0.5}]]}`);
    });
  const bodies = await Promise.all(Array.from({ length: 200 }, (_, i) => post(i)));
  // Batched, on any machine: every row went in exactly one call of at most maxBatchSize rows, and the calls
  // averaged 8 rows or more. (Exactly ceil(200/32) calls only holds when all 200 arrive within one window;
  // on a loaded machine they trickle in and windows close part-full: 16 calls were seen.)
  const rows = model.calls.reduce((a, n) => a + n, 0);
  assert.equal(rows, 200, `${model.calls.length} calls: ${model.calls}`);
  assert.ok(Math.max(...model.calls) <= 32, `${model.calls}`);
  assert.ok(model.calls.length <= 200 / 8, `${model.calls.length} calls: ${model.calls}`);
  for (let i = 0; i < 200; i++) {
    const m = /^\{"message":"","batchId":"([0-9a-f-]{36})","predictions":\[\[(.*)\]\]\}$/.exec(bodies[i]!);
    assert.ok(m, bodies[i]);
    assert.equal(m[2], `${i * 2}.0,${i * 2 + 1}.0`);
  }
});

test("the controller's batcher, logger and timeout flags are the replica's", () => {
  const args = predictorReplicaArgs({ batcher: { maxBatchSize: 16, maxLatency: 250, timeout: 3 } });
  const c = parseReplicaArgs(['--model_name=a', '--model_dir=b', ...args]);
  assert.deepEqual(c.batcher, { maxBatchSize: 16, maxLatencyMs: 250, timeoutMs: 3000 });
  assert.deepEqual(
    parseReplicaArgs(['--model_name=a', '--model_dir=b', ...predictorReplicaArgs({ batcher: {} })]).batcher,
    {
      maxBatchSize: 32,
      maxLatencyMs: 5000,
      timeoutMs: 60000,
    },
  );
  assert.deepEqual(predictorReplicaArgs({}), []);
  const lt = parseReplicaArgs([
    '--model_name=a',
    '--model_dir=b',
    ...predictorReplicaArgs({ logger: { url: 'http://sink:8080/', mode: 'request' }, timeout: 30 }, 'team-a'),
  ]);
  assert.deepEqual(
    [lt.logger, lt.namespace, lt.requestTimeoutMs],
    [{ url: 'http://sink:8080/', mode: 'request' }, 'team-a', 30_000],
  );
  assert.equal(parseReplicaArgs(['--model_name=a', '--model_dir=b']).batcher, null);
});
