// The TypeScript SDK's Model: KServe's `kserve.Model` (python/kserve/kserve/model.py) for TypeScript.
// Subclass it and override load / preprocess / predict / postprocess / explain; each request runs
// preprocess → (validate) → predict or explain → postprocess, as KServe's `Model.__call__` does. V1 requests
// arrive as the parsed JSON body, V2 REST and gRPC requests as an InferRequest. With a predictor host (a
// transformer), the default predict calls the predictor over the configured protocol.

import { InferdError } from '../errors.js';
import type { RequestInfo, TensorMetadata } from '../runtimes/model.js';
import { type CallOptions, PredictorClient, type PredictorProtocol } from './predictor-client.js';
import { type InferRequest, type InferResponse, isInferRequest } from './tensor.js';

export type { PredictorProtocol, TensorMetadata };

/** A V1 request body (`{"instances": [...]}` or any JSON object a transformer accepts). */
export interface V1Request {
  instances?: unknown[];
  inputs?: unknown;
  [key: string]: unknown;
}

/** A V1 response body (`{"predictions": [...]}`); typed arrays in it are written as JSON arrays. */
export interface V1Response {
  predictions?: unknown;
  [key: string]: unknown;
}

/** What preprocess/predict take: a V1 body, or a V2 InferRequest (V2 REST and gRPC). */
export type Payload = V1Request | InferRequest;
/** What predict/postprocess return: a V1 body, or a V2 InferResponse. */
export type Result = V1Response | InferResponse;

/**
 * The request a handler runs for: its headers (lower-case names), its request id (`x-request-id`, else the V2
 * id, else a fresh UUID), the protocol it came in on, and a signal that aborts when the client goes away.
 */
export type RequestContext = RequestInfo;

/** Where a transformer's predictor is (KServe's PredictorConfig; flags `--predictor_host`, `--protocol`, ...). */
export interface PredictorConfig {
  /** `host:port`, no scheme. */
  predictorHost: string;
  /** Default v1. */
  protocol?: PredictorProtocol;
  useSsl?: boolean;
  /** Per predictor call; default 60 s. */
  timeoutMs?: number;
}

type Awaitable<T> = T | Promise<T>;

export class Model {
  /** The name it is served under (`/v1/models/<name>`); `inferd run --model_name` sets it. */
  name: string;
  /**
   * False until `load()` succeeds. While false, requests get KServe's 503 "Model with name X is not ready."
   * and the ready endpoints say not ready; it is read on every request, so a model may go unready later.
   */
  ready = false;
  /** The predictor a transformer calls; null for a model that predicts itself. */
  predictorHost: string | null;
  protocol: PredictorProtocol;
  useSsl: boolean;
  timeoutMs: number | undefined;
  #client: PredictorClient | undefined;

  constructor(name: string, predictor?: PredictorConfig) {
    this.name = name;
    this.predictorHost = predictor?.predictorHost ?? null;
    this.protocol = predictor?.protocol ?? 'v1';
    this.useSsl = predictor?.useSsl ?? false;
    this.timeoutMs = predictor?.timeoutMs;
  }

  /** Loads weights, opens sessions, ...; set `ready` (the default just does). Called once before serving. */
  load(): Awaitable<boolean | undefined> {
    this.ready = true;
    return this.ready;
  }

  /** Turns the request into what predict takes (a transformer: into the predictor's request). */
  preprocess(payload: Payload, _ctx: RequestContext): Awaitable<Payload> {
    return payload;
  }

  /**
   * Runs the model. The default forwards the payload to the predictor (a transformer); a model without a
   * predictor host must override it.
   */
  async predict(payload: Payload, ctx: RequestContext): Promise<Result> {
    if (!this.predictorHost) throw new InferdError('UNSUPPORTED', 'Could not find predictor_host.');
    const call: CallOptions = { headers: ctx.headers };
    // The request's abort cancels the call; through onAbort when the server offers it (no AbortSignal per call).
    if (ctx.onAbort) call.onAbort = (listener) => ctx.onAbort!(listener);
    else call.signal = ctx.signal;
    if (isInferRequest(payload)) return this.predictorClient.infer(this.name, payload, call);
    // KServe: with a V2 protocol a dict goes to the V2 endpoint as it is, and comes back an InferResponse.
    if (this.protocol !== 'v1') return this.predictorClient.inferJson(this.name, payload, call);
    return (await this.predictorClient.predictV1(this.name, payload, call)) as V1Response;
  }

  /** Turns predict's result into the response. */
  postprocess(result: Result, _ctx: RequestContext): Awaitable<Result> {
    return result;
  }

  /** V1 `:explain`. KServe's default calls an explainer host; inferd models have none unless overridden. */
  explain(_payload: Payload, _ctx: RequestContext): Awaitable<Result> {
    throw new InferdError('UNSUPPORTED', 'Could not find explainer_host.');
  }

  /** V2 model metadata: the inputs it takes (KServe's get_input_types). */
  inputTypes(): TensorMetadata[] {
    return [];
  }

  /** V2 model metadata: the outputs it gives (KServe's get_output_types). */
  outputTypes(): TensorMetadata[] {
    return [];
  }

  /** Frees what load() took; the default closes the predictor client's connections. */
  unload(): Awaitable<void> {
    this.#client?.close();
    this.#client = undefined;
  }

  /** The client for `predictorHost` (keep-alive connections, reused across requests). */
  protected get predictorClient(): PredictorClient {
    if (!this.predictorHost) throw new InferdError('UNSUPPORTED', 'Could not find predictor_host.');
    this.#client ??= new PredictorClient({
      host: this.predictorHost,
      protocol: this.protocol,
      useSsl: this.useSsl,
      ...(this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {}),
    });
    return this.#client;
  }
}
