// How a transformer reaches its predictor (KServe's Model._http_predict / _grpc_predict): V1 and V2 REST over
// keep-alive HTTP, V2 over gRPC, each call with a timeout. Failures are InferdErrors with a code the model
// server maps to a status: unreachable → UPSTREAM_UNAVAILABLE (502), too slow → TIMEOUT (504), the
// predictor's own 4xx/503 → the same code, so a client sees the predictor's answer, never a hang.

import http from 'node:http';
import https from 'node:https';
import { InferdError, messageOf } from '../errors.js';
import type { GrpcLinkClient } from '../gateway/grpc-link-client.js';
import { PINNED_REVISION_HEADER } from '../gateway/route-feed.js';
import { FRAME_OK } from '../http/grpc-link.js';
import { GRPC_STATUS } from '../http/grpc-wire.js';
import type { ReplicaTarget, RevisionRoute } from '../routing/endpoint-table.js';
import type { Tensor } from '../runtimes/model.js';
import { encodeRawTensor } from '../server/binary-tensor.js';
import { decodeModelInferResponse, encodeModelInferRequest } from '../server/grpc/codec.js';
import { decodeGrpcInputs } from '../server/grpc/grpc-tensor.js';
import { decodeV2Tensor } from '../server/tensor-decode.js';
import { encodeFlat } from '../server/tensor-json.js';
import { DirectGrpc } from './direct-grpc.js';
import { type AbortWatch, DirectError, DirectHttp } from './direct-http.js';
import { PredictorRoutes, ROUTE_FEED_ENV } from './predictor-routes.js';
import { type InferRequest, InferResponse, InferTensor } from './tensor.js';

export type PredictorProtocol = 'v1' | 'v2' | 'grpc-v2';

export interface PredictorClientOptions {
  /** `host:port` of the predictor (KServe's `--predictor_host`); no scheme. */
  host: string;
  /** Default v1 (KServe's `--protocol`). */
  protocol?: PredictorProtocol;
  /** https / TLS gRPC (KServe's `--predictor_use_ssl`). Default false. */
  useSsl?: boolean;
  /** Per call. Default 60 s (KServe's default, `--predictor_request_timeout_seconds`, is 600 s). */
  timeoutMs?: number;
  /**
   * The routes feed of an inferd predictor listener (client-side routing: REST calls go straight to the
   * predictor's replicas). Default: env INFERD_ROUTE_FEED, which inferd sets for the transformers it starts,
   * when `host` is their PREDICTOR_HOST; false: always through `host`.
   */
  routeFeed?: string | false;
}

export interface CallOptions {
  /** Passed on: KServe forwards `x-request-id` and `x-b3-traceid`. */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** Aborts the call (the incoming request went away). */
  signal?: AbortSignal;
  /**
   * Instead of `signal`: registers a listener for the abort and returns what removes it. The default
   * `Model.predict` passes the request context's `onAbort`, so no AbortSignal is built per call.
   */
  onAbort?: AbortWatch;
}

/** The call's abort as a watch (signal first, then onAbort); undefined when it cannot be aborted. */
function abortWatch(opts: CallOptions): AbortWatch | undefined {
  const signal = opts.signal;
  if (signal === undefined) return opts.onAbort;
  return (listener) => {
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  };
}

export const DEFAULT_PREDICTOR_TIMEOUT_MS = 60_000;
const FORWARDED_HEADERS = ['x-request-id', 'x-b3-traceid'] as const;
const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';
const GRPC_CANCELLED = 1;
const GRPC_UNKNOWN = 2;

/** The predictor's HTTP status as the code a client of the transformer gets. */
function codeForStatus(status: number): InferdError['code'] {
  switch (status) {
    case 400:
    case 422:
      return 'INVALID_INPUT';
    case 404:
      return 'MODEL_NOT_FOUND';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'OVERLOADED';
    case 501:
      return 'UNSUPPORTED';
    case 503:
      return 'MODEL_NOT_READY';
    case 504:
      return 'TIMEOUT';
    default:
      return 'UPSTREAM_UNAVAILABLE';
  }
}

