// The one HTTP port of `inferd serve`: the control API (`/api`, `/apis`), service logs, and inference traffic
// routed by Host (`{name}.{ns}.{domain}`, `*.svc.cluster.local`) or, when the Host names no service, by the
// model name in the path or KServe's `/serving/{ns}/{name}/` template. Requests for a replica that is starting
// are held (bounded) instead of failing; a service that is not ready answers 503 JSON with the reason.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import { refuseModel } from '../auth/answers.js';
import { dropAuthorization, type ModelGate } from '../auth/auth-gate.js';
import { replyError, replyJson } from '../http/json-reply.js';
import type { Logger } from '../log.js';
import { packageVersion } from '../package.js';
import type { EndpointTable, ServiceEndpoint } from '../routing/endpoint-table.js';
import { GrpcProxy, REPOSITORY_REFUSED } from './grpc-proxy.js';
import { type HostTarget, serviceCandidatesForHost } from './host-router.js';
import { isRepositoryChange, modelNameFromPath, parseServingPath, pickByModelName } from './path-router.js';
import { acceptHttp2PriorKnowledge } from './protocol-sniff.js';
import { ReplicaProxy, type ReplicaProxyOptions } from './proxy.js';
import { acceptTls, type TlsAcceptor, type TlsMaterial } from './tls-accept.js';

const NO_CANDIDATES: HostTarget[] = [];
const HOST_CACHE_MAX = 1024;

export interface ControlPlane {
  /** Returns false for paths it does not own. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
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
  /** `inferd serve --tls-cert/--tls-key`: the port speaks TLS only (tls-accept.ts); unset: plain HTTP + h2c. */
  tls?: TlsMaterial;
  /** Who may call which service (src/auth); none: every model route is open. */
  auth?: ModelGate;
}

/**
 * The gateway's HTTP server. The same port also takes gRPC: connections that open with the HTTP/2 preface
 * (prior-knowledge h2c) go to the gRPC proxy (grpc-proxy.ts), all others to HTTP/1.1 as before.
 */
