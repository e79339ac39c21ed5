// The SDK's ModelServer (KServe's kserve.ModelServer): serves SDK models over V1/V2 REST and V2 gRPC with the
// same server code as the built-in runtimes (server/model-server.ts, server/grpc/), through the adapter in
// served-model.ts. It installs no signal handlers: `inferd run` (or the user's own entry) owns the process.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InferdError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { packageVersion } from '../package.js';
import { type LazyGrpcServer, listenLazyGrpc } from '../server/grpc/lazy.js';
import { ServerMetrics } from '../server/metrics.js';
import { ModelRepository } from '../server/model-repository.js';
import { createModelServer, DEFAULT_MAX_BODY_BYTES, shutdownModelServer } from '../server/model-server.js';
import { isSdkModel, type SdkModel, servedModel } from './served-model.js';
import { parseSdkServerArgs } from './server-args.js';

export interface ModelServerOptions {
  /** REST port; default 8080, 0 picks a free one. */
  httpPort?: number;
  /** V2 gRPC port; default 8081, 0 picks a free one, null serves no gRPC. */
  grpcPort?: number | null;
  /** Default 127.0.0.1. */
  httpHost?: string;
  /** Largest request body; default 16 MiB. */
  maxBodyBytes?: number;
  /** JSON-lines logger; default one on stderr. */
  log?: Logger;
}

export class ModelServer {
  readonly #opts: ModelServerOptions;
  readonly #log: Logger;
  #http: http.Server | undefined;
  #grpc: LazyGrpcServer | undefined;
  #models: SdkModel[] = [];
  #httpPort: number | undefined;

  constructor(opts: ModelServerOptions = {}) {
    this.#opts = opts;
    this.#log = opts.log ?? createLogger({ base: { component: 'model-server' } });
  }

  /** A server configured from KServe's flags (`--http_port`, `--grpc_port`, ...; see sdk/server-args.ts). */
  static fromArgs(
    argv: readonly string[],
    env: Readonly<Record<string, string | undefined>> = {},
    opts: Pick<ModelServerOptions, 'log'> = {},
  ): ModelServer {
    const c = parseSdkServerArgs(argv, env);
    return new ModelServer({
      httpPort: c.httpPort,
      grpcPort: c.grpcPort,
      httpHost: c.httpHost,
      maxBodyBytes: c.maxBodyBytes,
      ...opts,
    });
  }

  /** The bound REST port (after start). */
  get httpPort(): number | undefined {
    return this.#httpPort;
  }

  /** The bound gRPC port (after start; undefined without gRPC). */
  get grpcPort(): number | undefined {
    return this.#grpc?.port;
  }

  /**
   * Loads every model that is not ready yet (`load()`), then listens. A model whose load() leaves `ready`
   * false is served as not ready (503), as in KServe; a load() that throws stops the start.
   */
  async start(models: readonly SdkModel[]): Promise<void> {
    if (this.#http) throw new InferdError('INVALID_CONFIG', 'this ModelServer is already started');
    if (models.length === 0) throw new InferdError('INVALID_CONFIG', 'ModelServer.start needs at least one model');
    const repo = new ModelRepository();
    const loadSeconds = new Map<string, number>();
    for (const m of models) {
      if (!isSdkModel(m)) {
        throw new InferdError(
          'INVALID_CONFIG',
          'ModelServer.start takes Model instances (import { Model } from "inferd")',
        );
      }
      if (!m.name) throw new InferdError('INVALID_CONFIG', 'a model has no name (new Model(name))');
      if (repo.get(m.name)) throw new InferdError('INVALID_CONFIG', `two models are named "${m.name}"`);
      if (!m.ready) {
        try {
          const loadStart = performance.now();
          await m.load();
          loadSeconds.set(m.name, (performance.now() - loadStart) / 1000);
        } catch (err) {
          throw new InferdError('MODEL_LOAD_FAILED', `model ${m.name}: load() failed: ${(err as Error)?.message}`, {
            cause: err,
          });
        }
      }
      repo.add(servedModel(m), { readiness: m });
    }
    this.#models = [...models];
    const metrics = new ServerMetrics();
    for (const [name, seconds] of loadSeconds) metrics.recordLoad(name, seconds);
    const host = this.#opts.httpHost ?? '127.0.0.1';
    const server = createModelServer({
      models: repo,
      log: this.#log,
      maxBodyBytes: this.#opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      metrics,
    });
    const grpcPort = this.#opts.grpcPort === undefined ? 8081 : this.#opts.grpcPort;
    if (grpcPort !== null) {
      try {
        this.#grpc = await listenLazyGrpc(
          { models: repo, log: this.#log, metrics, version: packageVersion() },
          host,
          grpcPort,
        );
      } catch (err) {
        throw new InferdError(
          'INVALID_CONFIG',
          `${(err as Error).message}; pass --grpc_port N (0 picks a free port) or --enable_grpc false`,
          { reason: 'ListenFailed', cause: err },
        );
      }
    }
    try {
      this.#httpPort = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.#opts.httpPort ?? 8080, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    } catch (err) {
      this.#grpc?.forceShutdown();
      this.#grpc = undefined;
      throw new InferdError(
        'INVALID_CONFIG',
        `cannot listen on ${host}:${this.#opts.httpPort ?? 8080}: ${(err as Error).message}; pass --http_port N (0 picks a free port)`,
        {
          reason: 'ListenFailed',
          cause: err,
        },
      );
    }
    this.#http = server;
    this.#log.info('model server listening', {
      models: models.map((m) => m.name),
      host,
      port: this.#httpPort,
      grpcPort: this.#grpc?.port,
    });
  }

  /** Stops accepting, lets in-flight requests finish (at most graceMs), then unloads the models. */
  async stop(graceMs = 4_000): Promise<void> {
    const server = this.#http;
    this.#http = undefined;
    await Promise.all([server ? shutdownModelServer(server, graceMs) : undefined, this.#grpc?.shutdown(graceMs)]);
    this.#grpc = undefined;
    for (const m of this.#models) await m.unload?.();
    this.#models = [];
  }
}
