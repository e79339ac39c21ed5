// Client-side routing for a transformer started by inferd (docs/sdk.md "Calling the predictor"): the routes
// feed of its predictor listener (gateway/route-feed.ts) says which revisions of the predictor take what
// share and which replicas are ready; a call picks a revision by weight and a replica by least requests with
// the gateway's own functions (gateway/traffic/), and goes straight to the replica. What it cannot route
// itself goes through the predictor listener as before (PREDICTOR_HOST): no ready replica (scaled to zero:
// the gateway's activator holds it), a revision with containerConcurrency (the gateway keeps the limit), a
// replica whose connection failed, or no feed. Every direct call is reported on the traffic stream so the
// autoscaler, draining and the metrics count it; without a working stream nothing is routed directly.

import http from 'node:http';
import { ROUTE_FEED_ENV, ROUTES_PATH, TRAFFIC_PATH } from '../gateway/route-feed.js';
import { pickReplica } from '../gateway/traffic/balancer.js';
import { pickWeighted } from '../gateway/traffic/weighted.js';
import type { ReplicaTarget, RevisionRoute } from '../routing/endpoint-table.js';

export { ROUTE_FEED_ENV };
/**
 * Reports are written at most this often: one write for many requests (each a syscall on the transformer's
 * hot path otherwise). Ends carry their duration, so the gateway's concurrency integral stays right.
 */
const REPORT_EVERY_MS = 5;
/** Reconnect delay after the feed or the traffic stream went away (the serve restarted, the listener moved). */
const RECONNECT_MS = 1_000;

/** Where one call goes: straight to `replica`, or through the gateway pinned to `route` (none: the gateway picks). */
export interface RoutePick {
  route: RevisionRoute;
  replica: ReplicaTarget | undefined;
}

/** One direct call, from begin() to end(). */
export interface DirectCall {
  id: number;
  replica: ReplicaTarget;
  /** performance.now() at its start. */
  at: number;
}

export class PredictorRoutes {
  readonly #host: string;
  readonly #port: number;
  #routes: RevisionRoute[] = [];
  #feed: http.ClientRequest | undefined;
  #report: http.ClientRequest | undefined;
  #feedOk = false;
  #reportOk = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #inFlight = new Map<string, number>();
  /** Replicas whose connection failed since the last feed line: not picked until the feed lists them again. */
  readonly #failed = new Set<string>();
  #turn = 0;
  #nextId = 0;
  #out = '';
  #flushing = false;
  readonly #inFlightOf = (key: string) => this.#inFlight.get(key) ?? 0;
  readonly #isFailed = (key: string) => this.#failed.has(key);

  /** `feedUrl`: `http://127.0.0.1:PORT/.inferd/v1/routes` (the ROUTE_FEED_ENV value). */
  constructor(feedUrl: string) {
    const u = new URL(feedUrl);
    this.#host = u.hostname;
    this.#port = Number(u.port);
    this.#connect();
  }

  /** True while both the feed and the traffic stream are up: only then are calls routed directly. */
  get live(): boolean {
    return this.#feedOk && this.#reportOk && !this.#closed;
  }