export function createGateway(opts: GatewayOptions): {
  server: http.Server;
  proxy: ReplicaProxy;
  /** Set when the port speaks TLS: `reload()` re-reads the certificate files (SIGHUP). */
  tls?: TlsAcceptor;
  close(): void;
} {
  const proxy = new ReplicaProxy(opts.proxy);
  const grpcProxy = new GrpcProxy({
    endpoints: opts.endpoints,
    domain: opts.domain,
    holdTimeoutMs: opts.holdTimeoutMs,
    log: opts.log,
    version: packageVersion(),
    allowRepositoryApi: opts.allowRepositoryApi,
    // Over TLS, clients negotiate h2 for REST too (curl, kubectl, browsers): those requests take the HTTP path.
    plainHttp2: opts.tls
      ? (stream, headers, flags, raw) => h2Rest.emit('stream', stream, headers, flags, raw)
      : undefined,
    auth: opts.auth,
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

  // A replica that moved to another port (restart) or went away: its idle pooled sockets are closed now.
  const portOf = new Map<string, number>();
  const onEndpointChange = (ep: { namespace: string; name: string }) => {
    const key = `${ep.namespace}/${ep.name}`;
    const old = portOf.get(key);
    const now = opts.endpoints.get(ep.namespace, ep.name)?.port;
    if (now === undefined) portOf.delete(key);
    else portOf.set(key, now);
    if (old !== undefined && old !== now && ![...portOf.values()].includes(old)) proxy.dropIdle(old);
  };
  for (const ep of opts.endpoints.all()) if (ep.port !== undefined) portOf.set(`${ep.namespace}/${ep.name}`, ep.port);
  opts.endpoints.on('change', onEndpointChange);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // An OIDC JWT is verified asynchronously first (the gate itself is synchronous); the body waits unread.
    const wait = auth?.prepare?.(req.headers.authorization);
    if (wait) void wait.then(() => serveRequest(req, res));
    else serveRequest(req, res);
  };
  const serveRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const first = url.charCodeAt(1);
    // Control plane paths start with /api, /apis, /version, /healthz, /readyz, /openapi (cheap first-char check first).
    if (
      first === 97 /* a */ ||
      first === 118 /* v */ ||
      first === 104 /* h */ ||
      first === 114 /* r */ ||
      first === 111 /* o */
    ) {
      if (!url.startsWith('/v1/') && !url.startsWith('/v2/') && url !== '/v2') {
        for (const cp of opts.controlPlane) if (cp.handle(req, res)) return;
      }
    }
    try {
      route(req, res, url);
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

  function route(req: IncomingMessage, res: ServerResponse, url: string): void {
    const candidates = candidatesFor(req.headers.host);
    if (candidates.length > 0) {
      let ep = opts.endpoints.get(candidates[0]!.namespace, candidates[0]!.name);
      for (let i = 1; ep === undefined && i < candidates.length; i++) {
        ep = opts.endpoints.get(candidates[i]!.namespace, candidates[i]!.name);
      }
      // Authorised before existence is told: another namespace's caller gets 403 whether or not it exists.
      const target = ep ?? candidates[candidates.length - 1]!;
      if (auth && !admit(req, res, target.namespace, target.name, url)) return;
      if (!ep) {
        const c = candidates[candidates.length - 1]!;
        replyError(
          res,
          404,
          `InferenceService ${c.name} does not exist in namespace ${c.namespace} (Host: ${req.headers.host})`,
        );
        return;
      }
      send(req, res, ep, url);
      return;
    }
    const template = parseServingPath(url);
    if (template) {
      if (auth && !admit(req, res, template.namespace, template.name, template.path)) return;
      const ep = opts.endpoints.get(template.namespace, template.name);
      if (!ep) {
        replyError(res, 404, `InferenceService ${template.name} does not exist in namespace ${template.namespace}`);
        return;
      }
      send(req, res, ep, template.path);
      return;
    }
    const model = modelNameFromPath(url);
    if (model === undefined) {
      gatewayOwn(req, res, url);
      return;
    }
    let matches = opts.endpoints.byModelName(model);
    if (auth) {
      // Services the caller may not call are not there for it: the same 404 as a model that does not exist.
      const seen = auth.visible(req.headers.authorization, req.socket.remoteAddress, matches);
      if (seen.refusal) {
        req.resume();
        refuseModel(res, seen.refusal);
        return;
      }
      matches = seen.visible;
      dropAuthorization(req);
    }
    if (matches.length === 0) {
      replyError(res, 404, `Model with name ${model} does not exist.`);
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
      return;
    }
    send(req, res, picked, url);
  }

  /** Model routes under auth: true to go on; otherwise the refusal has been sent. Health stays open. */
  function admit(req: IncomingMessage, res: ServerResponse, namespace: string, name: string, path: string): boolean {
    if (path.startsWith('/v2/health/')) return true;
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

  /** Forwards at once to a ready replica (no promise on this path); holds the request for a starting one. */
  function send(req: IncomingMessage, res: ServerResponse, ep: ServiceEndpoint, path: string): void {
    // Load/unload would change the model for every client (issue 10, H2): only with the serve flag.
    if (!allowRepositoryApi && path.charCodeAt(4) === 114 /* r */ && isRepositoryChange(path)) {
      replyError(res, 403, REPOSITORY_REFUSED);
      req.resume();
      return;
    }
    if (ep.port !== undefined) {
      proxy.forward(req, res, ep.port, path);
      return;
    }
    if (ep.starting) {
      hold(req, res, ep, path).catch((err) => failed(res, err));
      return;
    }
    notReady(res, ep, ep);
  }

  async function hold(req: IncomingMessage, res: ServerResponse, ep: ServiceEndpoint, path: string): Promise<void> {
    req.pause();
    const target = await opts.endpoints.waitReady(ep.namespace, ep.name, opts.holdTimeoutMs);
    // A client that went away while held takes its request with it: nothing is sent to the replica.
    if (req.destroyed || res.destroyed) return;
    req.resume();
    if (!target || target.port === undefined) {
      notReady(res, ep, target);
      return;
    }
    proxy.forward(req, res, target.port, path);
  }

  function notReady(res: ServerResponse, ep: ServiceEndpoint, state: ServiceEndpoint | undefined): void {
    const why = state?.reason ? `${state.reason}: ${state.message ?? ''}`.trim() : 'no ready replica';
    replyError(res, 503, `InferenceService ${ep.namespace}/${ep.name} is not ready: ${why}`, { 'retry-after': 5 });
  }

  // Paths that name no service: the gateway's own liveness and a listing of what it serves.
  function gatewayOwn(req: IncomingMessage, res: ServerResponse, url: string): void {
    const path = url.split('?')[0];
    if (req.method === 'GET' && (path === '/v1/models' || path === '/v2/models')) {
      const names = [...new Set(listable(req).map((e) => e.modelName))].sort();
      replyJson(res, 200, { models: names });
      return;
    }
    if ((req.method === 'GET' || req.method === 'POST') && path === '/v2/repository/index') {
      // The repository index across services, in KServe's entry shape (`ready: true` filters, as Triton's client asks).
      readSmallJson(req, (body) => {
        const readyOnly = (body as { ready?: unknown } | undefined)?.ready === true;
        const entries = listable(req)
          .map((e) => ({
            name: e.modelName,
            state: e.port !== undefined ? 'Ready' : 'NotReady',
            reason: e.port !== undefined ? '' : (e.reason ?? ''),
          }))
          .filter((e) => !readyOnly || e.state === 'Ready')
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        replyJson(res, 200, entries);
      });
      return;
    }
    if (req.method === 'GET' && path === '/v2/health/live') replyJson(res, 200, { live: true });
    else if (req.method === 'GET' && path === '/') replyJson(res, 200, { status: 'alive' });
    else replyJson(res, 404, { detail: 'Not Found' });
  }

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
    proxy,
    tls,
    close() {
      opts.endpoints.off('change', onEndpointChange);
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
