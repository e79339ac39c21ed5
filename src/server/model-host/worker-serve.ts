// A serving worker: one service's model in its own worker thread of a model host, served by the same model
// server a replica process runs (model-server.ts over a one-model ModelRepository, its own metrics, the lazy
// V2 gRPC port) on its own loopback ports. Requests reach the model's thread directly: no hop through the
// host's main thread (each hop cost two thread wake-ups; through the gateway a packed model answered at
// 0.70-0.78 of a process-per-model's rps, docs/benchmarks.md).
//
// Supervision stays with the host's main thread (worker-model.ts), which reads two slots this worker writes
// with Atomics: its last beat (written on a timer while its event loop is free) and when its oldest running
// call started. A call past the time limit while the loop is free is answered 504 here; a stuck loop is
// the host's to end (ModelHung).

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { InferdError, messageOf } from '../../errors.js';
import { createLogger } from '../../log.js';
import { packageVersion } from '../../package.js';
import type { Model, PredictOptions, Tensor } from '../../runtimes/model.js';
import { grpcImplementation, type LazyGrpcServer, listenLazyGrpc } from '../grpc/lazy.js';
import { ServerMetrics } from '../metrics.js';
import { ModelRepository } from '../model-repository.js';
import { createModelServer, shutdownModelServer } from '../model-server.js';
import {
  type FromWorker,
  SLOT_BEAT,
  SLOT_CALL_SINCE,
  serializeError,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';

interface Running {
  start: number;
  /** Set for an async call: the worker ends it with 504 at the time limit. */
  reject?: (e: Error) => void;
}

/**
 * The model as the server sees it: every call is marked running in the shared slot while it runs, and an
 * async call past `limitMs` is rejected with TIMEOUT by `tick()` (called on the beat timer).
 */
export function superviseModel(
  model: Model,
  slots: BigInt64Array,
  limitMs: number,
): { model: Model; tick: (now: number) => void } {
  // Insertion order is start order: the first entry is the oldest call.
  const running = new Set<Running>();
  const mark = () => {
    const first = running.values().next().value as Running | undefined;
    Atomics.store(slots, SLOT_CALL_SINCE, BigInt(first ? first.start : 0));
  };
  const finish = (call: Running) => {
    if (running.delete(call)) mark();
  };
  const supervised: Model = {
    name: model.name,
    metadata: () => model.metadata(),
    predict(inputs: Tensor[], opts?: PredictOptions) {
      const call: Running = { start: Date.now() };
      running.add(call);
      if (running.size === 1) Atomics.store(slots, SLOT_CALL_SINCE, BigInt(call.start));
      let out: Promise<Tensor[]> | Tensor[];
      try {
        out = model.predict(inputs, opts);
      } catch (err) {
        finish(call);
        throw err;
      }
      if (!(out instanceof Promise)) {
        finish(call);
        return out;
      }
      const pending = out;
      return new Promise<Tensor[]>((resolve, reject) => {
        call.reject = reject;
        pending.then(
          (t) => {
            finish(call);
            resolve(t);
          },
          (e) => {
            finish(call);
            reject(e);
          },
        );
      });
    },
    unload: () => model.unload?.(),
  };
  const tick = (now: number) => {
    Atomics.store(slots, SLOT_BEAT, BigInt(now));
    let late = false;
    for (const call of running) {
      if (now - call.start < limitMs) break;
      running.delete(call);
      late = true;
      call.reject?.(
        new InferdError('TIMEOUT', `model ${model.name} did not answer within its time limit of ${limitMs} ms`),
      );
    }
    if (late) mark();
  };
  return { model: supervised, tick };
}

function listen(server: http.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Loads the model, listens, posts `loaded` with the ports; `unload` closes gracefully and posts `unloaded`. */
export async function serveModel(init: WorkerInit, port: MessagePort, load: () => Promise<Model>): Promise<void> {
  const serve = init.serve;
  if (!serve) throw new Error('serveModel needs init.serve');
  const post = (m: FromWorker) => port.postMessage(m);
  const slots = new BigInt64Array(serve.state);
  const log = createLogger({ base: { component: 'model-server', model: init.modelName } });
  const loadStart = performance.now();
  let model: Model;
  try {
    model = await load();
  } catch (err) {
    post({ type: 'load-failed', error: serializeError(err) });
    return;
  }
  const limitMs = serve.requestTimeoutMs;
  const { model: supervised, tick } = superviseModel(model, slots, limitMs);
  const models = new ModelRepository();
  const metrics = new ServerMetrics();
  metrics.recordLoad(model.name, (performance.now() - loadStart) / 1000);
  models.add(supervised);
  const server = createModelServer({
    models,
    log,
    maxBodyBytes: serve.maxBodyBytes,
    maxBinaryBodyBytes: serve.maxBinaryBodyBytes,
    metrics,
    // A thread per model: the V1 and V2 handlers load with their protocol's first request (docs/multi-model.md).
    lazyHandlers: true,
  });
  let grpc: LazyGrpcServer | undefined;
  let httpPort: number;
  try {
    if (serve.grpc) {
      grpc = await listenLazyGrpc(
        {
          models,
          log,
          metrics,
          version: packageVersion(),
          maxReceiveMessageBytes: serve.grpcMaxReceiveMessageBytes,
          maxSendMessageBytes: serve.grpcMaxSendMessageBytes,
        },
        serve.httpHost,
        0,
        grpcImplementation(init.env),
      );
    }
    httpPort = await listen(server, serve.httpHost);
    // One full collection once loaded and listening: what loading left behind (the parsed file, module
    // compilation) is freed before the model settles in, ~0.9 MiB of RSS per packed model (docs/benchmarks.md).
    // The host runs with --expose-gc (hosted-replica.ts); without it this is a no-op.
    (globalThis as { gc?: () => void }).gc?.();
  } catch (err) {
    grpc?.forceShutdown();
    await Promise.resolve(model.unload?.()).catch(() => undefined);
    post({
      type: 'load-failed',
      error: serializeError(new InferdError('INTERNAL', messageOf(err), { reason: 'ListenFailed' })),
    });
    return;
  }
  // The beat (and the 504 of an async call past its limit) several times per limit: a free loop never looks stuck.
  tick(Date.now());
  const beat = setInterval(() => tick(Date.now()), Math.max(10, Math.min(init.heartbeatMs, limitMs / 4)));
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'unload') return;
    const graceMs = m.graceMs ?? 4_000;
    // In-flight requests finish (the beat goes on meanwhile), then the model goes.
    void Promise.all([shutdownModelServer(server, graceMs), grpc?.shutdown(graceMs)])
      .then(() => model.unload?.())
      .catch(() => undefined)
      .then(() => {
        clearInterval(beat);
        post({ type: 'unloaded' });
      });
  });
  post({
    type: 'loaded',
    metadata: model.metadata(),
    port: httpPort,
    ...(grpc ? { grpcPort: grpc.port } : {}),
  });
}
