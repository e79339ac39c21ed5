// `inferd serve` exits on SIGTERM/SIGINT once its replicas have stopped, also with a two-tier service: the
// predictor listener opened for a transformer (its --predictor_host port) is closed too. It was left open, and
// serve stayed in "shutting down" until killed (the test helper's stop() SIGKILLs after 10 s, which hid it).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpRequest, removeDir, startInferd } from '../helpers/inferd.js';

const IDENTITY_JS = fileURLToPath(new URL('../../examples/identity-transformer/transformer.js', import.meta.url));
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const BODY = JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: serve with a transformer in front of a predictor exits by itself, code 0`, async (t) => {
    const inferd = await startInferd();
    t.after(async () => {
      await inferd.stop();
      removeDir(inferd.stateDir);
    });
    const created = await httpRequest({
      port: inferd.port,
      path: ISVC,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name: 'hop' },
        spec: {
          predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
          transformer: { containers: [{ name: 'kserve-container', command: ['inferd', 'run', IDENTITY_JS] }] },
        },
      }),
    });
    assert.equal(created.status, 201, created.text);
    // Answered through the transformer: the predictor listener is open and in use.
    const deadline = Date.now() + 60_000;
    let last = { status: 0, text: '' };
    while (Date.now() < deadline) {
      last = await httpRequest({
        port: inferd.port,
        path: '/v1/models/hop:predict',
        headers: { host: 'hop.default.example.com', 'content-type': 'application/json' },
        body: BODY,
      });
      if (last.status === 200) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.equal(last.status, 200, last.text);

    const exited = once(inferd.proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    inferd.proc.kill(signal);
    const timer = new Promise<'timeout'>((ok) => setTimeout(() => ok('timeout'), 15_000).unref());
    const result = await Promise.race([exited, timer]);
    assert.notEqual(result, 'timeout', `serve still running 15 s after ${signal}:\n${inferd.output().slice(-2000)}`);
    assert.deepEqual(result, [0, null]);
  });
}
