// KServe's V2 gRPC service (`inference.GRPCInferenceService`) on @grpc/grpc-js: a thin layer over the same
// model lookup and predict call as REST (rest/dataplane.ts). Status codes come from the one error table
// (`NOT_FOUND` for a missing model, `INVALID_ARGUMENT` for bad input, `UNAVAILABLE` when not ready, as
// newer KServe answers). No per-call logging; failures that are not the client's are logged once.

import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { InferdError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { asset } from '../../package.js';
import type { ServerMetrics } from '../metrics.js';
import type { ModelRepository } from '../model-repository.js';
import type { ModelInferRequest } from './codec.js';
import { encodeGrpcOutput, encodeGrpcRawOutput, type GrpcOutputTensor } from './grpc-tensor.js';
import {
  type GrpcCallSide,
  modelInfer,
  modelMetadata,
  modelReady,
  repositoryLoad,
  SERVER_EXTENSIONS,
  statusOf,
} from './handlers.js';
import { DEFAULT_GRPC_MAX_MESSAGE_BYTES } from './limits.js';

/** Shipped with the package (`files` in package.json); loaded relative to the package root, not dist/. */
export const PROTO_PATH = join('src', 'server', 'grpc', 'grpc_predict_v2.proto');

export { DEFAULT_GRPC_MAX_MESSAGE_BYTES };

export interface GrpcServerOptions {
  models: ModelRepository;
  log: Logger;
  metrics: ServerMetrics;
  version: string;
  /** Largest request message accepted (RESOURCE_EXHAUSTED past it). Default 64 MiB. */
  maxReceiveMessageBytes?: number;
  /** Largest response message sent (RESOURCE_EXHAUSTED past it). Default 64 MiB. */
  maxSendMessageBytes?: number;
}

interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: GrpcOutputTensor[];
  raw_output_contents: Buffer[];
}

/** The service definition, loaded from the proto that ships with the package. */
export function loadServiceDefinition(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(asset(PROTO_PATH), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return def['inference.GRPCInferenceService'] as grpc.ServiceDefinition;
}

/** gRPC call metadata as request headers (string values; binary `-bin` entries are left out). */
function metadataHeaders(md: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.getMap())) if (typeof v === 'string') out[k] = v;
  return out;
}

const callSide = (call: grpc.ServerUnaryCall<unknown, unknown>): GrpcCallSide => ({
  metadata: () => metadataHeaders(call.metadata),
  onCancel: (fn) => call.once('cancelled', fn),
});

/** Creates (does not bind) the gRPC server. Bind with `listenGrpc`. */
export function createGrpcServer(opts: GrpcServerOptions): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': opts.maxSendMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES,
  });
  const ctx = { models: opts.models, metrics: opts.metrics, log: opts.log };
  const toStatus = (err: unknown): Partial<grpc.StatusObject> => statusOf(opts.log, err);

  // Every handler is a function of the request; errors become statuses here, in one place.
  const unary =
    <Req, Res>(
      fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
    ): grpc.handleUnaryCall<Req, Res> =>
    (call, callback) => {
      let result: Res | Promise<Res>;
      try {
        result = fn(call.request, call);
      } catch (err) {
        callback(toStatus(err));
        return;
      }
      if (result instanceof Promise)
        result.then(
          (r) => callback(null, r),
          (err) => callback(toStatus(err)),
        );
      else callback(null, result);
    };

  const infer = async (
    req: ModelInferRequest,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): Promise<ModelInferResponse> => {
    const r = await modelInfer(ctx, req, callSide(call));
    const res: ModelInferResponse = {
      model_name: req.model_name,
      model_version: '',
      id: r.id,
      outputs: [],
      raw_output_contents: [],
    };
    for (const o of r.outputs) {
      if (r.raw) {
        const e = encodeGrpcRawOutput(o);
        res.outputs.push(e.tensor);
        res.raw_output_contents.push(e.raw);
      } else {
        res.outputs.push(encodeGrpcOutput(o));
      }
    }
    return res;
  };

  server.addService(loadServiceDefinition(), {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: true })),
    // KServe answers ready:false for a known model that is not ready (no error).
    ModelReady: unary((r: { name: string; version: string }) => ({ ready: modelReady(ctx, r) })),
    ServerMetadata: unary(() => ({ name: 'inferd', version: opts.version, extensions: SERVER_EXTENSIONS })),
    ModelMetadata: unary((r: { name: string; version: string }) => ({ versions: [], ...modelMetadata(ctx, r) })),
    ModelInfer: unary(infer),
    RepositoryModelLoad: unary((r: { model_name: string }) => {
      repositoryLoad(ctx, r.model_name, true);
      return { model_name: r.model_name, isLoaded: true };
    }),
    RepositoryModelUnload: unary((r: { model_name: string }) => {
      repositoryLoad(ctx, r.model_name, false);
      return { model_name: r.model_name, isUnloaded: true };
    }),
  });
  return server;
}

/** Binds `host:port` (0 picks a free port) without TLS; resolves with the bound port. */
export function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        reject(
          new InferdError('INTERNAL', `gRPC could not listen on ${address}: ${err.message}`, {
            reason: 'ListenFailed',
            cause: err,
          }),
        );
      } else resolve(bound);
    });
  });
}

/** Stops accepting calls, lets in-flight calls finish for up to `graceMs`, then cancels the rest. */
export function shutdownGrpcServer(server: grpc.Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
