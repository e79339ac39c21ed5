// What V1 and V2 share, knowing nothing of either wire format (KServe's dataplane.py): model lookup with
// KServe's 404/503 errors, one timed call into `Model.predict`, and per-request predict options whose
// abort signal is only built when a model asks for it.

import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { InferdError, modelNotFound } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { PredictOptions, RequestInfo, Tensor } from '../../runtimes/model.js';
import type { Responder } from '../http-response.js';
import type { ServerMetrics } from '../metrics.js';
import type { ModelEntry, ModelRepository } from '../model-repository.js';

const require = createRequire(import.meta.url);
let uuid: (() => string) | undefined;
/**
 * A random UUID; node:crypto loads on the first one (a packed model's worker thread pays ~0.4 MiB RSS for it,
 * and most requests name their own id).
 */
export function randomUuid(): string {
  uuid ??= (require('node:crypto') as typeof import('node:crypto')).randomUUID;
  return uuid();
}

export interface ServerContext {
  readonly models: ModelRepository;
  readonly log: Logger;
  readonly respond: Responder;
  readonly metrics: ServerMetrics;
  /** inferd's package version, for `GET /v2`. */
  readonly version: string;
}

/** The entry for `name`, or KServe's ModelNotFound (404); readiness is not checked. */
export function existingModel(ctx: Pick<ServerContext, 'models'>, name: string): ModelEntry {
  const entry = ctx.models.get(name);
  if (!entry) throw modelNotFound(name);
  return entry;
}

/** The entry for `name` if it is ready to serve: else KServe's ModelNotFound (404) or ModelNotReady (503). */
export function readyModel(ctx: Pick<ServerContext, 'models'>, name: string): ModelEntry {
  const entry = existingModel(ctx, name);
  if (!entry.ready) throw new InferdError('MODEL_NOT_READY', `Model with name ${name} is not ready.`);
  return entry;
}

/** Set on a response whose request has a deadline (model-server.ts); its predict signal follows it. */
export const REQUEST_ABORT = Symbol('request abort controller');
export type AbortableResponse = ServerResponse & { [REQUEST_ABORT]?: AbortController };

/**
 * PredictOptions for one HTTP request; `signal` aborts when the client goes away before the answer, or
 * when the request's deadline passes.
 */
export class RequestPredictOptions implements PredictOptions {
  parameters?: Record<string, unknown>;
  outputNames?: string[];
  /** Set by runPredict when the request went out in a batch (KServe's batcher reply names it). */
  batchId?: string;
  readonly #res: ServerResponse;
  #controller: AbortController | undefined;

  constructor(res: ServerResponse, from?: PredictOptions) {
    this.#res = res;
    if (from?.parameters) this.parameters = from.parameters;
    if (from?.outputNames) this.outputNames = from.outputNames;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = (this.#res as AbortableResponse)[REQUEST_ABORT] ?? new AbortController();
      this.#controller = controller;
      this.#res.once('close', () => {
        if (!this.#res.writableFinished && !controller.signal.aborted) {
          controller.abort(new InferdError('TIMEOUT', 'client closed the request'));
        }
      });
    }
    return this.#controller.signal;
  }

  /**
   * Calls `listener` once when the request aborts, as `signal` would, and returns what stops listening. While
   * nobody asked for `signal` and the request has no deadline, a 'close' listener on the response is all it
   * takes: no AbortController and no EventTarget listener per call.
   */
  onAbort(listener: () => void): () => void {
    if (this.#controller || (this.#res as AbortableResponse)[REQUEST_ABORT]) return listenSignal(this.signal, listener);
    const res = this.#res;
    const onClose = () => {
      if (!res.writableFinished) listener();
    };
    res.once('close', onClose);
    return () => res.off('close', onClose);
  }
}