  /**
   * Where the next call goes; undefined: through the gateway, which picks. A route without a ready replica
   * (or with containerConcurrency) comes back with `replica` undefined: through the gateway, pinned to it.
   */
  pick(): RoutePick | undefined {
    if (!this.live || this.#routes.length === 0) return undefined;
    const route = pickWeighted(this.#routes);
    if (route === undefined) return undefined;
    if (route.containerConcurrency > 0 || route.replicas.length === 0) return { route, replica: undefined };
    const replica = pickReplica(route, this.#inFlightOf, this.#isFailed, this.#turn++);
    if (replica === undefined || this.#failed.has(replica.key)) return { route, replica: undefined };
    return { route, replica };
  }

  /** A direct call to `replica` begins: counted here (least requests) and reported. end() it with the returned call. */
  begin(route: RevisionRoute, replica: ReplicaTarget): DirectCall {
    const call = { id: ++this.#nextId, replica, at: performance.now() };
    this.#inFlight.set(replica.key, this.#inFlightOf(replica.key) + 1);
    this.#send(`b ${call.id} ${route.key} ${replica.key}\n`);
    return call;
  }

  /** The call ended: the answer's status, or 0 when none came back. */
  end(call: DirectCall, status: number): void {
    const key = call.replica.key;
    const n = this.#inFlightOf(key) - 1;
    if (n > 0) this.#inFlight.set(key, n);
    else this.#inFlight.delete(key);
    this.#send(`e ${call.id} ${status} ${Math.round(performance.now() - call.at)}\n`);
  }

  /** The replica's connection failed: route around it until the feed says it is there again. */
  failed(replica: ReplicaTarget): void {
    this.#failed.add(replica.key);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#feed?.destroy();
    this.#report?.end();
    this.#feed = undefined;
    this.#report = undefined;
  }

  /** Reports go out in batches (REPORT_EVERY_MS). */
  #send(line: string): void {
    if (!this.#report) return;
    this.#out += line;
    if (this.#flushing) return;
    this.#flushing = true;
    setTimeout(() => {
      this.#flushing = false;
      const text = this.#out;
      this.#out = '';
      if (text) this.#report?.write(text);
    }, REPORT_EVERY_MS).unref();
  }

  #connect(): void {
    if (this.#closed) return;
    const down = () => {
      if (this.#feed === undefined && this.#report === undefined) return;
      this.#feedOk = false;
      this.#reportOk = false;
      this.#routes = [];
      const feed = this.#feed;
      const report = this.#report;
      this.#feed = undefined;
      this.#report = undefined;
      feed?.destroy();
      report?.destroy();
      this.#out = '';
      if (!this.#closed) {
        this.#retry = setTimeout(() => this.#connect(), RECONNECT_MS);
        this.#retry.unref();
      }
    };
    const feed = http.request({ host: this.#host, port: this.#port, path: ROUTES_PATH, agent: false });
    feed.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        down();
        return;
      }
      res.setEncoding('utf8');
      let rest = '';
      res.on('data', (chunk: string) => {
        rest += chunk;
        let nl = rest.indexOf('\n');
        while (nl >= 0) {
          this.#update(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
          nl = rest.indexOf('\n');
        }
      });
      res.on('end', down);
      res.on('error', down);
    });
    feed.on('error', down);
    feed.on('close', down);
    feed.end();
    const report = http.request({
      host: this.#host,
      port: this.#port,
      path: TRAFFIC_PATH,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
    });
    report.setNoDelay(true);
    report.on('response', (res) => {
      res.resume();
      if (res.statusCode === 200) this.#reportOk = true;
      else down();
      res.on('end', down);
    });
    report.on('error', down);
    report.on('close', down);
    report.flushHeaders();
    this.#feed = feed;
    this.#report = report;
    // Sockets of the feed and the stream must not keep a transformer's process alive on their own.
    for (const r of [feed, report]) r.on('socket', (s) => s.unref());
  }

  #update(line: string): void {
    let routes: RevisionRoute[];
    try {
      routes = (JSON.parse(line) as { routes: RevisionRoute[] }).routes.map((r) => ({
        ...r,
        latestRevision: false,
        // Tagged routes (latest-/prev- hosts) are not the transformer's to pick; their share is 0 untagged.
        replicas: r.replicas.map((t) => ({
          key: t.key,
          port: t.port,
          ...(t.grpcPort !== undefined ? { grpcPort: t.grpcPort } : {}),
        })),
      }));
    } catch {
      return; // a line this version cannot read: keep the last good routes
    }
    this.#routes = routes;
    this.#failed.clear();
    this.#feedOk = true;
  }
}
