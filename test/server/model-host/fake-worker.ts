// A model-host worker for tests, speaking the real protocol: `predict` echoes its input, or with parameters
// {hang:true} spins forever (no heartbeat), {crash:true} throws an uncaught error (the call unanswered),
// {crashAfterMs:N} answers and throws from a timer N ms later, {busyMs:N} blocks its thread N ms then
// answers, {fail:true} answers an
// INVALID_INPUT error, {bomb:true} allocates until its heap limit ends it, {slowMs:N} answers after N ms with
// its event loop free, {answered: SharedArrayBuffer} (group worker) sets its first Int32 to 1 once the answer
// is posted (2 when a crashAfterMs timer is about to throw). A model dir of "fail-load" fails the load. As a group worker (init.group) it loads
// fake models by key (`load-model`; "fail-load" fails, "hang-load" spins after an await, outside the slot)
// and marks the running model in the shared slot. As a serving worker (init.serve) it serves a fake model with
// the same behaviours through the real worker-serve.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { InferdError } from '../../../src/errors.js';
import type { Model, PredictOptions, Tensor } from '../../../src/runtimes/model.js';
import type { CallAnswer, FromWorker, ToWorker, WorkerInit } from '../../../src/server/model-host/protocol.js';
import { serveModel } from '../../../src/server/model-host/worker-serve.js';

if (!parentPort) throw new Error('worker only');
const port = parentPort;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const current = init.group ? new Int32Array(init.group.current) : undefined;
/** A serving worker's slow call says it started on this BroadcastChannel (its model's name). */
const STARTED_CHANNEL = 'fake-worker-call-started';

/** The fake model a serving worker serves: echoes its first input as FP64 `y`, or misbehaves on request. */
function fakeModel(name: string): Model {
  const hoard: unknown[] = [];
  return {
    name,
    metadata: () => ({ platform: 'fake', inputs: [], outputs: [] }),
    predict(inputs: Tensor[], opts?: PredictOptions): Tensor[] | Promise<Tensor[]> {
      const p = (opts?.parameters ?? {}) as Record<string, unknown>;
      if (p.hang) for (;;) {}
      if (typeof p.busyMs === 'number') for (const until = Date.now() + p.busyMs; Date.now() < until; ) {}
      if (p.bomb) for (;;) hoard.push({ a: [1, 2, 3], s: `x${hoard.length}` });
      if (p.fail) throw new InferdError('INVALID_INPUT', 'bad input');
      if (p.crash) {
        setTimeout(() => {
          throw new Error('boom');
        });
        return new Promise(() => {});
      }
      const x = inputs[0]!;
      const out: Tensor[] = [
        { name: 'y', datatype: 'FP64', shape: x.shape, data: new Float64Array(x.data as ArrayLike<number>) },
      ];
      if (typeof p.slowMs === 'number') {
        // Tests wait on this to know the call is running in the worker.
        const started = new BroadcastChannel(STARTED_CHANNEL);
        started.postMessage(name);
        started.close();
        return new Promise((r) => setTimeout(() => r(out), p.slowMs as number));
      }
      return out;
    },
  };
}

if (init.serve) {
  void serveModel(init, port, async () => {
    if (init.modelDir === 'fail-load') {
      throw new InferdError('MODEL_LOAD_FAILED', 'no model here', { reason: 'ModelMissing' });
    }
    return fakeModel(init.modelName);
  });
} else if (init.modelDir === 'fail-load') {
  post({
    type: 'load-failed',
    error: { code: 'MODEL_LOAD_FAILED', message: 'no model here', details: { reason: 'ModelMissing' } },
  });
} else {
  const beat = setInterval(() => post({ type: 'beat' }), init.heartbeatMs);
  const hoard: unknown[] = [];
  port.on('message', (m: ToWorker) => {
    if (m.type === 'unload') {
      clearInterval(beat);
      post({ type: 'unloaded' });
      return;
    }
    if (m.type === 'load-model') {
      // As a real load does once it awaits its file: spins outside the shared slot (key 0), beats stop.
      if (m.modelDir === 'hang-load') {
        void Promise.resolve().then(() => {
          for (;;) {}
        });
        return;
      }
      if (m.modelDir === 'fail-load') {
        post({ type: 'model-load-failed', key: m.key, error: { code: 'MODEL_LOAD_FAILED', message: 'no model here' } });
      } else post({ type: 'model-loaded', key: m.key, metadata: { platform: 'fake', inputs: [], outputs: [] } });
      return;
    }
    if (m.type === 'unload-model') {
      post({ type: 'model-unloaded', key: m.key });
      return;
    }
    for (const c of m.calls) {
      const p = c.parameters ?? {};
      if (current) Atomics.store(current, 0, c.model ?? 0);
      if (p.hang) for (;;) {}
      if (typeof p.busyMs === 'number') for (const until = Date.now() + p.busyMs; Date.now() < until; ) {}
      if (p.bomb) for (;;) hoard.push({ a: [1, 2, 3], s: `x${hoard.length}` });
      if (typeof p.crashAfterMs === 'number') {
        // answers, then throws from a timer: no model code running, no call waiting
        setTimeout(() => {
          if (p.answered instanceof SharedArrayBuffer) Atomics.store(new Int32Array(p.answered), 0, 2);
          throw new Error('late boom');
        }, p.crashAfterMs);
      } else if (p.crash) {
        setTimeout(() => {
          throw new Error('boom');
        });
        continue;
      }
      const send = (a: CallAnswer, transfer: ArrayBuffer[] = []) => post({ type: 'answers', answers: [a] }, transfer);
      if (p.fail) {
        send({ id: c.id, error: { code: 'INVALID_INPUT', message: 'bad input' } });
        continue;
      }
      const x = c.inputs[0]!;
      const out = new Float64Array(x.data as ArrayLike<number>);
      const answer = () =>
        send({ id: c.id, outputs: [{ name: 'y', datatype: 'FP64', shape: x.shape, data: out }] }, [out.buffer]);
      if (typeof p.slowMs === 'number') setTimeout(answer, p.slowMs);
      else answer();
      // Shared memory, not a message: a test whose own thread is blocked can see that the answer was sent.
      if (p.answered instanceof SharedArrayBuffer) Atomics.store(new Int32Array(p.answered), 0, 1);
      if (current) Atomics.store(current, 0, 0);
    }
  });
  post({ type: 'loaded', metadata: { platform: 'fake', inputs: [], outputs: [] } });
}
