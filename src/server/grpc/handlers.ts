// What the V2 gRPC methods do, apart from the transport: shared by the node:http2 fast path (fast.ts) and
// the @grpc/grpc-js server (service.ts) so both answer the same. Loads nothing of grpc-js.

import { randomUUID } from 'node:crypto';
import { ERROR_TABLE, InferdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { PredictOptions, Tensor, TensorMetadata } from '../../runtimes/model.js';
import type { ServerMetrics } from '../metrics.js';
import type { ModelRepository } from '../model-repository.js';
import { existingModel, readyModel, requestInfo, runPredict, runRequestHandler } from '../rest/dataplane.js';
import { selectOutputs } from '../rest/v2-response.js';
import type { ModelInferRequest } from './codec.js';
import { decodeGrpcInputs, fromGrpcParameters } from './grpc-tensor.js';

/** gRPC status codes by name (grpc/grpc doc/statuscodes.md), as grpc-js's `status` enum. */
export const GRPC_CODES = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export interface GrpcContext {
  models: ModelRepository;
  metrics: ServerMetrics;
  log: Logger;
}

/** A failure as a gRPC status (from the one error table); failures that are not the client's are logged once. */
export function statusOf(log: Logger, err: unknown): { code: number; details: string } {
  if (err instanceof InferdError) {
    const name = ERROR_TABLE[err.code].grpc;
    if (name === 'INTERNAL') log.error('grpc call failed', { code: err.code, error: err.message, stack: err.stack });
    return { code: GRPC_CODES[name], details: err.message };
  }
  log.error('grpc call failed', { error: messageOf(err), stack: (err as Error)?.stack });
  return { code: GRPC_CODES.INTERNAL, details: messageOf(err) };
}

export const versioningUnsupported = () => new InferdError('UNSUPPORTED', 'Model versioning not supported yet.');

/** PredictOptions for one call; `signal` aborts when the client cancels or its deadline passes. */
export class CallPredictOptions implements PredictOptions {
  parameters?: Record<string, unknown>;
  outputNames?: string[];
  #controller: AbortController | undefined;
  constructor(readonly onCancel: (fn: () => void) => void) {}
  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      this.onCancel(() => controller.abort(new InferdError('TIMEOUT', 'client cancelled the call')));
    }
    return this.#controller.signal;
  }
}

/** One call's transport side: its metadata as headers, and how to hear about its cancellation. */
export interface GrpcCallSide {
  metadata(): Record<string, string>;
  onCancel(fn: () => void): void;
}

export interface InferResult {
  id: string;
  outputs: readonly Tensor[];
  /** KServe: raw outputs when the inputs came raw, or when an output is FP16 (no typed field for it). */
  raw: boolean;
}

/** ModelInfer: predicts and selects the outputs; records the call in the server's metrics. */
export async function modelInfer(ctx: GrpcContext, req: ModelInferRequest, call: GrpcCallSide): Promise<InferResult> {
  const start = performance.now();
  const name = req.model_name;
  let code = 200;
  try {
    if (req.model_version) throw versioningUnsupported();
    const entry = readyModel(ctx, name);
    if (req.inputs.length === 0) throw new InferdError('INVALID_INPUT', 'Expected at least one tensor in "inputs"');
    const inputs = decodeGrpcInputs(req.inputs, req.raw_input_contents);
    const options = new CallPredictOptions((fn) => call.onCancel(fn));
    const params = fromGrpcParameters(req.parameters);
    if (params) options.parameters = params;
    const requested = req.outputs.length > 0 ? req.outputs.map((o) => ({ name: o.name, parameters: null })) : null;
    if (requested) options.outputNames = requested.map((o) => o.name);
    const id = req.id || randomUUID();
    const handlers = entry.model.requests;
    const produced = handlers
      ? (
          await runRequestHandler(ctx, entry, requestInfo(call.metadata(), 'grpc-v2', options, id), (info) =>
            handlers.v2({ id, inputs, parameters: params ?? null, outputs: options.outputNames ?? null }, info),
          )
        ).outputs
      : await runPredict(ctx, entry, inputs, options);
    const outputs = selectOutputs(name, produced, requested);
    const raw = req.raw_input_contents.length > 0 || outputs.some((o) => o.datatype === 'FP16');
    return { id, outputs, raw };
  } catch (err) {
    code = err instanceof InferdError ? ERROR_TABLE[err.code].http : 500;
    throw err;
  } finally {
    if (ctx.models.get(name)) ctx.metrics.recordRequest(name, 'grpc', code, (performance.now() - start) / 1000);
  }
}

const model = (ctx: GrpcContext, name: string, version: string) => {
  if (version) throw versioningUnsupported();
  return existingModel(ctx, name);
};

/** KServe answers ready:false for a known model that is not ready (no error). */
export const modelReady = (ctx: GrpcContext, r: { name: string; version: string }): boolean =>
  model(ctx, r.name, r.version).ready;

const metadataOf = (ts: readonly TensorMetadata[] | undefined) =>
  (ts ?? []).map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape }));

export function modelMetadata(ctx: GrpcContext, r: { name: string; version: string }) {
  const md = model(ctx, r.name, r.version).model.metadata();
  return {
    name: r.name,
    platform: md.platform ?? '',
    inputs: metadataOf(md.inputs),
    outputs: metadataOf(md.outputs),
  };
}

export const SERVER_EXTENSIONS = ['model_repository_extension'];

export function repositoryLoad(ctx: GrpcContext, modelName: string, load: boolean): void {
  existingModel(ctx, modelName);
  ctx.models.setReady(modelName, load);
}
