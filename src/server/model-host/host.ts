// A model host: one replica process serving several small models, each service's in its own worker thread
// that serves it on its own ports (worker-model.ts, worker-serve.ts: requests never cross the host's main
// thread). The main thread starts and supervises the workers, and runs the usual model server (KServe V1/V2
// REST, lazy gRPC) for health and for the TrainedModels below. inferd serve loads and unloads models over IPC
// (`{type:'load', modelName, modelDir, modelFormat, env}`, `{type:'unload', modelName}`) and hears back
// `model-ready`, `model-failed` (load error, a hung or crashed worker) and `model-unloaded`. A worker's
// failure removes only its model; the host process crashing takes all its models (the accepted blast radius:
// only pure-TypeScript runtimes are hosted, so no native code runs here). Loads marked `inline` (a multi-model
// service's TrainedModels) share one worker thread (worker-group.ts) with the same per-model time limits.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInferdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { packageVersion } from '../../package.js';
import {
  type FromHost,
  NEEDS_OWN_PROCESS,
  type ReplicaMessage,
  RUNTIME_ENV_KEYS,
  type ToHost,
} from '../../replica-protocol.js';
import type { Model } from '../../runtimes/model.js';
import { createRuntimeRegistry, defaultRuntimes } from '../../runtimes/registry.js';
import { type LazyGrpcServer, listenLazyGrpc } from '../grpc/lazy.js';
import { ServerMetrics } from '../metrics.js';
import { ModelRepository } from '../model-repository.js';
import { createModelServer, shutdownModelServer } from '../model-server.js';
import { failureReason } from '../replica.js';
import type { ReplicaConfig } from '../replica-args.js';
import { GroupModel, WorkerGroup } from './worker-group.js';
import { WorkerModel, type WorkerPorts } from './worker-model.js';

/** A service's model being unloaded or replaced: its in-flight requests get this long to finish. */
const UNLOAD_GRACE_MS = 4_000;

export interface ModelHostDeps {
  env: Record<string, string | undefined>;
  log: Logger;
  notify: (msg: ReplicaMessage | FromHost) => Promise<void>;
  /** Worker entry; default: worker.js beside this file. */
  workerEntry?: URL | string;
  /** A model's time limit per call when its load message names none (default 30 s). */
  hangTimeoutMs?: number;
  heartbeatMs?: number;
}