/** A gRPC status from the predictor as the InferdError a client of the transformer gets. */
function grpcError(code: number, what: string, target: string, timeoutMs: number): InferdError {
  switch (code) {
    case GRPC_STATUS.DEADLINE_EXCEEDED:
      return new InferdError('TIMEOUT', `predictor ${target} did not answer within ${timeoutMs} ms`);
    case GRPC_CANCELLED:
      return new InferdError('TIMEOUT', `request to predictor ${target} cancelled`);
    case GRPC_STATUS.INVALID_ARGUMENT:
      return new InferdError('INVALID_INPUT', what);
    case GRPC_STATUS.NOT_FOUND:
      return new InferdError('MODEL_NOT_FOUND', what);
    default:
      return new InferdError('UPSTREAM_UNAVAILABLE', `predictor ${target}: ${what}`);
  }
}

/** The HTTP status a direct gRPC call is reported with (the gateway's metrics count REST-like codes). */
function httpStatusOfGrpc(code: number): number {
  switch (code) {
    case GRPC_STATUS.OK:
      return 200;
    case GRPC_STATUS.INVALID_ARGUMENT:
      return 400;
    case GRPC_STATUS.NOT_FOUND:
      return 404;
    case GRPC_STATUS.RESOURCE_EXHAUSTED:
      return 429;
    case GRPC_STATUS.UNIMPLEMENTED:
      return 501;
    case GRPC_STATUS.UNAVAILABLE:
      return 503;
    case GRPC_STATUS.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

/** grpc-message is percent-encoded on the wire (grpc-wire.ts encodeGrpcMessage). */
function grpcMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not percent-encoded after all: as it came
  }
}

const q = JSON.stringify;

/** KServe's InferRequest.to_rest() as JSON text; tensors written straight from their typed arrays. */
function v2RequestJson(req: InferRequest): string {
  let s = `{"id":${q(req.id)}`;
  if (req.parameters) s += `,"parameters":${q(req.parameters)}`;
  s += ',"inputs":[';
  req.inputs.forEach((t, i) => {
    s += `${i ? ',' : ''}{"name":${q(t.name)},"shape":[${t.shape.join(',')}],"datatype":${q(t.datatype)}`;
    if (t.parameters) s += `,"parameters":${q(t.parameters)}`;
    s += `,"data":${encodeFlat(t)}}`;
  });
  s += ']';
  if (req.outputs) s += `,"outputs":${q(req.outputs.map((name) => ({ name })))}`;
  return `${s}}`;
}

interface V2ResponseBody {
  model_name?: string;
  id?: string;
  parameters?: Record<string, unknown> | null;
  outputs?: {
    name: string;
    datatype: string;
    shape: number[];
    data: unknown[];
    parameters?: Record<string, unknown>;
  }[];
}

function fromV2Json(model: string, body: V2ResponseBody): InferResponse {
  if (!Array.isArray(body.outputs)) {
    throw new InferdError('UPSTREAM_UNAVAILABLE', `predictor answered without "outputs" for model ${model}`);
  }
  const outputs = body.outputs.map((o) =>
    InferTensor.from(decodeV2Tensor(o.name, o.datatype, o.shape, o.data, o.parameters ?? null)),
  );
  return new InferResponse(body.model_name ?? model, outputs, body.id ?? '', body.parameters ?? null);
}

interface GrpcStub {
  ModelInfer(
    req: unknown,
    md: import('@grpc/grpc-js').Metadata,
    opts: { deadline: number },
    cb: (err: (Error & { code?: number; details?: string }) | null, res?: GrpcInferResponse) => void,
  ): import('@grpc/grpc-js').ClientUnaryCall;
  close(): void;
}

