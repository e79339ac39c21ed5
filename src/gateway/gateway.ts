// The one HTTP port of `inferd serve`: the control API (`/api`, `/apis`), service logs, and inference traffic
// routed by Host (`{name}.{ns}.{domain}`, `*.svc.cluster.local`) or, when the Host names no service, by the
// model name in the path or KServe's `/serving/{ns}/{name}/` template. Each request goes to a revision by the
// endpoint's routes (weighted split, or the one a tag host names) and to a replica of it (traffic/router.ts):
// held (bounded) for a replica that is starting or at its containerConcurrency; a service that is not ready
// answers 503 JSON with the reason. `GET /metrics` (Host naming no service) serves the gateway's metrics.

import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import { refuseModel } from '../auth/answers.js';
import { dropAuthorization, type ModelGate } from '../auth/auth-gate.js';
import { replyError, replyJson } from '../http/json-reply.js';
import type { Logger } from '../log.js';
import { packageVersion } from '../package.js';
import type { EndpointTable, RevisionRoute, ServiceEndpoint } from '../routing/endpoint-table.js';
import { hostOverrideOf } from '../routing/predictor-listeners.js';
import { TrafficStats } from '../routing/traffic-stats.js';
import type { AccessLog } from './access-log.js';
import { GrpcProxy, REPOSITORY_REFUSED } from './grpc-proxy.js';
import { type HostTarget, serviceCandidatesForHost } from './host-router.js';
import { componentOf, GatewayMetrics, type GatewayProtocol, httpStatusOfGrpc, protocolOfPath } from './metrics.js';
import { isRepositoryChange, modelNameFromPath, parseServingPath, pickByModelName } from './path-router.js';
import { acceptHttp2PriorKnowledge, plainAcceptor } from './protocol-sniff.js';
import { ReplicaProxy, type ReplicaProxyOptions } from './proxy.js';
import { replicaPages, scrapeReplicas } from './replica-scrape.js';
import { PINNED_REVISION_HEADER, RouteFeed } from './route-feed.js';
import { acceptTls, type TlsAcceptor, type TlsMaterial } from './tls-accept.js';
import { DEFAULT_OUTLIER_POLICY, type OutlierPolicy } from './traffic/outlier.js';
import { type Lease, notReadyMessage, TrafficRouter } from './traffic/router.js';

const NO_CANDIDATES: HostTarget[] = [];
/** On the answer of a request held for a replica to start: how long it was held (ms). */
export const COLD_START_HEADER = 'x-inferd-cold-start-ms';
const HOST_CACHE_MAX = 1024;

