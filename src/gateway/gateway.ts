// The one HTTP port of `inferd serve`: the control API (`/api`, `/apis`), service logs, and inference traffic
// routed by Host (`{name}.{ns}.{domain}`, `*.svc.cluster.local`) or, when the Host names no service, by the
// model name in the path or KServe's `/serving/{ns}/{name}/` template. Requests for a replica that is starting
// are held (bounded) instead of failing; a service that is not ready answers 503 JSON with the reason.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { EndpointTable, ServiceEndpoint } from '../controllers/endpoints.js';
import type { Logger } from '../log.js';
import { packageVersion } from '../server/package-version.js';
import { GrpcProxy } from './grpc-proxy.js';
import { serviceCandidatesForHost } from './host-router.js';
import { replyError, replyJson } from './json-reply.js';
import { modelNameFromPath, parseServingPath } from './path-router.js';
import { acceptHttp2PriorKnowledge } from './protocol-sniff.js';
import { ReplicaProxy } from './proxy.js';

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
}

/**
 * The gateway's HTTP server. The same port also takes gRPC: connections that open with the HTTP/2 preface
 * (prior-knowledge h2c) go to the gRPC proxy (grpc-proxy.ts), all others to HTTP/1.1 as before.
 */
export function createGateway(opts: GatewayOptions): { server: http.Server; close(): void } {
  const proxy = new ReplicaProxy();
  const grpcProxy = new GrpcProxy({
    endpoints: opts.endpoints,
    domain: opts.domain,
    holdTimeoutMs: opts.holdTimeoutMs,
    log: opts.log,
    version: packageVersion(),
  });
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    const url = req.url ?? '/';
    const first = url.charCodeAt(1);
    // Control plane paths start with /api, /apis, /version, /healthz (cheap first-char check first).
    if (first === 97 /* a */ || first === 118 /* v */ || first === 104 /* h */) {
      if (!url.startsWith('/v1/') && !url.startsWith('/v2/') && url !== '/v2') {
        for (const cp of opts.controlPlane) if (cp.handle(req, res)) return;
      }
    }
    route(req, res, url).catch((err) => {
      opts.log.error('gateway error', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) replyError(res, 500, 'internal gateway error');
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const candidates = serviceCandidatesForHost(req.headers.host, opts.domain);
    if (candidates.length > 0) {
      const ep = candidates.map((c) => opts.endpoints.get(c.namespace, c.name)).find((e) => e !== undefined);
      if (!ep) {
        const c = candidates[candidates.length - 1]!;
        replyError(
          res,
          404,
          `InferenceService ${c.name} does not exist in namespace ${c.namespace} (Host: ${req.headers.host})`,
        );
        return;
      }
      return send(req, res, ep, url);
    }
    const template = parseServingPath(url);
    if (template) {
      const ep = opts.endpoints.get(template.namespace, template.name);
      if (!ep) {
        replyError(res, 404, `InferenceService ${template.name} does not exist in namespace ${template.namespace}`);
        return;
      }
      return send(req, res, ep, template.path);
    }
    const model = modelNameFromPath(url);
    if (model === undefined) return gatewayOwn(req, res, url);
    const matches = opts.endpoints.byModelName(model);
    if (matches.length === 0) {
      replyError(res, 404, `Model with name ${model} does not exist.`);
      return;
    }
    if (matches.length > 1) {
      const hosts = matches.map((m) => `${m.name}.${m.namespace}.${opts.domain}`).join(', ');
      replyError(
        res,
        400,
        `model name ${model} is served in ${matches.length} namespaces; choose one with a Host header (${hosts}) or a /serving/{namespace}/${model}/ path`,
      );
      return;
    }
    return send(req, res, matches[0]!, url);
  }

  async function send(req: IncomingMessage, res: ServerResponse, ep: ServiceEndpoint, path: string): Promise<void> {
    let target: ServiceEndpoint | undefined = ep;
    if (target.port === undefined && target.starting) {
      req.pause();
      target = await opts.endpoints.waitReady(ep.namespace, ep.name, opts.holdTimeoutMs);
      // A client that went away while held takes its request with it: nothing is sent to the replica.
      if (req.destroyed || res.destroyed) return;
      req.resume();
    }
    if (!target || target.port === undefined) {
      const why = target?.reason ? `${target.reason}: ${target.message ?? ''}`.trim() : 'no ready replica';
      replyError(res, 503, `InferenceService ${ep.namespace}/${ep.name} is not ready: ${why}`, { 'retry-after': 5 });
      return;
    }
    proxy.forward(req, res, target.port, path);
  }

  // Paths that name no service: the gateway's own liveness and a listing of what it serves.
  function gatewayOwn(req: IncomingMessage, res: ServerResponse, url: string): void {
    const path = url.split('?')[0];
    if (req.method === 'GET' && (path === '/v1/models' || path === '/v2/models')) {
      const names = [...new Set(opts.endpoints.all().map((e) => e.modelName))].sort();
      replyJson(res, 200, { models: names });
      return;
    }
    if ((req.method === 'GET' || req.method === 'POST') && path === '/v2/repository/index') {
      // The repository index across services, in KServe's entry shape (`ready: true` filters, as Triton's client asks).
      readSmallJson(req, (body) => {
        const readyOnly = (body as { ready?: unknown } | undefined)?.ready === true;
        const entries = opts.endpoints
          .all()
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

  acceptHttp2PriorKnowledge(server, grpcProxy.server);

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
    close() {
      grpcProxy.close();
      proxy.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
