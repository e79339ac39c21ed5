// One model in its own worker thread of a model host: loads the model through the runtime registry, answers
// predict messages, and posts a heartbeat while its event loop is free (a model stuck in a synchronous loop
// stops beating; the host terminates it). Outputs go back with their typed-array buffers transferred.

import { parentPort, workerData } from 'node:worker_threads';
import { isInferdError, messageOf } from '../../errors.js';
import type { Model, Tensor } from '../../runtimes/model.js';
import { createRuntimeRegistry, defaultRuntimes } from '../../runtimes/registry.js';
import { type FromWorker, reviveBuffers, type SerializedError, type ToWorker, type WorkerInit } from './protocol.js';

if (!parentPort) throw new Error('model-host worker must run in a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function serialize(err: unknown): SerializedError {
  if (isInferdError(err)) {
    const { cause: _cause, ...details } = err.details;
    return { code: err.code, message: err.message, details: JSON.parse(JSON.stringify(details)) };
  }
  return { message: messageOf(err) };
}

/** Buffers a result may hand over without a copy: typed arrays that own their whole, unshared buffer. */
function transferables(outputs: Tensor[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of outputs) {
    const d = t.data as unknown;
    if (!ArrayBuffer.isView(d) || Buffer.isBuffer(d)) continue;
    const buf = d.buffer;
    if (buf instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === buf.byteLength) out.add(buf);
  }
  return [...out];
}

async function main(): Promise<void> {
  const registry = createRuntimeRegistry(defaultRuntimes());
  const runtime = registry.forFormat(init.modelFormat);
  let model: Model;
  try {
    if (!runtime) throw new Error(`no runtime serves model format "${init.modelFormat}"`);
    model = await runtime.load({ name: init.modelName, modelDir: init.modelDir, env: init.env });
  } catch (err) {
    post({ type: 'load-failed', error: serialize(err) });
    return;
  }
  const beat = setInterval(() => post({ type: 'beat' }), init.heartbeatMs);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'unload') {
      clearInterval(beat);
      Promise.resolve(model.unload?.())
        .catch(() => undefined)
        .then(() => post({ type: 'unloaded' }));
      return;
    }
    if (m.type !== 'predict') return;
    const opts = {
      ...(m.parameters ? { parameters: m.parameters } : {}),
      ...(m.outputNames ? { outputNames: m.outputNames } : {}),
    };
    Promise.resolve()
      .then(() => model.predict(reviveBuffers(m.inputs), opts))
      .then(
        (outputs) => post({ type: 'result', id: m.id, outputs }, transferables(outputs)),
        (err) => post({ type: 'error', id: m.id, error: serialize(err) }),
      );
  });
  post({ type: 'loaded', metadata: model.metadata() });
}

void main();
