// One replica's life, without the process around it (main.ts is the thin shell): report Loading, load
// the model through the runtime registry, listen, report ready with the bound port — or report failed
// with a reason the controller shows in status conditions.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InferdError, isInferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { packageVersion } from '../package.js';
import { type ReplicaMessage, RUNTIME_ENV_KEYS } from '../replica-protocol.js';
import type { Model } from '../runtimes/model.js';
import type { RuntimeRegistry } from '../runtimes/registry.js';
import { Batcher } from './batcher.js';
import { grpcImplementation, type LazyGrpcServer, listenLazyGrpc } from './grpc/lazy.js';
import { ServerMetrics } from './metrics.js';
import { ModelRepository } from './model-repository.js';
import { createModelServer, shutdownModelServer } from './model-server.js';
import { PayloadLogger } from './payload-logger.js';
import type { ReplicaConfig } from './replica-args.js';

export type { ReplicaMessage };

export interface ReplicaDeps {
  /** Runtime lookup by modelFormat (only its type is imported here; main.ts builds the real one). */
  registry: Pick<RuntimeRegistry, 'forFormat' | 'formats'>;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Delivers a lifecycle message; resolves once sent. A no-op without IPC. */
  notify: (msg: ReplicaMessage) => Promise<void>;
}

export interface RunningReplica {
  readonly server: http.Server;
  readonly port: number;
  /** The V2 gRPC port; undefined with `--enable_grpc false`. */
  readonly grpcPort: number | undefined;
  readonly model: Model;
  /** Graceful stop: stop accepting, finish in-flight requests (at most graceMs), unload the model. */
  close(graceMs?: number): Promise<void>;
}

const pascal = (code: string) =>
  code
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/** The condition reason for a failed start: the error's own `details.reason`, else derived from its code. */
export function failureReason(err: unknown): string {
  if (isInferdError(err)) {
    if (typeof err.details.reason === 'string' && err.details.reason) return err.details.reason;
    return pascal(err.code);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'ModelMissing';
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return 'ListenFailed';
  return 'ModelLoadFailed';
}

async function loadModel(config: ReplicaConfig, deps: ReplicaDeps): Promise<Model> {
  const runtime = deps.registry.forFormat(config.modelFormat);
  if (!runtime) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `no runtime serves model format "${config.modelFormat}"; this build serves: ${deps.registry.formats().join(', ')}`,
      { reason: 'NoSupportingRuntime' },
    );
  }
  const env: Record<string, string | undefined> = {};
  for (const k of RUNTIME_ENV_KEYS) if (deps.env[k] !== undefined) env[k] = deps.env[k];
  return runtime.load({ name: config.modelName, modelDir: config.modelDir, env, log: deps.log });
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

/** Loads and serves one model. On failure, sends `failed` and rethrows; the caller exits 1. */
export async function startReplica(config: ReplicaConfig, deps: ReplicaDeps): Promise<RunningReplica> {
  await deps.notify({ type: 'state', state: 'Loading' });
  let model: Model | undefined;
  let started: LazyGrpcServer | undefined;
  try {
    const loadStart = performance.now();
    model = await loadModel(config, deps);
    if (model.name !== config.modelName) {
      throw new InferdError(
        'MODEL_LOAD_FAILED',
        `runtime returned a model named "${model.name}", expected "${config.modelName}"`,
      );
    }
    const models = new ModelRepository();
    const metrics = new ServerMetrics();
    metrics.recordLoad(model.name, (performance.now() - loadStart) / 1000);
    const served = model;
    const batcher = config.batcher
      ? new Batcher(model, {
          ...config.batcher,
          onPredict: (seconds) => metrics.recordPredict(served.name, seconds),
        })
      : undefined;
    models.add(model, batcher ? { batcher } : {});
    const payloadLogger = config.logger
      ? new PayloadLogger({
          ...config.logger,
          inferenceService: config.modelName,
          namespace: config.namespace,
          log: deps.log,
        })
      : undefined;
    const server = createModelServer({
      models,
      log: deps.log,
      maxBodyBytes: config.maxBodyBytes,
      maxBinaryBodyBytes: config.maxBinaryBodyBytes,
      metrics,
      ...(payloadLogger ? { payloadLogger } : {}),
      ...(config.requestTimeoutMs !== null ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
    });
    // gRPC binds its port now but loads @grpc/grpc-js on its first connection (grpc/lazy.ts).
    let grpcServer: LazyGrpcServer | undefined;
    let grpcPort: number | undefined;
    if (config.grpcPort !== null) {
      grpcServer = await listenLazyGrpc(
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
        grpcImplementation(deps.env),
      );
      started = grpcServer;
      grpcPort = grpcServer.port;
    }
    const port = await listen(server, config.httpPort, config.httpHost);
    deps.log.info('model server listening', {
      model: config.modelName,
      format: config.modelFormat,
      host: config.httpHost,
      port,
      grpcPort,
      loadMs: Math.round(performance.now() - loadStart),
    });
    await deps.notify(grpcPort === undefined ? { type: 'ready', port } : { type: 'ready', port, grpcPort });
    const loaded = model;
    const grpcRunning = grpcServer;
    return {
      server,
      port,
      grpcPort,
      model: loaded,
      close: async (graceMs = 4_000) => {
        batcher?.flushAll();
        await Promise.all([shutdownModelServer(server, graceMs), grpcRunning?.shutdown(graceMs)]);
        await payloadLogger?.close(Math.min(graceMs, 2_000));
        await loaded.unload?.();
      },
    };
  } catch (err) {
    const reason = failureReason(err);
    deps.log.error('model server failed to start', { model: config.modelName, reason, error: messageOf(err) });
    await deps.notify({ type: 'failed', reason, message: messageOf(err) });
    started?.forceShutdown();
    try {
      await model?.unload?.();
    } catch {
      // already failing: the start error is the one worth reporting
    }
    throw err;
  }
}
