// The model server a replica runs: KServe's V1/V2 REST surface on bare node:http (no framework; this is
// the hot path). Routing, body limits and error mapping live here; endpoint logic in rest/v1.ts and
// rest/v2.ts. No per-request log lines: requests are counted in /metrics, errors logged once.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { ERROR_TABLE, InferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { packageVersion } from '../package.js';
import { INFERENCE_HEADER, readBody } from './body-reader.js';
import { decodeContent } from './content-encoding.js';
import {
  createResponder,
  errorBody,
  JSON_TYPE,
  PROMETHEUS_TYPE,
  type SendObserver,
  sendInferdError,
} from './http-response.js';
import { ServerMetrics } from './metrics.js';
import type { ModelRepository } from './model-repository.js';
import type { PayloadLogger } from './payload-logger.js';
import { type AbortableResponse, REQUEST_ABORT, type ServerContext } from './rest/dataplane.js';
import type * as V1 from './rest/v1.js';
import type * as V2 from './rest/v2.js';
import type { RequestValidationError } from './rest/v2-request.js';
import { decodePath, type Endpoint, route } from './router.js';

export interface ModelServerOptions {
  models: ModelRepository;
  log: Logger;
  /** Largest request body accepted; larger ones get 413. Default 16 MiB. */
  maxBodyBytes?: number;
  /**
   * Largest binary-extension body (`inference-header-content-length` requests): raw tensors cost their
   * size in memory, JSON costs many times its size, so binary bodies get their own, larger limit.
   * Default 128 MiB (a 64 MiB tensor in, with room for its JSON header and a second input).
   */
  maxBinaryBodyBytes?: number;
  /** Shared with the gRPC server so that `/metrics` counts both; a fresh one when left out. */
  metrics?: ServerMetrics;
  /** Sends inference requests/responses to a CloudEvents sink (spec.predictor.logger). */
  payloadLogger?: PayloadLogger;
  /**
   * An inference request not answered this long after it arrived gets 504 JSON and its predict options'
   * signal aborts, so queued work (the batcher) is dropped (spec.predictor.timeout). Default: none.
   */
  requestTimeoutMs?: number;
  /** Load the V1/V2 handlers on their first request instead of now (a packed model's worker thread). */
  lazyHandlers?: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024; // 16 MiB
export const DEFAULT_MAX_BINARY_BODY_BYTES = 128 * 1024 * 1024; // 128 MiB
/** Idle keep-alive sockets stay open this long: well above the gateway pool's idle time, so the
 * server is never the side that closes a socket the gateway is about to reuse. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

// The V1 and V2 handlers load on their protocol's first request, or at once unless `lazyHandlers` is set: a
// packed model's worker thread that is only ever asked over V1 never pays for the V2 modules (~0.4 MiB RSS each
// per thread) and the reverse. Module-level: one copy per thread.
let v1: typeof V1 | undefined;
let v2: typeof V2 | undefined;
let validationError: typeof RequestValidationError | undefined;
let v1Loading: Promise<unknown> | undefined;
let v2Loading: Promise<unknown> | undefined;
function loadV1(): Promise<unknown> {
  v1Loading ??= import('./rest/v1.js').then((m) => {
    v1 = m;
  });
  return v1Loading;
}
function loadV2(): Promise<unknown> {
  v2Loading ??= Promise.all([import('./rest/v2.js'), import('./rest/v2-request.js')]).then(([m, r]) => {
    v2 = m;
    validationError = r.RequestValidationError;
  });
  return v2Loading;
}

const LOG_ID = Symbol('payload log event id');
type LoggedResponse = ServerResponse & { [LOG_ID]?: string };

const NOT_FOUND_BODY = '{"detail":"Not Found"}';
const METHOD_NOT_ALLOWED_BODY = '{"detail":"Method Not Allowed"}';

/** Creates (does not start) a model server. Call `listen(port, host)` on it; stop it with `shutdownModelServer`. */
export function createModelServer(opts: ModelServerOptions): http.Server {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBinaryBodyBytes = Math.max(opts.maxBinaryBodyBytes ?? DEFAULT_MAX_BINARY_BODY_BYTES, maxBodyBytes);
  const server = http.createServer({ noDelay: true, keepAlive: true });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  const payloadLogger = opts.payloadLogger;
  const requestTimeoutMs = opts.requestTimeoutMs;
  const observe: SendObserver | undefined = payloadLogger
    ? (res, status, contentType, body) => {
        const id = (res as LoggedResponse)[LOG_ID];
        if (id !== undefined) payloadLogger.logResponse(id, status, contentType ?? JSON_TYPE, body);
      }
    : undefined;
  const ctx: ServerContext = {
    models: opts.models,
    log: opts.log,
    respond: createResponder(() => !server.listening, observe),
    metrics: opts.metrics ?? new ServerMetrics(),
    version: packageVersion(),
  };
  if (payloadLogger) ctx.metrics.addCollector((out) => payloadLogger.renderMetrics(out));
  if (!opts.lazyHandlers) {
    // Errors surface on the first request that needs the handlers (fail → 500).
    loadV1().catch(() => undefined);
    loadV2().catch(() => undefined);
  }

  const fail = (res: ServerResponse, err: unknown): void => {
    if (res.headersSent) {
      // Answered already (the timeout's 504): keep the connection. Half-written: cut it.
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (err instanceof InferdError) {
      if (ERROR_TABLE[err.code].http >= 500 && err.code !== 'UNSUPPORTED' && err.code !== 'MODEL_NOT_READY') {
        ctx.log.error('request failed', { code: err.code, error: err.message, stack: err.stack });
      }
      sendInferdError(ctx.respond, res, err);
    } else if (validationError !== undefined && err instanceof validationError) {
      ctx.respond.json(res, 422, JSON.stringify({ detail: err.errors }));
    } else {
      // A bug or a runtime's plain Error: log it once with its stack, answer its message.
      ctx.log.error('request failed', { error: messageOf(err), stack: (err as Error)?.stack });
      ctx.respond.json(res, 500, errorBody(messageOf(err)));
    }
  };

  // Inference endpoints: read the body, run, count. `protocol` labels the metrics.
  const withBody = (
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
    protocol: 'v1' | 'v2',
    run: (body: Buffer) => Promise<void>,
  ): void => {
    const start = performance.now();
    if (requestTimeoutMs !== undefined) startTimeout(res, requestTimeoutMs);
    let eventId: string | undefined;
    if (payloadLogger) {
      eventId = payloadLogger.eventIdFor(req.headers['ce-id']);
      (res as LoggedResponse)[LOG_ID] = eventId;
    }
    const limit = req.headers[INFERENCE_HEADER] === undefined ? maxBodyBytes : maxBinaryBodyBytes;
    readBody(req, limit, (err, raw) => {
      if (err) {
        // The rest of the body is never read: close the connection after answering.
        ctx.respond.json(res, 413, errorBody(err.message), ['connection', 'close']);
        return;
      }
      const encoding = req.headers['content-encoding'];
      const body = encoding === undefined ? raw : decodeContent(encoding, raw, limit);
      const logged =
        payloadLogger && eventId !== undefined
          ? (b: Buffer) => {
              payloadLogger.logRequest(eventId, req.headers['content-type'], b);
              return run(b);
            }
          : run;
      (Buffer.isBuffer(body) ? logged(body) : body.then(logged)).then(
        () => record(model, protocol, res, start),
        (e: unknown) => {
          fail(res, e);
          record(model, protocol, res, start);
        },
      );
    });
  };
  // spec.predictor.timeout: 504 JSON and an aborted predict signal once the time is up.
  const startTimeout = (res: ServerResponse, ms: number) => {
    const controller = new AbortController();
    (res as AbortableResponse)[REQUEST_ABORT] = controller;
    const timer = setTimeout(() => {
      const err = new InferdError('TIMEOUT', `the request did not finish within ${ms} ms (spec.predictor.timeout)`);
      controller.abort(err);
      if (!res.headersSent) sendInferdError(ctx.respond, res, err);
    }, ms);
    res.once('close', () => clearTimeout(timer));
  };
  const record = (model: string, protocol: 'v1' | 'v2', res: ServerResponse, start: number) => {
    if (ctx.models.get(model)) {
      ctx.metrics.recordRequest(model, protocol, res.statusCode, (performance.now() - start) / 1000);
    }
  };

  const dispatch = (req: IncomingMessage, res: ServerResponse, e: Endpoint) => {
    if (e.kind === 'live' || e.kind === 'metrics') return own(res, e);
    if (e.kind.startsWith('v1.')) {
      if (v1 === undefined) return waitFor(loadV1(), req, res, e);
      return dispatchV1(req, res, e, v1);
    }
    if (v2 === undefined) return waitFor(loadV2(), req, res, e);
    return dispatchV2(req, res, e, v2);
  };
  const waitFor = (loading: Promise<unknown>, req: IncomingMessage, res: ServerResponse, e: Endpoint): void => {
    loading.then(
      () => dispatch(req, res, e),
      (err: unknown) => fail(res, err),
    );
  };
  const own = (res: ServerResponse, e: Endpoint) => {
    switch (e.kind) {
      case 'live':
        return ctx.respond.json(res, 200, '{"status":"alive"}');
      case 'metrics':
        return ctx.respond.send(res, 200, PROMETHEUS_TYPE, ctx.metrics.render());
    }
  };
  const dispatchV1 = (req: IncomingMessage, res: ServerResponse, e: Endpoint, h: typeof V1) => {
    switch (e.kind) {
      case 'v1.predict':
        return withBody(req, res, e.model, 'v1', (body) => h.v1Predict(ctx, res, e.model, body, req));
      case 'v1.explain':
        return withBody(req, res, e.model, 'v1', (body) => h.v1Explain(ctx, res, e.model, body, req));
      case 'v1.models':
        return h.v1ListModels(ctx, res);
      case 'v1.model':
        return h.v1ModelReady(ctx, res, e.model);
    }
  };
  const dispatchV2 = (req: IncomingMessage, res: ServerResponse, e: Endpoint, h: typeof V2) => {
    switch (e.kind) {
      case 'v2.infer':
        return withBody(req, res, e.model, 'v2', (body) => h.v2Infer(ctx, req, res, e.model, e.version, body));
      case 'v2.generate':
        return withBody(req, res, e.model, 'v2', (body) => h.v2Generate(ctx, res, e.model, e.version, body));
      case 'v2.server':
        return h.v2ServerMetadata(ctx, res);
      case 'v2.live':
        return h.v2Live(ctx, res);
      case 'v2.ready':
        return h.v2Ready(ctx, res);
      case 'v2.models':
        return h.v2ListModels(ctx, res);
      case 'v2.model':
        return h.v2ModelMetadata(ctx, res, e.model, e.version);
      case 'v2.modelReady':
        return h.v2ModelReady(ctx, res, e.model, e.version);
      case 'v2.repositoryIndex':
        return readBody(req, maxBodyBytes, (err, body) => {
          if (err) return ctx.respond.json(res, 413, errorBody(err.message), ['connection', 'close']);
          try {
            h.v2RepositoryIndex(ctx, res, body);
          } catch (e) {
            fail(res, e);
          }
        });
      case 'v2.load':
        return h.v2LoadModel(ctx, res, e.model);
      case 'v2.unload':
        return h.v2UnloadModel(ctx, res, e.model);
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = req.url ?? '/';
      const qs = url.indexOf('?');
      const path = decodePath(qs === -1 ? url : url.slice(0, qs));
      const r = route(req.method ?? 'GET', path);
      switch (r.kind) {
        case 'endpoint':
          return dispatch(req, res, r.endpoint);
        case 'notFound':
          return ctx.respond.json(res, 404, NOT_FOUND_BODY);
        case 'methodNotAllowed':
          return ctx.respond.json(res, 405, METHOD_NOT_ALLOWED_BODY, ['allow', r.allow]);
        case 'redirect': {
          // Starlette redirects to an absolute URL built from the Host header.
          const host = req.headers.host ?? 'localhost';
          const location = `http://${host}${encodeURI(r.path)}${qs === -1 ? '' : url.slice(qs)}`;
          return ctx.respond.send(res, 307, null, '', ['location', location]);
        }
      }
    } catch (err) {
      fail(res, err);
    }
  });
  return server;
}

/**
 * Stops accepting connections, lets in-flight requests finish (their answers carry `connection: close`),
 * closes idle keep-alive sockets, and after `graceMs` closes whatever is left. Resolves once closed.
 */
export function shutdownModelServer(server: http.Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
