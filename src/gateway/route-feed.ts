// Client-side routing for inferd SDK transformers (docs/containers.md "Two tiers"). A transformer started by
// inferd reaches its predictor through a loopback predictor listener (routing/predictor-listeners.ts); on that
// listener only, two more paths let the SDK's PredictorClient skip the gateway on the hot path:
//
//   GET  /.inferd/v1/routes    one JSON line per change of the predictor's routes (revisions, percents, ready
//                              replicas' loopback ports): the client picks a revision by weight and a replica
//                              by least requests itself, the same functions the gateway uses (traffic/).
//   POST /.inferd/v1/traffic   a streamed body of lines, one per direct request it begins and ends
//                              ("b ID REVISION_KEY REPLICA_KEY", "e ID STATUS MS"): counted in TrafficStats and
//                              the metrics as if the gateway had sent them, so autoscaling (concurrency, rps),
//                              draining and outlier ejection see them. The client writes them in batches (a few
//                              ms apart: one write for many requests), so an end carries the request's duration
//                              and the concurrency the counters missed is credited. A stream that ends ends
//                              what it began.
//
// Neither is reachable on the gateway's own port: only a connection accepted on a predictor listener (bound
// to 127.0.0.1, opened for one service) gets here.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { replyError } from '../http/json-reply.js';
import type { EndpointTable, RevisionRoute, ServiceEndpoint } from '../routing/endpoint-table.js';
import { ROUTES_PATH } from '../routing/predictor-listeners.js';
import type { TrafficStats } from '../routing/traffic-stats.js';
import type { Lease, TrafficRouter } from './traffic/router.js';

// Shared with the controllers (which give transformers the feed's URL): defined beside the listeners.
export { ROUTE_FEED_ENV, ROUTES_PATH } from '../routing/predictor-listeners.js';
export const TRAFFIC_PATH = '/.inferd/v1/traffic';
/** On a predictor listener only: the revision key an SDK transformer picked by weight but sends through the gateway. */
export const PINNED_REVISION_HEADER = 'x-inferd-revision';
/** Longest line of a traffic stream; a longer one ends the stream (ids and keys are short). */
const MAX_LINE = 4096;
/** Calls one stream may have begun and not ended; more ends the stream (a client that never ends its calls). */
const MAX_OPEN_CALLS = 65_536;

/** What one line of the routes feed carries: the fields of RevisionRoute a client needs to route. */
export interface FeedRoute {
  revision: string;
  key: string;
  percent: number;
  tag?: string;
  activating: boolean;
  containerConcurrency: number;
  timeoutMs?: number;
  /** `grpcPort`: the replica's gRPC port, when it serves gRPC (a transformer's grpc-v2 calls go there). */
  replicas: { key: string; host: string; port: number; grpcPort?: number }[];
}

/** The feed line for an endpoint (no endpoint: no routes, so the client goes through the gateway). */
export function feedLine(ep: ServiceEndpoint | undefined): string {
  const routes: FeedRoute[] = (ep?.routes ?? []).map((r: RevisionRoute) => ({
    revision: r.revision,
    key: r.key,
    percent: r.percent,
    ...(r.tag !== undefined ? { tag: r.tag } : {}),
    activating: r.activating,
    containerConcurrency: r.containerConcurrency,
    ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}),
    replicas: r.replicas.map((t) => ({
      key: t.key,
      host: '127.0.0.1',
      port: t.port,
      ...(t.grpcPort !== undefined ? { grpcPort: t.grpcPort } : {}),
    })),
  }));
  return `${JSON.stringify({ routes })}\n`;
}

export class RouteFeed {
  constructor(
    private readonly endpoints: EndpointTable,
    private readonly traffic: TrafficRouter,
    private readonly stats: TrafficStats,
    /** A direct call ended (the gateway's per-request metrics); its protocol is not reported, so `other`. */
    private readonly finished?: (ep: ServiceEndpoint, route: RevisionRoute, status: number, seconds: number) => void,
  ) {}

  /** Serves a `/.inferd/` request of a predictor listener for the predictor endpoint `namespace/name`. */
  handle(req: IncomingMessage, res: ServerResponse, namespace: string, name: string): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === ROUTES_PATH) this.routes(req, res, namespace, name);
    else if (req.method === 'POST' && path === TRAFFIC_PATH) this.report(req, res, namespace, name);
    else {
      req.resume();
      replyError(res, 404, `no such inferd path ${req.method} ${path}`);
    }
  }

  private routes(req: IncomingMessage, res: ServerResponse, namespace: string, name: string): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    let last = feedLine(this.endpoints.get(namespace, name));
    res.write(last);
    const onChange = (ep: { namespace: string; name: string }) => {
      if (ep.namespace !== namespace || ep.name !== name) return;
      const line = feedLine(this.endpoints.get(namespace, name));
      if (line === last) return;
      last = line;
      res.write(line);
    };
    this.endpoints.on('change', onChange);
    res.once('close', () => this.endpoints.off('change', onChange));
    req.resume();
  }

  private report(req: IncomingMessage, res: ServerResponse, namespace: string, name: string): void {
    // Headers now: the client knows its reports are taken before it routes anything itself.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    const leases = new Map<string, { lease: Lease; at: number }>();
    const opened = Date.now();
    let rest = '';
    const line = (text: string) => {
      const f = text.split(' ');
      if (f[0] === 'b' && f.length === 4) {
        const route = this.endpoints.get(namespace, name)?.routes.find((r) => r.key === f[2]);
        const replica = route?.replicas.find((t) => t.key === f[3]);
        // A route or replica gone meanwhile (rolled out, restarted): not counted, as the gateway could not have.
        // An id already begun is not begun again: its first lease would be replaced and never ended.
        if (leases.size >= MAX_OPEN_CALLS) req.destroy();
        else if (route && replica && !leases.has(f[1]!)) {
          leases.set(f[1]!, { lease: this.traffic.external(route, replica), at: Date.now() });
        }
      } else if (f[0] === 'e' && f.length === 4) {
        const began = leases.get(f[1]!);
        if (!began) return;
        leases.delete(f[1]!);
        const status = Number(f[2]);
        this.traffic.done(began.lease, status > 0 ? status : undefined);
        // The client calls directly only once this stream is open, so no call lasted longer: a bigger number
        // (1e308, Infinity) would add that much concurrency to the revision for good.
        const ms = Math.min(Math.max(0, Number(f[3]) || 0), Date.now() - opened);
        this.stats.credit(began.lease.route.key, ms - (Date.now() - began.at));
        const ep = this.finished && status > 0 ? this.endpoints.get(namespace, name) : undefined;
        if (ep) this.finished!(ep, began.lease.route, status, ms / 1000);
      }
    };
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => {
      rest += chunk;
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        line(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        nl = rest.indexOf('\n');
      }
      if (rest.length > MAX_LINE) req.destroy();
    });
    // The transformer went away (or ended its stream): what it began and did not end ends now.
    const finish = () => {
      for (const { lease } of leases.values()) this.traffic.done(lease, undefined);
      leases.clear();
      if (!res.writableEnded) res.end();
    };
    req.once('end', finish);
    req.once('close', finish);
  }
}