interface GrpcInferResponse {
  model_name: string;
  id: string;
  outputs: import('../server/grpc/grpc-tensor.js').GrpcOutputTensor[];
  raw_output_contents: Buffer[];
}

/**
 * A client for one predictor. Reuses connections (HTTP keep-alive; one gRPC channel); `close()` releases them.
 * Every method throws InferdError (see the module header for the codes).
 */
export class PredictorClient {
  readonly host: string;
  readonly protocol: PredictorProtocol;
  readonly useSsl: boolean;
  readonly timeoutMs: number;
  readonly #agent: http.Agent;
  /** Parsed once: a URL string per request costs a WHATWG URL parse on the transformer's hot path. */
  readonly #base: string;
  readonly #target: { hostname: string; port: number };
  #grpc: Promise<GrpcStub> | undefined;
  /** Client-side routing (predictor-routes.ts), without TLS when inferd gave a routes feed. */
  readonly #routes: PredictorRoutes | undefined;
  readonly #direct: DirectHttp | undefined;
  readonly #directGrpc: DirectGrpc | undefined;

  constructor(opts: PredictorClientOptions) {
    if (!opts.host || /^[a-z]+:\/\//i.test(opts.host)) {
      throw new InferdError('INVALID_CONFIG', `predictor host must be host:port without a scheme, got '${opts.host}'`);
    }
    this.host = opts.host;
    this.protocol = opts.protocol ?? 'v1';
    this.useSsl = opts.useSsl ?? false;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_PREDICTOR_TIMEOUT_MS;
    const agentOpts = { keepAlive: true, maxSockets: 64 };
    this.#agent = this.useSsl ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
    this.#base = `${this.useSsl ? 'https' : 'http'}://${this.host}`;
    let u: URL;
    try {
      u = new URL(this.#base);
    } catch {
      throw new InferdError('INVALID_CONFIG', `predictor host must be host:port, got '${opts.host}'`);
    }
    this.#target = {
      hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port ? Number(u.port) : this.useSsl ? 443 : 80,
    };
    const feed = opts.routeFeed ?? (opts.host === process.env.PREDICTOR_HOST ? process.env[ROUTE_FEED_ENV] : undefined);
    if (feed && !this.useSsl) {
      this.#routes = new PredictorRoutes(feed);
      if (this.protocol === 'grpc-v2') this.#directGrpc = new DirectGrpc();
      else this.#direct = new DirectHttp();
    }
  }

  /** True while calls go straight to the predictor's replicas (the routes feed is up). */
  get routingDirectly(): boolean {
    return this.#routes?.live === true;
  }