/** `listener` on `signal`'s abort (once); returns what removes it. */
export function listenSignal(signal: AbortSignal, listener: () => void): () => void {
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/**
 * Calls the model once (or queues the call in the model's batcher, which times its own calls), timing it,
 * and checks that it answered with at least one tensor.
 */
export async function runPredict(
  ctx: Pick<ServerContext, 'metrics'>,
  entry: ModelEntry,
  inputs: Tensor[],
  options: PredictOptions,
): Promise<Tensor[]> {
  let outputs: Tensor[];
  if (entry.batcher) {
    const r = await entry.batcher.submit(inputs, options);
    if (options instanceof RequestPredictOptions) options.batchId = r.batchId;
    outputs = r.outputs;
  } else {
    const start = performance.now();
    try {
      outputs = await entry.model.predict(inputs, options);
    } finally {
      // Failed calls count too, as KServe's `PREDICT_HIST_TIME.time()` context does.
      ctx.metrics.recordPredict(entry.model.name, (performance.now() - start) / 1000);
    }
  }
  if (!Array.isArray(outputs) || outputs.length === 0) {
    throw new InferdError('INTERNAL', `model ${entry.model.name} returned no output tensors`);
  }
  return outputs;
}

/**
 * What a whole-request model sees of its request (runtimes/model.ts RequestHandlers): headers, a request id
 * (KServe reads `x-request-id`), and the abort signal of `options`, built only when the model asks for it.
 * A class with prototype getters, not an object literal with a getter per request: the literal made young
 * collections 10-30 ms instead of 0.3 ms under load (measured with --trace-gc), halving the SDK path's rps.
 */
export class CallInfo implements RequestInfo {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly protocol: RequestInfo['protocol'];
  readonly #options: PredictOptions;
  #requestId: string | undefined;
  /** Stage times the model reported (timed()); runRequestHandler records them. */
  stages: [stage: 'preprocess' | 'predict' | 'postprocess' | 'explain', seconds: number][] | undefined;

  constructor(
    headers: Readonly<Record<string, string | string[] | undefined>>,
    protocol: RequestInfo['protocol'],
    options: PredictOptions,
    requestId?: string,
  ) {
    this.headers = headers;
    this.protocol = protocol;
    this.#options = options;
    const header = headers['x-request-id'];
    this.#requestId = (typeof header === 'string' && header) || requestId || undefined;
  }

  /** Made up (a UUID) only when asked for and the request named none. */
  get requestId(): string {
    this.#requestId ??= randomUuid();
    return this.#requestId;
  }

  get signal(): AbortSignal {
    return this.#options.signal as AbortSignal;
  }

  onAbort(listener: () => void): () => void {
    const o = this.#options as PredictOptions & { onAbort?(listener: () => void): () => void };
    return typeof o.onAbort === 'function' ? o.onAbort(listener) : listenSignal(this.signal, listener);
  }

  timed(stage: 'preprocess' | 'predict' | 'postprocess' | 'explain', seconds: number): void {
    this.stages ??= [];
    this.stages.push([stage, seconds]);
  }
}

/** The RequestInfo of one call (see CallInfo). */
export function requestInfo(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  protocol: RequestInfo['protocol'],
  options: PredictOptions,
  requestId?: string,
): RequestInfo {
  return new CallInfo(headers, protocol, options, requestId);
}

/**
 * Calls a whole-request model's handler (V1, V2 or gRPC) with `info`: the stages it reports (an SDK model's
 * preprocess, predict, postprocess, explain) are recorded; a handler that reports none is timed as a predict.
 */
export async function runRequestHandler<T>(
  ctx: Pick<ServerContext, 'metrics'>,
  entry: ModelEntry,
  info: RequestInfo,
  call: (info: RequestInfo) => Promise<T>,
): Promise<T> {
  const start = performance.now();
  try {
    return await call(info);
  } finally {
    const stages = info instanceof CallInfo ? info.stages : undefined;
    if (stages === undefined) ctx.metrics.recordPredict(entry.model.name, (performance.now() - start) / 1000);
    else for (const [stage, s] of stages) ctx.metrics.recordStage(entry.model.name, stage, s);
  }
}
