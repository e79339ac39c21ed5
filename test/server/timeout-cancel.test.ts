// spec.predictor.timeout → 504 JSON (the connection stays usable), and a client that goes away takes its
// queued work with it: the batcher never runs rows nobody waits for.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { Model, PredictOptions, Tensor } from '../../src/runtimes/model.js';
import { Batcher } from '../../src/server/batcher.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { createModelServer } from '../../src/server/model-server.js';
import { nextEvent } from '../support/wait.js';
import { postJson } from './helpers.js';

/** Answers after `delayMs` (or never when aborted first); records the rows of every call. */
function slowModel(delayMs: number): Model & { rows: number[]; aborted: number } {
  const m = {
    name: 'slow',
    rows: [] as number[],
    aborted: 0,
    metadata: () => ({ platform: '', inputs: [], outputs: [] }),
    predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
      m.rows.push(inputs[0]!.shape[0]!);
      const signal = opts?.signal;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => resolve([{ name: 'y', datatype: 'FP64', shape: inputs[0]!.shape, data: inputs[0]!.data }]),
          delayMs,
        );
        signal?.addEventListener('abort', () => {
          m.aborted++;
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
    },
  };
  return m;
}

async function serve(t: TestContext, model: Model, opts: { requestTimeoutMs?: number; batcher?: Batcher } = {}) {
  const repo = new ModelRepository();
  repo.add(model, opts.batcher ? { batcher: opts.batcher } : {});
  const server = createModelServer({ models: repo, log: silentLogger, requestTimeoutMs: opts.requestTimeoutMs });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, agent };
}

const INSTANCES = '{"instances":[[1,2]]}';

test('EXPECTED FAILURE - a request past spec.predictor.timeout gets 504 JSON; the model call is aborted', async (t) => {
  const model = slowModel(300);
  const s = await serve(t, model, { requestTimeoutMs: 40 });
  const r = await postJson(s, '/v1/models/slow:predict', INSTANCES);
  assert.equal(r.status, 504);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.body, '{"error":"the request did not finish within 40 ms (spec.predictor.timeout)"}');
  assert.equal(model.aborted, 1);
  // Same keep-alive connection, next request: still served (and still bounded).
  const again = await postJson(
    s,
    '/v2/models/slow/infer',
    '{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}',
  );
  assert.equal(again.status, 504);
  const fast = await serve(t, slowModel(1), { requestTimeoutMs: 1_000 });
  assert.equal((await postJson(fast, '/v1/models/slow:predict', INSTANCES)).status, 200);
});

test('a timed-out request leaves the batch queue before its batch is sent', async (t) => {
  const model = slowModel(1);
  const batcher = new Batcher(model, { maxBatchSize: 32, maxLatencyMs: 150 });
  const s = await serve(t, model, { requestTimeoutMs: 30, batcher });
  const r = await postJson(s, '/v1/models/slow:predict', INSTANCES);
  assert.equal(r.status, 504);
  // A 2-row request queued now joins the same batch window; once it is answered, the batch that would have
  // carried the timed-out row has gone. Rows [2], not [3]: the timed-out row left the queue.
  const x: Tensor = { name: 'x', datatype: 'FP64', shape: [2, 2], data: new Float64Array([1, 2, 3, 4]) };
  const marker = await batcher.submit([x], {});
  assert.deepEqual(marker.outputs[0]!.shape, [2, 2]);
  assert.deepEqual(model.rows, [2]);
});

test('a client that disconnects while queued cancels its rows; the others in the batch are answered', async (t) => {
  const model = slowModel(1);
  // A window long enough that both requests are queued and the first one's client is gone within it, even on a
  // loaded machine: 2 s (was 500 ms, for a second connection, its request and the close to reach the server).
  const batcher = new Batcher(model, { maxBatchSize: 32, maxLatencyMs: 2_000 });
  // Each submit to the batcher is announced, so the test knows a request is queued before it acts.
  const queued = new EventEmitter();
  const submit = batcher.submit.bind(batcher);
  batcher.submit = (inputs, opts) => {
    const p = submit(inputs, opts);
    queued.emit('rows', inputs[0]!.shape[0]);
    return p;
  };
  const s = await serve(t, model, { batcher });
  const agent = new http.Agent({ keepAlive: false });
  t.after(() => agent.destroy());
  const gone = http.request({
    port: s.port,
    host: '127.0.0.1',
    method: 'POST',
    path: '/v1/models/slow:predict',
    agent,
  });
  gone.on('error', () => {});
  const goneQueued = nextEvent(queued, 'rows', 'the 3-row request is queued');
  gone.end('{"instances":[[1,2],[3,4],[5,6]]}');
  assert.deepEqual(await goneQueued, [3]);
  const staysQueued = nextEvent(queued, 'rows', 'the 1-row request is queued');
  const stays = postJson({ port: s.port, agent }, '/v1/models/slow:predict', '{"instances":[[7,8]]}');
  assert.deepEqual(await staysQueued, [1]);
  assert.deepEqual(model.rows, [], 'the batch has not gone yet');
  gone.destroy();
  const r = await stays;
  assert.equal(r.status, 200);
  assert.match(r.body, /"predictions":\[\[7\.0,8\.0\]\]/);
  assert.deepEqual(model.rows, [1]); // only the request that stayed reached the model
});