  /** V1 `:predict` with a JSON body (KServe: `PREDICTOR_URL_FORMAT`). */
  async predictV1(model: string, body: unknown, opts: CallOptions = {}): Promise<Record<string, unknown>> {
    const path = `/v1/models/${encodeURIComponent(model)}:predict`;
    return (await this.#post(path, JSON.stringify(body), opts)) as Record<string, unknown>;
  }

  /** V2 infer over REST, or over gRPC when the protocol is `grpc-v2`. */
  async infer(model: string, req: InferRequest, opts: CallOptions = {}): Promise<InferResponse> {
    if (this.protocol === 'grpc-v2') return this.#grpcInfer(model, req, opts);
    const path = `/v2/models/${encodeURIComponent(model)}/infer`;
    return fromV2Json(model, (await this.#post(path, v2RequestJson(req), opts)) as V2ResponseBody);
  }

  /**
   * A V2 request body that is a plain JSON object (a transformer's preprocess returned a dict while the
   * protocol is v2, as KServe posts it): sent as it is to `/v2/models/NAME/infer`, answered as an InferResponse.
   */
  async inferJson(model: string, body: Record<string, unknown>, opts: CallOptions = {}): Promise<InferResponse> {
    if (this.protocol === 'grpc-v2') {
      throw new InferdError('INVALID_INPUT', 'a gRPC predictor takes an InferRequest; build one in preprocess');
    }
    const path = `/v2/models/${encodeURIComponent(model)}/infer`;
    return fromV2Json(model, (await this.#post(path, JSON.stringify(body), opts)) as V2ResponseBody);
  }

  /** Releases the keep-alive sockets and the gRPC channel. */
  close(): void {
    this.#routes?.close();
    this.#direct?.close();
    this.#directGrpc?.close();
    this.#agent.destroy();
    const g = this.#grpc;
    this.#grpc = undefined;
    g?.then((stub) => stub.close()).catch(() => undefined); // a channel that never opened has nothing to close
  }

  #post(path: string, body: string, opts: CallOptions): Promise<unknown> {
    const pick = this.#routes?.pick();
    if (pick?.replica) return this.#postDirect(pick.route, pick.replica, path, body, opts);
    return this.#postGateway(path, body, opts, pick?.route.key);
  }

  /** The call straight to a replica; a connection that fails before any answer goes through the gateway instead. */
  async #postDirect(
    route: RevisionRoute,
    replica: ReplicaTarget,
    path: string,
    body: string,
    opts: CallOptions,
  ): Promise<unknown> {
    const routes = this.#routes!;
    const url = `${this.#base}${path}`;
    let head = `POST ${path} HTTP/1.1\r\ncontent-type: application/json`;
    for (const h of FORWARDED_HEADERS) {
      const v = opts.headers?.[h];
      if (typeof v === 'string') head += `\r\n${h}: ${v}`;
    }
    // The predictor's `timeout` (the gateway's 504) applies here too.
    const timeoutMs = route.timeoutMs !== undefined ? Math.min(route.timeoutMs, this.timeoutMs) : this.timeoutMs;
    const call = routes.begin(route, replica);
    let answer: { status: number; reason: string; body: Buffer };
    try {
      answer = await this.#direct!.request(replica.port, head, body, timeoutMs, abortWatch(opts));
    } catch (err) {
      const e = err instanceof DirectError ? err : new DirectError(messageOf(err), false);
      if (e.timedOut) {
        routes.end(call, e.cancelled ? 0 : 504);
        throw new InferdError(
          'TIMEOUT',
          e.cancelled
            ? `request to predictor ${url} cancelled`
            : `predictor ${url} did not answer within ${timeoutMs} ms`,
        );
      }
      routes.end(call, 0);
      routes.failed(replica);
      if (e.unanswered) return this.#postGateway(path, body, opts, undefined);
      throw new InferdError('UPSTREAM_UNAVAILABLE', `predictor ${url}: ${e.message}`);
    }
    routes.end(call, answer.status);
    return this.#answer(url, answer.status, answer.reason, answer.body.toString('utf8'));
  }

  /** The predictor's answer as the parsed JSON body, or the InferdError a client of the transformer gets. */
  #answer(url: string, status: number, reason: string | undefined, text: string): unknown {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status < 200 || status >= 300) {
      // KServe's message: "{error}, '{status} {reason}' for url '{url}'".
      const error = (parsed as { error?: unknown } | undefined)?.error;
      const detail = typeof error === 'string' ? error : text.slice(0, 200);
      throw new InferdError(codeForStatus(status), `${detail}, '${status} ${reason}' for url '${url}'`, {
        predictorStatus: status,
      });
    }
    if (parsed === undefined) {
      throw new InferdError('UPSTREAM_UNAVAILABLE', `predictor ${url} answered ${status} with a body that is not JSON`);
    }
    return parsed;
  }

  /** The call through PREDICTOR_HOST (the gateway); `pinned`: the revision key the routes feed picked. */
  #postGateway(path: string, body: string, opts: CallOptions, pinned: string | undefined): Promise<unknown> {
    const url = `${this.#base}${path}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const h of FORWARDED_HEADERS) {
      const v = opts.headers?.[h];
      if (typeof v === 'string') headers[h] = v;
    }
    if (pinned !== undefined) headers[PINNED_REVISION_HEADER] = pinned;
    headers['content-length'] = String(Buffer.byteLength(body));
    const transport = this.useSsl ? https : http;
    return new Promise((resolve, reject) => {
      let settled = false;
      let unwatch: (() => void) | undefined;
      const fail = (err: InferdError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unwatch?.();
        req.destroy();
        reject(err);
      };
      const req = transport.request({ ...this.#target, path, method: 'POST', headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail(new InferdError('UPSTREAM_UNAVAILABLE', `predictor ${url}: ${e.message}`)));
        res.on('end', () => {
          if (settled) return;
          let parsed: unknown;
          try {
            parsed = this.#answer(url, res.statusCode ?? 0, res.statusMessage, Buffer.concat(chunks).toString('utf8'));
          } catch (err) {
            fail(err as InferdError);
            return;
          }
          settled = true;
          clearTimeout(timer);
          unwatch?.();
          resolve(parsed);
        });
      });
      const timer = setTimeout(
        () => fail(new InferdError('TIMEOUT', `predictor ${url} did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const onAbort = () => fail(new InferdError('TIMEOUT', `request to predictor ${url} cancelled`));
      unwatch = abortWatch(opts)?.(onAbort);
      req.on('error', (e) =>
        fail(new InferdError('UPSTREAM_UNAVAILABLE', `predictor ${url} is not reachable: ${messageOf(e)}`)),
      );
      req.end(body);
    });
  }

  #stub(): Promise<GrpcStub> {
    this.#grpc ??= (async () => {
      const [grpc, service] = await Promise.all([import('@grpc/grpc-js'), import('../server/grpc/service.js')]);
      const Client = grpc.makeGenericClientConstructor(service.loadServiceDefinition(), 'GRPCInferenceService');
      const creds = this.useSsl ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
      return new Client(this.host, creds) as unknown as GrpcStub;
    })();
    return this.#grpc;
  }

  /** V2 over gRPC: straight to a replica's gRPC port over the link when the routes allow, else through the gateway. */
  #grpcInfer(model: string, req: InferRequest, opts: CallOptions): Promise<InferResponse> {
    const pick = this.#routes?.pick();
    const grpcPort = pick?.replica?.grpcPort;
    const link = grpcPort !== undefined ? this.#directGrpc?.link(grpcPort) : undefined;
    if (pick?.replica && link) return this.#grpcDirect(pick.route, pick.replica, link, model, req, opts);
    return this.#grpcGateway(model, req, opts, pick?.route.key);
  }

  /** One ModelInfer on the link to a replica; a link that closes before the answer goes through the gateway. */
  #grpcDirect(
    route: RevisionRoute,
    replica: ReplicaTarget,
    link: GrpcLinkClient,
    model: string,
    req: InferRequest,
    opts: CallOptions,
  ): Promise<InferResponse> {
    const routes = this.#routes!;
    const target = `${this.host} (gRPC, replica 127.0.0.1:${replica.grpcPort})`;
    const timeoutMs = route.timeoutMs !== undefined ? Math.min(route.timeoutMs, this.timeoutMs) : this.timeoutMs;
    const headers: Record<string, string> = { 'content-type': 'application/grpc' };
    const rid = opts.headers?.['x-request-id'];
    if (typeof rid === 'string') headers['x-request-id'] = rid;
    // Raw contents: typed arrays go as they are, without a per-element copy into protobuf fields.
    const body = encodeModelInferRequest(
      model,
      req.id,
      req.parameters,
      req.inputs,
      req.inputs.map((t) => encodeRawTensor(t)),
      req.outputs ?? undefined,
    );
    const call = routes.begin(route, replica);
    return new Promise<InferResponse>((resolve, reject) => {
      let settled = false;
      let unwatch: (() => void) | undefined;
      const settle = (status: number, err: InferdError | undefined, res?: InferResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unwatch?.();
        routes.end(call, status);
        if (err) reject(err);
        else resolve(res!);
      };
      const id = link.call(MODEL_INFER_PATH, headers, body, (answer) => {
        if (settled) return;
        if (answer instanceof Error) {
          // No answer came back (the replica went away): route around it, through the gateway this time.
          settled = true;
          clearTimeout(timer);
          unwatch?.();
          routes.end(call, 0);
          routes.failed(replica);
          this.#grpcGateway(model, req, opts, undefined).then(resolve, reject);
          return;
        }
        if (answer.type !== FRAME_OK) {
          const sep = answer.head.indexOf('\0');
          const code = Number(answer.head.slice(0, sep));
          settle(httpStatusOfGrpc(code), grpcError(code, grpcMessage(answer.head.slice(sep + 1)), target, timeoutMs));
          return;
        }
        let res: InferResponse;
        try {
          const m = decodeModelInferResponse(answer.body.subarray(5));
          const outputs = decodeGrpcInputs(m.outputs, m.raw_output_contents).map((t) => InferTensor.from(t));
          res = new InferResponse(m.model_name || model, outputs, m.id, null);
        } catch (err) {
          settle(200, new InferdError('UPSTREAM_UNAVAILABLE', `predictor ${target}: bad answer: ${messageOf(err)}`));
          return;
        }
        settle(200, undefined, res);
      });
      const timer = setTimeout(() => {
        link.cancel(id);
        settle(504, new InferdError('TIMEOUT', `predictor ${target} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        link.cancel(id);
        settle(0, new InferdError('TIMEOUT', `request to predictor ${target} cancelled`));
      };
      unwatch = abortWatch(opts)?.(onAbort);
    });
  }

  /** The gRPC call through PREDICTOR_HOST (the gateway); `pinned`: the revision key the routes feed picked. */
  async #grpcGateway(
    model: string,
    req: InferRequest,
    opts: CallOptions,
    pinned: string | undefined,
  ): Promise<InferResponse> {
    const [grpc, tensors, stub] = await Promise.all([
      import('@grpc/grpc-js'),
      import('../server/grpc/grpc-tensor.js'),
      this.#stub(),
    ]);
    const md = new grpc.Metadata();
    const id = opts.headers?.['x-request-id'];
    if (typeof id === 'string') md.set('x-request-id', id);
    if (pinned !== undefined) md.set(PINNED_REVISION_HEADER, pinned);
    const message = {
      model_name: model,
      model_version: '',
      id: req.id,
      parameters: tensors.toGrpcParameters(req.parameters),
      inputs: req.inputs.map((t: Tensor) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape,
        ...(t.parameters ? { parameters: tensors.toGrpcParameters(t.parameters) } : {}),
      })),
      outputs: (req.outputs ?? []).map((name) => ({ name })),
      // Raw contents: typed arrays go as they are, without a per-element copy into protobuf fields.
      raw_input_contents: req.inputs.map((t) => encodeRawTensor(t)),
    };
    const target = `${this.host} (gRPC)`;
    const res = await new Promise<GrpcInferResponse>((resolve, reject) => {
      let unwatch: (() => void) | undefined;
      const call = stub.ModelInfer(message, md, { deadline: Date.now() + this.timeoutMs }, (err, r) => {
        unwatch?.();
        if (err) {
          reject(grpcError(err.code ?? GRPC_UNKNOWN, err.details ?? err.message, target, this.timeoutMs));
        } else resolve(r!);
      });
      const onAbort = () => call.cancel();
      unwatch = abortWatch(opts)?.(onAbort);
    });
    const outputs = tensors.decodeGrpcInputs(res.outputs, res.raw_output_contents).map((t) => InferTensor.from(t));
    return new InferResponse(res.model_name || model, outputs, res.id, null);
  }
}
