// KServe's V2 gRPC service (`inference.GRPCInferenceService`) on @grpc/grpc-js: a thin layer over the same
// model lookup and predict call as REST (rest/dataplane.ts). Status codes come from the one error table
// (`NOT_FOUND` for a missing model, `INVALID_ARGUMENT` for bad input, `UNAVAILABLE` when not ready, as
// newer KServe answers). No per-call logging; failures that are not the client's are logged once.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ERROR_TABLE, InferdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { asset } from '../../package.js';
import type { PredictOptions, TensorMetadata } from '../../runtimes/model.js';
import type { ServerMetrics } from '../metrics.js';
import type { ModelRepository } from '../model-repository.js';
import { existingModel, readyModel, requestInfo, runPredict, runRequestHandler } from '../rest/dataplane.js';
import { selectOutputs } from '../rest/v2-response.js';
import {
  decodeGrpcInputs,
  encodeGrpcOutput,
  encodeGrpcRawOutput,
  fromGrpcParameters,
  type GrpcInputTensor,
  type GrpcOutputTensor,
  type InferParameter,
} from './grpc-tensor.js';
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

interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: GrpcInputTensor[];
  outputs: { name: string; parameters: Record<string, InferParameter> }[];
  raw_input_contents: Buffer[];
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

const versioningUnsupported = () => new InferdError('UNSUPPORTED', 'Model versioning not supported yet.');

/** PredictOptions for one call; `signal` aborts when the client cancels or its deadline passes. */
class CallPredictOptions implements PredictOptions {
  parameters?: Record<string, unknown>;
  outputNames?: string[];
  #controller: AbortController | undefined;
  constructor(readonly call: grpc.ServerUnaryCall<unknown, unknown>) {}
  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      this.call.once('cancelled', () => controller.abort(new InferdError('TIMEOUT', 'client cancelled the call')));
    }
    return this.#controller.signal;
  }
}

/** gRPC call metadata as request headers (string values; binary `-bin` entries are left out). */
function metadataHeaders(md: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.getMap())) if (typeof v === 'string') out[k] = v;
  return out;
}

const metadataOf = (ts: readonly TensorMetadata[] | undefined) =>
  (ts ?? []).map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape }));

/** Creates (does not bind) the gRPC server. Bind with `listenGrpc`. */
export function createGrpcServer(opts: GrpcServerOptions): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': opts.maxSendMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES,
  });
  const ctx = { models: opts.models, metrics: opts.metrics };

  const toStatus = (err: unknown): Partial<grpc.StatusObject> => {
    if (err instanceof InferdError) {
      const name = ERROR_TABLE[err.code].grpc;
      if (name === 'INTERNAL')
        opts.log.error('grpc call failed', { code: err.code, error: err.message, stack: err.stack });
      return { code: grpc.status[name], details: err.message };
    }
    opts.log.error('grpc call failed', { error: messageOf(err), stack: (err as Error)?.stack });
    return { code: grpc.status.INTERNAL, details: messageOf(err) };
  };

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
    const start = performance.now();
    const name = req.model_name;
    let code = 200;
    try {
      if (req.model_version) throw versioningUnsupported();
      const entry = readyModel(ctx, name);
      if (req.inputs.length === 0) throw new InferdError('INVALID_INPUT', 'Expected at least one tensor in "inputs"');
      const inputs = decodeGrpcInputs(req.inputs, req.raw_input_contents);
      const options = new CallPredictOptions(call);
      const params = fromGrpcParameters(req.parameters);
      if (params) options.parameters = params;
      const requested = req.outputs.length > 0 ? req.outputs.map((o) => ({ name: o.name, parameters: null })) : null;
      if (requested) options.outputNames = requested.map((o) => o.name);
      const id = req.id || randomUUID();
      const handlers = entry.model.requests;
      const produced = handlers
        ? (
            await runRequestHandler(
              ctx,
              entry,
              requestInfo(metadataHeaders(call.metadata), 'grpc-v2', options, id),
              (info) =>
                handlers.v2({ id, inputs, parameters: params ?? null, outputs: options.outputNames ?? null }, info),
            )
          ).outputs
        : await runPredict(ctx, entry, inputs, options);
      const outputs = selectOutputs(name, produced, requested);
      // KServe: raw outputs when the inputs came raw, or when an output is FP16 (no typed field for it).
      const raw = req.raw_input_contents.length > 0 || outputs.some((o) => o.datatype === 'FP16');
      const res: ModelInferResponse = {
        model_name: name,
        model_version: '',
        id,
        outputs: [],
        raw_output_contents: [],
      };
      for (const o of outputs) {
        if (raw) {
          const r = encodeGrpcRawOutput(o);
          res.outputs.push(r.tensor);
          res.raw_output_contents.push(r.raw);
        } else {
          res.outputs.push(encodeGrpcOutput(o));
        }
      }
      return res;
    } catch (err) {
      code = err instanceof InferdError ? ERROR_TABLE[err.code].http : 500;
      throw err;
    } finally {
      if (ctx.models.get(name)) ctx.metrics.recordRequest(name, 'grpc', code, (performance.now() - start) / 1000);
    }
  };

  const model = (name: string, version: string) => {
    if (version) throw versioningUnsupported();
    return existingModel(ctx, name);
  };

  server.addService(loadServiceDefinition(), {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: true })),
    // KServe answers ready:false for a known model that is not ready (no error).
    ModelReady: unary((r: { name: string; version: string }) => ({ ready: model(r.name, r.version).ready })),
    ServerMetadata: unary(() => ({
      name: 'inferd',
      version: opts.version,
      extensions: ['model_repository_extension'],
    })),
    ModelMetadata: unary((r: { name: string; version: string }) => {
      const md = model(r.name, r.version).model.metadata();
      return {
        name: r.name,
        versions: [],
        platform: md.platform ?? '',
        inputs: metadataOf(md.inputs),
        outputs: metadataOf(md.outputs),
      };
    }),
    ModelInfer: unary(infer),
    RepositoryModelLoad: unary((r: { model_name: string }) => {
      existingModel(ctx, r.model_name);
      ctx.models.setReady(r.model_name, true);
      return { model_name: r.model_name, isLoaded: true };
    }),
    RepositoryModelUnload: unary((r: { model_name: string }) => {
      existingModel(ctx, r.model_name);
      ctx.models.setReady(r.model_name, false);
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
