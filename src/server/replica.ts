// One replica's life, without the process around it (main.ts is the thin shell): report Loading, load
// the model through the runtime registry, listen, report ready with the bound port — or report failed
// with a reason the controller shows in status conditions.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InferdError, isInferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Model } from '../runtimes/model.js';
import type { RuntimeRegistry } from '../runtimes/registry.js';
import { ModelRepository } from './model-repository.js';
import { createModelServer, shutdownModelServer } from './model-server.js';
import type { ReplicaConfig } from './replica-args.js';

/**
 * Messages a replica sends its controller over the fork IPC channel, in order: one `state: Loading`,
 * then exactly one of `ready` (the port it listens on) or `failed` (after which it exits 1).
 */
export type ReplicaMessage =
  | { type: 'state'; state: 'Loading' }
  | { type: 'ready'; port: number }
  | { type: 'failed'; reason: string; message: string };

/** KServe env names a runtime reads (LoadOptions.env). */
export const RUNTIME_ENV_KEYS = [
  'PREDICT_PROBA',
  'ORT_INTRA_OP_NUM_THREADS',
  'ORT_INTER_OP_NUM_THREADS',
  'OMP_NUM_THREADS',
] as const;

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
  return runtime.load({ name: config.modelName, modelDir: config.modelDir, env });
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
    models.add(model);
    const server = createModelServer({
      models,
      log: deps.log,
      maxBodyBytes: config.maxBodyBytes,
      maxBinaryBodyBytes: config.maxBinaryBodyBytes,
    });
    const port = await listen(server, config.httpPort, config.httpHost);
    deps.log.info('model server listening', {
      model: config.modelName,
      format: config.modelFormat,
      host: config.httpHost,
      port,
      loadMs: Math.round(performance.now() - loadStart),
    });
    await deps.notify({ type: 'ready', port });
    const loaded = model;
    return {
      server,
      port,
      model: loaded,
      close: async (graceMs = 4_000) => {
        await shutdownModelServer(server, graceMs);
        await loaded.unload?.();
      },
    };
  } catch (err) {
    const reason = failureReason(err);
    deps.log.error('model server failed to start', { model: config.modelName, reason, error: messageOf(err) });
    await deps.notify({ type: 'failed', reason, message: messageOf(err) });
    try {
      await model?.unload?.();
    } catch {
      // already failing: the start error is the one worth reporting
    }
    throw err;
  }
}
