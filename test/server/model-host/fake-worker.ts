// A model-host worker for tests, speaking the real protocol: `predict` echoes its input, or with parameters
// {hang:true} spins forever (no heartbeat), {crash:true} throws an uncaught error, {fail:true} answers an
// INVALID_INPUT error. A model dir of "fail-load" fails the load.

import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerInit } from '../../../src/server/model-host/protocol.js';

if (!parentPort) throw new Error('worker only');
const port = parentPort;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

if (init.modelDir === 'fail-load') {
  post({
    type: 'load-failed',
    error: { code: 'MODEL_LOAD_FAILED', message: 'no model here', details: { reason: 'ModelMissing' } },
  });
} else {
  const beat = setInterval(() => post({ type: 'beat' }), init.heartbeatMs);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'unload') {
      clearInterval(beat);
      post({ type: 'unloaded' });
      return;
    }
    const p = m.parameters ?? {};
    if (p.hang) for (;;) {}
    if (p.crash) {
      setTimeout(() => {
        throw new Error('boom');
      });
      return;
    }
    if (p.fail) {
      post({ type: 'error', id: m.id, error: { code: 'INVALID_INPUT', message: 'bad input' } });
      return;
    }
    const x = m.inputs[0]!;
    const out = new Float64Array(x.data as ArrayLike<number>);
    post({ type: 'result', id: m.id, outputs: [{ name: 'y', datatype: 'FP64', shape: x.shape, data: out }] }, [
      out.buffer,
    ]);
  });
  post({ type: 'loaded', metadata: { platform: 'fake', inputs: [], outputs: [] } });
}