export interface RunningModelHost {
  readonly port: number;
  readonly grpcPort: number | undefined;
  readonly models: ModelRepository;
  handle(msg: ToHost): Promise<void>;
  close(graceMs?: number): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Listens with no model, reports `ready`, then serves whatever inferd serve loads into it. */
export async function startModelHost(config: ReplicaConfig, deps: ModelHostDeps): Promise<RunningModelHost> {
  await deps.notify({ type: 'state', state: 'Loading' });
  const models = new ModelRepository();
  const metrics = new ServerMetrics();
  const workers = new Map<string, WorkerModel>();
  const server = createModelServer({
    models,
    log: deps.log,
    maxBodyBytes: config.maxBodyBytes,
    maxBinaryBodyBytes: config.maxBinaryBodyBytes,
    metrics,
  });
  let grpc: LazyGrpcServer | undefined;
  try {
    if (config.grpcPort !== null) {
      grpc = await listenLazyGrpc(
        {
          models,
          log: deps.log,
          metrics,
          version: packageVersion(),
          maxReceiveMessageBytes: config.grpcMaxReceiveMessageBytes,
          maxSendMessageBytes: config.grpcMaxSendMessageBytes,
        },
        config.httpHost,
        config.grpcPort,
      );
    }
    const port = await listen(server, config.httpPort, config.httpHost);
    deps.log.info('model host listening', { host: config.httpHost, port, grpcPort: grpc?.port });
    await deps.notify(grpc ? { type: 'ready', port, grpcPort: grpc.port } : { type: 'ready', port });
    const workerEntry = deps.workerEntry ?? new URL('./worker.js', import.meta.url);
    const runtimeEnv = (extra: Record<string, string> | undefined) => {
      const env: Record<string, string | undefined> = {};
      for (const k of RUNTIME_ENV_KEYS) {
        const v = extra?.[k] ?? deps.env[k];
        if (v !== undefined) env[k] = v;
      }
      // Packed models share one process to save memory: no intra-op worker threads per model (docs/operations.md).
      delete env.INFERD_INTRA_OP_THREADS;
      return env;
    };

    // Inline models (a multi-model service's TrainedModels) share one worker thread, with per-model time limits
    // (worker-group.ts); a model only the Python fallback serves runs on this thread (its Python worker process
    // must end with this host).
    let group: WorkerGroup | undefined;
    let registry: ReturnType<typeof createRuntimeRegistry> | undefined;
    const inline = new Map<string, Model>();

    const unload = async (name: string, graceMs = UNLOAD_GRACE_MS) => {
      const w = workers.get(name);
      const m = inline.get(name);
      workers.delete(name);
      inline.delete(name);
      if (m) models.remove(name);
      await w?.unload(graceMs);
      await m?.unload?.();
    };

    const loadInline = async (msg: Extract<ToHost, { type: 'load' }>) => {
      const name = msg.modelName;
      const previous = inline.get(name) ?? workers.get(name);
      const started = performance.now();
      let model: Model;
      try {
        const loadStart = performance.now();
        group ??= new WorkerGroup({
          entry: workerEntry,
          ...(config.requestTimeoutMs ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
          ...(!config.requestTimeoutMs && deps.hangTimeoutMs ? { requestTimeoutMs: deps.hangTimeoutMs } : {}),
          ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}),
          ...(msg.heapLimitMb ? { maxOldGenerationSizeMb: msg.heapLimitMb } : {}),
          onModelFailed: (m, reason, message) => {
            if (inline.get(m.name) !== m) return;
            inline.delete(m.name);
            models.remove(m.name);
            deps.log.error('model failed', { model: m.name, reason, error: message });
            void deps.notify({ type: 'model-failed', modelName: m.name, reason, message });
          },
        });
        // The parent's budget for its models' worker (TrainedModel controller): a larger one restarts it.
        if (msg.heapLimitMb && msg.heapLimitMb !== group.heapLimit) group.setHeapLimit(msg.heapLimitMb);
        try {
          model = await group.load({
            modelName: name,
            modelDir: msg.modelDir,
            modelFormat: msg.modelFormat,
            env: runtimeEnv(msg.env),
            ...(msg.requestTimeoutMs ? { requestTimeoutMs: msg.requestTimeoutMs } : {}),
            ...(msg.memoryBytes ? { memoryBytes: msg.memoryBytes } : {}),
          });
        } catch (err) {
          if (!isInferdError(err) || err.details.reason !== NEEDS_OWN_PROCESS) throw err;
          registry ??= createRuntimeRegistry(defaultRuntimes({ processEnv: deps.env }));
          const runtime = registry.forFormat(msg.modelFormat);
          if (!runtime) throw err;
          model = await runtime.load({ name, modelDir: msg.modelDir, env: runtimeEnv(msg.env) });
        }
        metrics.recordLoad(name, (performance.now() - loadStart) / 1000);
      } catch (err) {
        if (previous) await unload(name);
        const reason = failureReason(err);
        deps.log.error('model failed to load', { model: name, reason, error: messageOf(err) });
        await deps.notify({ type: 'model-failed', modelName: name, reason, message: messageOf(err) });
        return;
      }
      const old = workers.get(name);
      const oldInline = inline.get(name);
      workers.delete(name);
      inline.set(name, model);
      models.add(model); // replaces the old entry in one step: a request sees the old model or the new one
      deps.log.info('model loaded', {
        model: name,
        format: msg.modelFormat,
        inline: true,
        loadMs: Math.round(performance.now() - started),
        replaced: previous !== undefined,
      });
      // A TrainedModel's size as its worker measured it (worker-group.ts), for its status.
      const size =
        model instanceof GroupModel && model.loadedBytes !== undefined
          ? { loadedBytes: model.loadedBytes, loadedBytesExact: model.loadedBytesExact === true }
          : {};
      await deps.notify({ type: 'model-ready', modelName: name, ...size });
      await old?.unload(UNLOAD_GRACE_MS);
      // Requests already holding the old inline model finish with it; it only frees what it holds.
      if (oldInline && oldInline !== model) setTimeout(() => void oldInline.unload?.(), 5_000).unref();
    };

    // Where and how a service's worker serves its model: the host's own listening settings, on free ports.
    const serve = {
      httpHost: config.httpHost,
      grpc: config.grpcPort !== null,
      maxBodyBytes: config.maxBodyBytes,
      maxBinaryBodyBytes: config.maxBinaryBodyBytes,
      grpcMaxReceiveMessageBytes: config.grpcMaxReceiveMessageBytes,
      grpcMaxSendMessageBytes: config.grpcMaxSendMessageBytes,
    };

    const load = async (msg: Extract<ToHost, { type: 'load' }>) => {
      if (msg.inline) return loadInline(msg);
      const name = msg.modelName;
      // A reload (after a failure, or a new version) loads beside the old worker, which serves until the new
      // one is ready: the gateway moves to the new ports, the old worker finishes what it took and exits.
      const previous = workers.get(name);
      const started = performance.now();
      const model = new WorkerModel({
        entry: workerEntry,
        modelName: name,
        modelDir: msg.modelDir,
        modelFormat: msg.modelFormat,
        env: runtimeEnv(msg.env),
        serve,
        // Per-model limits: the service's own time limit (spec.predictor.timeout) or the host's default; the heap
        // limit inferd serve sends (--worker-heap-limit) or the worker's default.
        ...(msg.requestTimeoutMs
          ? { requestTimeoutMs: msg.requestTimeoutMs }
          : deps.hangTimeoutMs
            ? { requestTimeoutMs: deps.hangTimeoutMs }
            : {}),
        ...(msg.heapLimitMb ? { maxOldGenerationSizeMb: msg.heapLimitMb } : {}),
        ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}),
        onFailed: (reason, message) => {
          if (workers.get(name) !== model) return;
          workers.delete(name);
          deps.log.error('model worker failed', { model: name, reason, error: message });
          void deps.notify({ type: 'model-failed', modelName: name, reason, message });
        },
      });
      let ports: WorkerPorts;
      try {
        ports = await model.load();
      } catch (err) {
        // The new version does not load: the old one is not what was asked for either; both go.
        if (previous || inline.has(name)) await unload(name);
        const reason = failureReason(err);
        deps.log.error('model failed to load', { model: name, reason, error: messageOf(err) });
        await deps.notify({ type: 'model-failed', modelName: name, reason, message: messageOf(err) });
        return;
      }
      const oldInline = inline.get(name);
      inline.delete(name);
      if (oldInline) models.remove(name);
      workers.set(name, model);
      deps.log.info('model loaded', {
        model: name,
        format: msg.modelFormat,
        threadId: model.threadId,
        // The ports its own thread serves it on (the gateway, the route feed and /metrics scraping go there).
        port: ports.port,
        ...(ports.grpcPort !== undefined ? { grpcPort: ports.grpcPort } : {}),
        loadMs: Math.round(performance.now() - started),
        replaced: previous !== undefined,
      });
      await deps.notify({ type: 'model-ready', modelName: name, ...ports });
      await previous?.unload(UNLOAD_GRACE_MS);
      if (oldInline) setTimeout(() => void oldInline.unload?.(), 5_000).unref();
    };

    return {
      port,
      grpcPort: grpc?.port,
      models,
      handle: async (msg) => {
        if (msg.type === 'load') await load(msg);
        else if (msg.type === 'unload') {
          await unload(msg.modelName);
          deps.log.info('model unloaded', { model: msg.modelName });
          await deps.notify({ type: 'model-unloaded', modelName: msg.modelName });
        }
      },
      close: async (graceMs = 4_000) => {
        await Promise.all([
          shutdownModelServer(server, graceMs),
          grpc?.shutdown(graceMs),
          ...[...workers.keys(), ...inline.keys()].map((n) => unload(n, graceMs)),
        ]);
        await group?.close();
      },
    };
  } catch (err) {
    const reason = failureReason(err);
    deps.log.error('model host failed to start', { reason, error: messageOf(err) });
    await deps.notify({ type: 'failed', reason, message: messageOf(err) });
    grpc?.forceShutdown();
    throw err;
  }
}