export interface ControlPlane {
  /** Returns false for paths it does not own. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/** InferenceGraphs served on the same hosts and paths as services (src/graph/graph-handler.ts). */
export interface GraphRoutes {
  /** Serves the request when `namespace/name` is a graph; false when it is none. */
  handle(req: IncomingMessage, res: ServerResponse, namespace: string, name: string): boolean;
}

export interface GatewayOptions {
  endpoints: EndpointTable;
  controlPlane: ControlPlane[];
  domain: string;
  holdTimeoutMs: number;
  log: Logger;
  /** The replica client's pool, body limits and timeouts (proxy.ts); defaults otherwise. */
  proxy?: ReplicaProxyOptions;
  /** `POST /v2/repository/models/NAME/load|unload` (and the gRPC RPCs) through this port; default false: 403. */
  allowRepositoryApi?: boolean;
  /** gRPC to inferd's replicas over the gRPC link (grpc-proxy.ts); default true. */
  grpcLink?: boolean;
  /** `inferd serve --tls-cert/--tls-key`: the port speaks TLS only (tls-accept.ts); unset: plain HTTP + h2c. */
  tls?: TlsMaterial;
  /** Who may call which service (src/auth); none: every model route is open. */
  auth?: ModelGate;
  /** Where the gateway counts traffic per revision and replica (the autoscaler reads it); created if absent. */
  stats?: TrafficStats;
  /** Requests held per revision (for a replica to start or a free slot); one more gets 429. Default 100. */
  maxQueuedPerRevision?: number;
  /** Longest wait for a free slot under containerConcurrency before 503. Default holdTimeoutMs. */
  queueTimeoutMs?: number;
  /** Outlier ejection (Istio's outlierDetection); defaults: 5 failures, 30 s base, 300 s at most. */
  outlier?: Partial<OutlierPolicy>;
  /** InferenceGraphs: tried for a host or /serving path that names no InferenceService. */
  graphs?: GraphRoutes;
  /** Record per-request metrics (`inferd serve --metrics=false` turns it off; the other series stay). Default true. */
  recordMetrics?: boolean;
  /** `inferd serve --access-log`: a JSON line per finished model request; unset: none is built. */
  accessLog?: AccessLog;
  /** Add the ready replicas' own /metrics pages to the gateway's (replica-scrape.ts). Default false. */
  replicaMetrics?: boolean;
}

/** `x-request-id`: accepted from the client, made up when missing (with the access log on), and returned. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The Retry-After of a 503 for a service that is not ready. */
const RETRY_NOT_READY_S = 5;

/**
 * The gateway's HTTP server. The same port also takes gRPC: connections that open with the HTTP/2 preface
 * (prior-knowledge h2c) go to the gRPC proxy (grpc-proxy.ts), all others to HTTP/1.1 as before.
 */
export function createGateway(opts: GatewayOptions): {
  server: http.Server;
  /**
   * Takes a connection accepted elsewhere on loopback (a predictor listener) as plain HTTP/1.1 or h2c, also
   * when the port itself speaks TLS.
   */
  acceptLoopback(socket: import('node:net').Socket): void;
  proxy: ReplicaProxy;
  /** Set when the port speaks TLS: `reload()` re-reads the certificate files (SIGHUP). */
  tls?: TlsAcceptor;
  /** Per-revision traffic counters (given in the options or created here). */
  stats: TrafficStats;
  /** `GET /metrics`; `register()` adds other components' series. */
  metrics: GatewayMetrics;
  /** Route and replica choice, queues and outlier ejection. */
  traffic: TrafficRouter;
  close(): void;
} {
  const proxy = new ReplicaProxy(opts.proxy);
  const stats = opts.stats ?? new TrafficStats();
  const metrics = new GatewayMetrics(opts.endpoints, stats);
  const traffic = new TrafficRouter({
    endpoints: opts.endpoints,
    stats,
    metrics,
    log: opts.log,
    holdTimeoutMs: opts.holdTimeoutMs,
    queueTimeoutMs: opts.queueTimeoutMs ?? opts.holdTimeoutMs,
    maxQueuedPerRevision: opts.maxQueuedPerRevision ?? 100,
    outlier: { ...DEFAULT_OUTLIER_POLICY, ...opts.outlier },
  });
  const recording = opts.recordMetrics !== false;
  const accessLog = opts.accessLog;
  // Neither on: no clock is read and nothing is recorded per request.
  const observing = recording || accessLog !== undefined;
  const grpcProxy = new GrpcProxy({
    targetOf: opts.proxy?.targetOf,
    traffic,
    endpoints: opts.endpoints,
    domain: opts.domain,
    log: opts.log,
    version: packageVersion(),
    allowRepositoryApi: opts.allowRepositoryApi,
    link: opts.grpcLink,
    // Over TLS, clients negotiate h2 for REST too (curl, kubectl, browsers): those requests take the HTTP path.
    plainHttp2: opts.tls
      ? (stream, headers, flags, raw) => h2Rest.emit('stream', stream, headers, flags, raw)
      : undefined,
    auth: opts.auth,
    finished: observing
      ? (ep, route, grpcStatus, t0, headers) => {
          const id = headers[REQUEST_ID_HEADER];
          finish(
            typeof id === 'string' ? id : undefined,
            'POST',
            headers[':path'] ?? '',
            ep,
            route,
            'grpc',
            httpStatusOfGrpc(grpcStatus),
            t0,
          );
        }
      : undefined,
  });
  const allowRepositoryApi = opts.allowRepositoryApi === true;
  const auth = opts.auth;
  // Host → candidate services, memoised (a pure function of the Host string; bounded).
  const hostCache = new Map<string, HostTarget[]>();
  const candidatesFor = (host: string | undefined): HostTarget[] => {
    if (host === undefined) return NO_CANDIDATES;
    let c = hostCache.get(host);
    if (c === undefined) {
      c = serviceCandidatesForHost(host, opts.domain);
      if (hostCache.size >= HOST_CACHE_MAX) hostCache.clear();
      hostCache.set(host, c);
    }
    return c;
  };

  // A replica that moved to another port (restart) or went away: its idle pooled sockets are closed now,
  // and its outlier state and metric series are forgotten.
  let livePorts = new Set<number>();
  const liveReplicas = (): { ports: Set<number>; keys: Set<string>; revisions: Set<string> } => {
    const ports = new Set<number>();
    const keys = new Set<string>();
    const revisions = new Set<string>();
    for (const ep of opts.endpoints.all()) {
      for (const r of ep.routes) {
        revisions.add(r.key);
        for (const t of r.replicas) {
          ports.add(t.port);
          keys.add(t.key);
        }
      }
    }
    return { ports, keys, revisions };
  };
  const onEndpointChange = () => {
    const { ports, keys, revisions } = liveReplicas();
    for (const old of livePorts) if (!ports.has(old)) proxy.dropIdle(old);
    livePorts = ports;
    traffic.outlier.prune(keys);
    metrics.prune(revisions, keys);
  };
  livePorts = liveReplicas().ports;
  opts.endpoints.on('change', onEndpointChange);

  const routeFeed = new RouteFeed(opts.endpoints, traffic, stats, (ep, route, status, seconds) => {
    if (recording) metrics.request(ep, route, 'other', status, seconds);
  });
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // A transformer's call through its predictor listener (routing/predictor-listeners.ts) names the predictor.
    const override = hostOverrideOf(req.socket);
    if (override !== undefined) {
      req.headers.host = override;
      // The SDK's client-side routing (route-feed.ts): only on a predictor listener.
      if (req.url?.startsWith('/.inferd/')) {
        const c = candidatesFor(override)[0];
        if (c) routeFeed.handle(req, res, c.namespace, c.name);
        else replyError(res, 404, `no service for ${override}`);
        return;
      }
    }
    // An OIDC JWT is verified asynchronously first (the gate itself is synchronous); the body waits unread.
    const t0 = observing ? performance.now() : 0;
    const wait = auth?.prepare?.(req.headers.authorization);
    if (wait) void wait.then(() => serveRequest(req, res, t0));
    else serveRequest(req, res, t0);
  };
  const serveRequest = (req: IncomingMessage, res: ServerResponse, t0: number): void => {
    const url = req.url ?? '/';
    const first = url.charCodeAt(1);
    // Control plane paths start with /api, /apis, /version, /healthz, /readyz, /openapi, /ui (cheap first-char check first).
    if (
      first === 97 /* a */ ||
      first === 117 /* u */ ||
      first === 118 /* v */ ||
      first === 104 /* h */ ||
      first === 114 /* r */ ||
      first === 111 /* o */
    ) {
      if (!url.startsWith('/v1/') && !url.startsWith('/v2/') && url !== '/v2') {
        for (const cp of opts.controlPlane) if (cp.handle(req, res)) return;
      }
    }
    if (accessLog !== undefined) requestId(req, res);
    try {
      route(req, res, url, t0);
    } catch (err) {
      failed(res, err);
    }
  };
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, onRequest);
  // HTTP/2 REST (TLS only) through node's compatibility request/response, shaped like HTTP/1.1's for the handlers.
  const h2Rest = http2.createServer({}, (req, res) => {
    asHttp1Request(req);
    onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });

  function failed(res: ServerResponse, err: unknown): void {
    opts.log.error('gateway error', { error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) replyError(res, 500, 'internal gateway error');
    else res.destroy();
  }

  /** The client's `x-request-id`, or a new one: sent on to the replica and returned to the client. */
  function requestId(req: IncomingMessage, res: ServerResponse): void {
    let id = req.headers[REQUEST_ID_HEADER];
    if (typeof id !== 'string' || id === '') {
      id = randomUUID();
      req.headers[REQUEST_ID_HEADER] = id;
      req.rawHeaders.push(REQUEST_ID_HEADER, id);
    }
    res.setHeader(REQUEST_ID_HEADER, id);
  }

  /** One finished request: the metrics and the access log, whichever is on. */
  function finish(
    id: string | undefined,
    method: string,
    path: string,
    ep: ServiceEndpoint | undefined,
    route: RevisionRoute | undefined,
    protocol: GatewayProtocol,
    status: number,
    t0: number,
  ): void {
    const seconds = (performance.now() - t0) / 1000;
    if (recording) {
      if (ep !== undefined) metrics.request(ep, route, protocol, status, seconds);
      else metrics.unrouted(protocol, status, seconds);
    }
    if (accessLog !== undefined) {
      const labels = ep !== undefined ? componentOf(ep) : undefined;
      accessLog.write({
        time: new Date().toISOString(),
        request_id: id ?? '',
        method,
        path,
        namespace: ep?.namespace ?? '',
        service: labels?.service ?? '',
        component: labels?.component ?? '',
        revision: route?.revision ?? '',
        protocol,
        status,
        duration_ms: Math.round(seconds * 1e6) / 1000,
      });
    }
  }

  /** A REST request answered now (or its client gone: 499). */
  function finished(
    req: IncomingMessage,
    res: ServerResponse,
    ep: ServiceEndpoint | undefined,
    route: RevisionRoute | undefined,
    path: string,
    t0: number,
  ): void {
    if (!observing) return;
    const id = req.headers[REQUEST_ID_HEADER];
    finish(
      typeof id === 'string' ? id : undefined,
      req.method ?? 'GET',
      path,
      ep,
      route,
      protocolOfPath(path),
      res.writableEnded ? res.statusCode : 499,
      t0,
    );
  }

  /** An InferenceGraph's request, recorded when its answer ends. */
  function graphFinished(
    req: IncomingMessage,
    res: ServerResponse,
    ns: string,
    name: string,
    path: string,
    t0: number,
  ) {
    if (!observing) return;
    res.once('close', () => {
      const status = res.writableEnded ? res.statusCode : 499;
      const seconds = (performance.now() - t0) / 1000;
      if (recording) metrics.graphRequest(ns, name, protocolOfPath(path), status, seconds);
      if (accessLog !== undefined) {
        const id = req.headers[REQUEST_ID_HEADER];
        accessLog.write({
          time: new Date().toISOString(),
          request_id: typeof id === 'string' ? id : '',
          method: req.method ?? 'POST',
          path,
          namespace: ns,
          service: name,
          component: 'graph',
          revision: '',
          protocol: protocolOfPath(path),
          status,
          duration_ms: Math.round(seconds * 1e6) / 1000,
        });
      }
    });
  }

  function route(req: IncomingMessage, res: ServerResponse, url: string, t0: number): void {
    const candidates = candidatesFor(req.headers.host);
    if (candidates.length > 0) {
      let ep = opts.endpoints.get(candidates[0]!.namespace, candidates[0]!.name);
      let tag: string | undefined;
      for (let i = 1; ep === undefined && i < candidates.length; i++) {
        ep = opts.endpoints.get(candidates[i]!.namespace, candidates[i]!.name);
        tag = candidates[i]!.tag;
      }
      // Authorised before existence is told: another namespace's caller gets 403 whether or not it exists.
      const target = ep ?? candidates[candidates.length - 1]!;
      if (auth && !admit(req, res, target.namespace, target.name, url)) {
        finished(req, res, ep, undefined, url, t0);
        return;
      }
      if (!ep) {
        const c0 = candidates[0]!;
        if (opts.graphs?.handle(req, res, c0.namespace, c0.name)) {
          graphFinished(req, res, c0.namespace, c0.name, url, t0);
          return;
        }
        const c = candidates[candidates.length - 1]!;
        replyError(
          res,
          404,
          `InferenceService ${c.name} does not exist in namespace ${c.namespace} (Host: ${req.headers.host})`,
        );
        finished(req, res, undefined, undefined, url, t0);
        return;
      }
      send(req, res, ep, url, tag, t0);
      return;
    }
    const template = parseServingPath(url);
    if (template) {
      const ep = opts.endpoints.get(template.namespace, template.name);
      if (auth && !admit(req, res, template.namespace, template.name, template.path)) {
        finished(req, res, ep, undefined, template.path, t0);
        return;
      }
      if (!ep) {
        if (opts.graphs?.handle(req, res, template.namespace, template.name)) {
          graphFinished(req, res, template.namespace, template.name, template.path, t0);
          return;
        }
        replyError(res, 404, `InferenceService ${template.name} does not exist in namespace ${template.namespace}`);
        finished(req, res, undefined, undefined, template.path, t0);
        return;
      }
      send(req, res, ep, template.path, undefined, t0);
      return;
    }
    const model = modelNameFromPath(url);
    if (model === undefined) {
      gatewayOwn(req, res, url, t0);
      return;
    }
    let matches = opts.endpoints.byModelName(model);
    if (auth) {
      // Services the caller may not call are not there for it: the same 404 as a model that does not exist.
      const seen = auth.visible(req.headers.authorization, req.socket.remoteAddress, matches);
      if (seen.refusal) {
        req.resume();
        refuseModel(res, seen.refusal);
        finished(req, res, undefined, undefined, url, t0);
        return;
      }
      matches = seen.visible;
      dropAuthorization(req);
    }
    if (matches.length === 0) {
      replyError(res, 404, `Model with name ${model} does not exist.`);
      finished(req, res, undefined, undefined, url, t0);
      return;
    }
    const picked = pickByModelName(matches);
    if (picked === undefined) {
      const hosts = matches.map((m) => `${m.name}.${m.namespace}.${opts.domain}`).join(', ');
      replyError(
        res,
        400,
        `model name ${model} is served in ${matches.length} namespaces; choose one with a Host header (${hosts}) or a /serving/{namespace}/${model}/ path`,
      );
      finished(req, res, undefined, undefined, url, t0);
      return;
    }
    send(req, res, picked, url, undefined, t0);
  }

  /** Model routes under auth: true to go on; otherwise the refusal has been sent. Health stays open. */
  function admit(req: IncomingMessage, res: ServerResponse, namespace: string, name: string, path: string): boolean {
    if (path.startsWith('/v2/health/')) return true;
    // A transformer's call through its predictor listener is inferd's own hop (docs/containers.md).
    if (hostOverrideOf(req.socket) !== undefined) return true;
    const refusal = auth?.check(req.headers.authorization, req.socket.remoteAddress, namespace, name);
    if (refusal) {
      req.resume();
      refuseModel(res, refusal);
      return false;
    }
    dropAuthorization(req);
    return true;
  }

  /** The services a listing may show this caller (all of them without auth). */
  function listable(req: IncomingMessage): ServiceEndpoint[] {
    const all = opts.endpoints.all();
    return auth ? auth.visible(req.headers.authorization, req.socket.remoteAddress, all).visible : all;
  }

  /**
   * Forwards at once to a replica with a free slot (no promise on this path); otherwise holds the request in
   * its revision's queue (a replica starting, or all at containerConcurrency) or answers why not.
   */
  function send(
    req: IncomingMessage,
    res: ServerResponse,
    service: ServiceEndpoint,
    path: string,
    tag: string | undefined,
    t0: number,
  ): void {
    // `:explain` goes to the service's explainer when it has one (docs/containers.md), else to the predictor.
    const ep = path.includes(':explain')
      ? (opts.endpoints.get(service.namespace, `${service.name}-explainer`) ?? service)
      : service;
    // Load/unload would change the model for every client (issue 10, H2): only with the serve flag.
    if (!allowRepositoryApi && path.charCodeAt(4) === 114 /* r */ && isRepositoryChange(path)) {
      replyError(res, 403, REPOSITORY_REFUSED);
      req.resume();
      finished(req, res, ep, undefined, path, t0);
      return;
    }
    // An SDK transformer that picked the revision by weight itself but sends through here (route-feed.ts).
    const pinned = req.headers[PINNED_REVISION_HEADER];
    const route = traffic.choose(
      ep,
      tag,
      typeof pinned === 'string' && hostOverrideOf(req.socket) !== undefined ? pinned : undefined,
    );
    if (route === undefined) {
      req.resume();
      if (tag !== undefined) {
        replyError(
          res,
          404,
          `InferenceService ${ep.namespace}/${ep.name} has no revision tagged "${tag}" (tags need the annotation serving.kserve.io/enable-tag-routing: "true")`,
        );
      } else replyError(res, 503, notReadyMessage(ep, undefined), { 'retry-after': RETRY_NOT_READY_S });
      finished(req, res, ep, undefined, path, t0);
      return;
    }
    const lease = traffic.take(route);
    if (lease !== undefined) {
      forwardTo(req, res, lease, path, ep, t0);
      return;
    }
    req.pause();
    let cancel: () => void = () => {};
    // A client that goes away while held takes its request with it: nothing is sent to the replica.
    const onClose = () => {
      cancel();
      finished(req, res, ep, route, path, t0);
    };
    res.once('close', onClose);
    cancel = traffic.wait(ep, route, tag, {
      grant(l) {
        res.off('close', onClose);
        if (req.destroyed || res.destroyed) {
          traffic.done(l, undefined);
          return;
        }
        req.resume();
        forwardTo(req, res, l, path, ep, t0);
      },
      refuse(status, message, retryAfterS) {
        res.off('close', onClose);
        if (res.destroyed) return;
        req.resume();
        replyError(res, status, message, retryAfterS > 0 ? { 'retry-after': retryAfterS } : {});
        finished(req, res, ep, route, path, t0);
      },
    });
  }

  function forwardTo(
    req: IncomingMessage,
    res: ServerResponse,
    lease: Lease,
    path: string,
    ep: ServiceEndpoint,
    t0: number,
  ): void {
    // end exactly once: answered (its status), failed (502/504 from the proxy), or the client went away.
    res.on('close', () => {
      traffic.done(lease, res.writableEnded ? res.statusCode : undefined);
      if (observing) finished(req, res, ep, lease.route, path, t0);
    });
    let lines: string | undefined;
    if (lease.coldMs !== undefined) {
      res.setHeader(COLD_START_HEADER, lease.coldMs);
      lines = `${COLD_START_HEADER}: ${lease.coldMs}\r\n`;
    }
    // The direct write sends the replica's head as it came: the request id goes with it as an extra line.
    if (accessLog !== undefined) lines = `${lines ?? ''}${REQUEST_ID_HEADER}: ${req.headers[REQUEST_ID_HEADER]}\r\n`;
    proxy.forward(req, res, lease.replica.port, path, lease.route.timeoutMs, lines, `${ep.namespace}/${ep.name}`);
  }

  const extraModels = (e: ServiceEndpoint) => opts.endpoints.extraModelsOf(e.namespace, e.name);

  // Paths that name no service: the gateway's own liveness and a listing of what it serves.
  function gatewayOwn(req: IncomingMessage, res: ServerResponse, url: string, t0: number): void {
    const path = url.split('?')[0];
    if (req.method === 'GET' && (path === '/v1/models' || path === '/v2/models')) {
      // A multi-model service's TrainedModels are listed beside the services' own model names.
      const names = [...new Set(listable(req).flatMap((e) => [e.modelName, ...extraModels(e)]))].sort();
      replyJson(res, 200, { models: names });
      return;
    }
    if ((req.method === 'GET' || req.method === 'POST') && path === '/v2/repository/index') {
      // The repository index across services, in KServe's entry shape (`ready: true` filters, as Triton's client asks).
      readSmallJson(req, (body) => {
        const readyOnly = (body as { ready?: unknown } | undefined)?.ready === true;
        const entries = listable(req)
          .flatMap((e) =>
            [e.modelName, ...extraModels(e)].map((name) => ({
              name,
              state: e.port !== undefined ? 'Ready' : 'NotReady',
              reason: e.port !== undefined ? '' : (e.reason ?? ''),
            })),
          )
          .filter((e) => !readyOnly || e.state === 'Ready')
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        replyJson(res, 200, entries);
      });
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      const refusal = auth?.readMetrics?.(req.headers.authorization, req.socket.remoteAddress);
      if (refusal) {
        req.resume();
        refuseModel(res, refusal);
        return;
      }
      const own = metrics.render();
      const reply = (text: string) => {
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      if (opts.replicaMetrics) void scrapeReplicas(replicaPages(opts.endpoints)).then((pages) => reply(own + pages));
      else reply(own);
      return;
    }
    if (req.method === 'GET' && path === '/v2/health/live') replyJson(res, 200, { live: true });
    else if (req.method === 'GET' && path === '/') replyJson(res, 200, { status: 'alive' });
    else {
      replyJson(res, 404, { detail: 'Not Found' });
      finished(req, res, undefined, undefined, path ?? url, t0);
    }
  }

  // Before TLS takes the port's connections: the predictor listeners' loopback sockets stay plain HTTP / h2c.
  const acceptLoopback = plainAcceptor(server, grpcProxy.server);
  const tls = opts.tls ? acceptTls(server, grpcProxy.server, opts.tls, opts.log) : undefined;
  if (!tls) acceptHttp2PriorKnowledge(server, grpcProxy.server);

  /** A small optional JSON body (at most 64 KiB); anything unreadable counts as none. */
  function readSmallJson(req: IncomingMessage, done: (body: unknown) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 65_536) chunks.push(c);
    });
    req.on('end', () => {
      try {
        done(size > 0 && size <= 65_536 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
      } catch {
        done(undefined); // not JSON: the unfiltered index
      }
    });
  }

  return {
    server,
    acceptLoopback,
    proxy,
    tls,
    stats,
    metrics,
    traffic,
    close() {
      opts.endpoints.off('change', onEndpointChange);
      traffic.close();
      grpcProxy.close();
      proxy.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * An HTTP/2 request as the HTTP/1.1 handlers read it: `host` from `:authority`, and raw headers without the
 * pseudo-headers (`:method`, `:path`, ...), which are no header lines on a replica's HTTP/1.1 request.
 */
function asHttp1Request(req: http2.Http2ServerRequest): void {
  const authority = req.headers[':authority'];
  if (req.headers.host === undefined && typeof authority === 'string') req.headers.host = authority;
  const raw: string[] = [];
  const src = req.rawHeaders;
  let host = false;
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i]!;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    if (name.toLowerCase() === 'host') host = true;
    raw.push(name, src[i + 1]!);
  }
  if (!host && typeof authority === 'string') raw.push('host', authority);
  Object.defineProperty(req, 'rawHeaders', { value: raw, configurable: true });
}
