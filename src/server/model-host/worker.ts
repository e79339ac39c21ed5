// A model host's worker thread: either one service's model, loaded with its format's runtime and served on the
// worker's own ports (worker-serve.ts; the host supervises it through shared slots), or a group worker holding
// a multi-model service's TrainedModels, answering predict messages from the host's main thread and posting a
// heartbeat while its event loop is free. Outputs go back with their typed-array buffers transferred.
//
// Only the runtime of the model's format is imported (a live worker's RSS is mostly its V8 isolate and Node's
// per-thread bootstrap, ~8 MiB; a runtime imports only what its model needs: docs/operations.md, "Packed
// replicas"). A scikit-learn model the native runtime cannot serve (UNSUPPORTED) is not served here: the
// Python fallback's worker process must end with its replica, so the load fails with reason NeedsOwnProcess
// and inferd serve gives it a process of its own.

import { parentPort, workerData } from 'node:worker_threads';
import { InferdError, isInferdError } from '../../errors.js';
import { NEEDS_OWN_PROCESS } from '../../replica-protocol.js';
import type { LoadOptions, Model, RuntimeFactory, Tensor } from '../../runtimes/model.js';
import { BatchLoader } from './load-size.js';
import {
  type CallAnswer,
  type FromWorker,
  type PredictCall,
  reviveBuffers,
  serializeError,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';

if (!parentPort) throw new Error('model-host worker must run in a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** Buffers a result may hand over without a copy: typed arrays that own their whole, unshared buffer. */
function transferables(outputs: Tensor[], out: Set<ArrayBuffer>): void {
  for (const t of outputs) {
    const d = t.data as unknown;
    if (!ArrayBuffer.isView(d) || Buffer.isBuffer(d)) continue;
    const buf = d.buffer;
    if (buf instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === buf.byteLength) out.add(buf);
  }
}

/** The native sklearn runtime; a model it cannot serve is sent to a process of its own (Python fallback). */
async function loadSklearn(opts: LoadOptions): Promise<Model> {
  const { sklearnRuntime } = await import('../../runtimes/sklearn/index.js');
  try {
    return await sklearnRuntime.load(opts);
  } catch (err) {
    if (!isInferdError(err) || err.code !== 'UNSUPPORTED') throw err;
    throw new InferdError('UNSUPPORTED', `${err.message}; it is served from a process of its own`, {
      ...err.details,
      reason: NEEDS_OWN_PROCESS,
    });
  }
}

/** The runtime for a format, importing only its own modules (the registry's list for anything else). */
async function runtimeFor(format: string): Promise<RuntimeFactory | undefined> {
  switch (format.toLowerCase()) {
    case 'sklearn':
      return { name: 'sklearn', formats: ['sklearn'], load: loadSklearn };
    case 'xgboost':
      return (await import('../../runtimes/xgboost/index.js')).xgboostRuntime;
    case 'lightgbm':
      return (await import('../../runtimes/lightgbm/index.js')).lightgbmRuntime;
    case 'onnx':
      return (await import('../../runtimes/onnx/index.js')).onnxRuntime;
    default: {
      const { createRuntimeRegistry, defaultRuntimes } = await import('../../runtimes/registry.js');
      return createRuntimeRegistry(defaultRuntimes()).forFormat(format);
    }
  }
}

async function answer(model: Model, c: PredictCall): Promise<CallAnswer> {
  const opts = {
    ...(c.parameters ? { parameters: c.parameters } : {}),
    ...(c.outputNames ? { outputNames: c.outputNames } : {}),
  };
  try {
    return { id: c.id, outputs: await model.predict(reviveBuffers(c.inputs), opts) };
  } catch (err) {
    return { id: c.id, error: serializeError(err) };
  }
}

/**
 * A group worker: many models (a multi-model service's TrainedModels), loaded and unloaded by message; calls
 * wait for their model's load. Before running a model's code the worker writes its key in the shared slot.
 */
function mainGroup(current: Int32Array): void {
  const models = new Map<number, Promise<Model>>();
  const run = <T>(key: number, f: () => T): T => {
    Atomics.store(current, 0, key);
    try {
      return f();
    } finally {
      Atomics.store(current, 0, 0);
    }
  };
  const beat = setInterval(() => post({ type: 'beat' }), init.heartbeatMs);
  const loader = new BatchLoader<Model>();
  const answerIn = async (c: PredictCall): Promise<CallAnswer> => {
    const key = c.model ?? 0;
    const loading = models.get(key);
    if (!loading) return { id: c.id, error: { code: 'MODEL_NOT_FOUND', message: `no model ${key} in this worker` } };
    let model: Model;
    try {
      model = await loading;
    } catch (err) {
      return { id: c.id, error: serializeError(err) };
    }
    return run(key, () => answer(model, c));
  };
  let done: CallAnswer[] = [];
  const flush = () => {
    const answers = done;
    done = [];
    const transfer = new Set<ArrayBuffer>();
    for (const a of answers) if ('outputs' in a) transferables(a.outputs, transfer);
    post({ type: 'answers', answers }, [...transfer]);
  };
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'load-model': {
        const { key } = m;
        // One load at a time, each measured (load-size.ts). A format's first model is loaded once and dropped
        // before it is measured: what the runtime imports, compiles and caches on its first load (~1.5 MiB for
        // scikit-learn's) is the worker's, not that model's.
        const measured = loader.load({
          kind: m.modelFormat,
          ...(m.memoryBytes ? { budget: m.memoryBytes } : {}),
          prepare: async () => {
            const runtime = await runtimeFor(m.modelFormat);
            if (!runtime) throw new Error(`no runtime serves model format "${m.modelFormat}"`);
            return () => run(key, () => runtime.load({ name: m.modelName, modelDir: m.modelDir, env: m.env }));
          },
          drop: async (model) => {
            await model.unload?.();
          },
        });
        const loading = measured.then((r) => r.value);
        loading.catch(() => undefined); // its failure is answered below (and to each call that awaits it)
        models.set(key, loading);
        measured.then(
          (r) =>
            post({
              type: 'model-loaded',
              key,
              metadata: r.value.metadata(),
              loadedBytes: r.bytes,
              loadedBytesExact: r.exact,
            }),
          (err) => {
            if (models.get(key) === loading) models.delete(key);
            post({ type: 'model-load-failed', key, error: serializeError(err) });
          },
        );
        return;
      }
      case 'unload-model': {
        const loading = models.get(m.key);
        models.delete(m.key);
        void Promise.resolve(loading)
          .then((model) => model?.unload?.())
          .catch(() => undefined)
          .then(() => post({ type: 'model-unloaded', key: m.key }));
        return;
      }
      case 'unload':
        clearInterval(beat);
        post({ type: 'unloaded' });
        return;
      case 'predict':
        // Each call answers when its model does (a slow model does not hold its siblings' answers back);
        // answers finished in one turn go back in one message.
        for (const c of m.calls) {
          void answerIn(c).then((a) => {
            if (done.push(a) === 1) setImmediate(flush);
          });
        }
    }
  });
}

async function main(): Promise<void> {
  if (init.group) return mainGroup(new Int32Array(init.group.current));
  // A service's model: this worker serves it on its own ports (worker-serve.ts, loaded only here: a group
  // worker has no ports of its own).
  const { serveModel } = await import('./worker-serve.js');
  return serveModel(init, port, async () => {
    const runtime = await runtimeFor(init.modelFormat);
    if (!runtime) throw new Error(`no runtime serves model format "${init.modelFormat}"`);
    return runtime.load({ name: init.modelName, modelDir: init.modelDir, env: init.env });
  });
}

void main();
