// Per request, for REST and gRPC alike: which revision (weighted by percent, or the one a tag host names),
// which replica (balancer.ts), and what to do when none can take it now: hold it in the revision's FIFO
// queue — for a replica to start (the activator: `activating` routes, demand signalled to the autoscaler) or
// for a free slot (containerConcurrency) — bounded in length (429 when full) and in time (503 with
// Retry-After). Keeps TrafficStats (arrived, queued, in flight) and outlier ejection up to date; the
// transports only call take/wait/done.

import type { Logger } from '../../log.js';
import type { EndpointTable, ReplicaTarget, RevisionRoute, ServiceEndpoint } from '../../routing/endpoint-table.js';
import type { TrafficStats } from '../../routing/traffic-stats.js';
import type { GatewayMetrics } from '../metrics.js';
import { pickReplica } from './balancer.js';
import { DEFAULT_OUTLIER_POLICY, OutlierDetector, type OutlierPolicy } from './outlier.js';
import { pickTagged, pickWeighted } from './weighted.js';

/** A request's slot on a replica: from take/grant until done. */
export interface Lease {
  readonly route: RevisionRoute;
  readonly replica: ReplicaTarget;
  /** How long the request was held for a replica to start (ms); undefined when it was not. */
  coldMs: number | undefined;
  /** Set by done(): it is counted once. */
  ended: boolean;
}

/** A request waiting in a revision's queue. Exactly one of the two is called, once (unless cancelled). */
export interface Waiter {
  grant(lease: Lease): void;
  refuse(status: number, message: string, retryAfterS: number): void;
}

export interface TrafficOptions {
  endpoints: EndpointTable;
  stats: TrafficStats;
  metrics: GatewayMetrics;
  log: Logger;
  /** Longest hold for a replica to start (the activator); then 503. */
  holdTimeoutMs: number;
  /** Longest wait for a free slot under containerConcurrency; then 503. */
  queueTimeoutMs: number;
  /** Requests held per revision (both kinds); one more gets 429. */
  maxQueuedPerRevision: number;
  outlier?: OutlierPolicy;
  now?: () => number;
}

interface Held {
  waiter: Waiter;
  namespace: string;
  name: string;
  tag: string | undefined;
  since: number;
  /** When it is refused with 503 if still held (ms). */
  deadline: number;
  /** Held because the revision had no replica (a cold start), not for a slot. */
  cold: boolean;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
  /** The revision whose queue holds it now. */
  key: string;
}

class RevisionQueue {
  items: Held[] = [];
  head = 0;
  live = 0;

  push(h: Held): void {
    this.items.push(h);
    this.live++;
  }

  /** The oldest waiter still waiting. */
  peek(): Held | undefined {
    while (this.head < this.items.length && this.items[this.head]!.done) this.head++;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
}

/** Retry-After (s) on a 429 (a slot frees soon) and on a 503 for a replica that did not start in time. */
const RETRY_FULL_S = 1;
const RETRY_NOT_READY_S = 5;

export class TrafficRouter {
  readonly outlier: OutlierDetector;
  private readonly queues = new Map<string, RevisionQueue>();
  private readonly now: () => number;
  /** Held requests across revisions: the table's 'change' is listened to only while there are any. */
  private held = 0;
  private turn = 0;
  private readonly inFlight: (key: string) => number;
  private readonly isEjected: (key: string) => boolean;

  constructor(private readonly opts: TrafficOptions) {
    this.now = opts.now ?? Date.now;
    this.outlier = new OutlierDetector(opts.outlier ?? DEFAULT_OUTLIER_POLICY, this.now);
    const stats = opts.stats;
    this.inFlight = (key) => stats.inFlightTo(key);
    this.isEjected = (key) => this.outlier.ejected(key);
  }

  /**
   * The revision for a request: the tag's route, or one by percent; undefined when none (the caller says why).
   * `pinned`: the revision key an SDK transformer already picked by weight (route-feed.ts), when it still exists.
   */
  choose(ep: ServiceEndpoint, tag: string | undefined, pinned?: string): RevisionRoute | undefined {
    const route = (pinned !== undefined ? ep.routes.find((r) => r.key === pinned) : undefined) ?? routeFor(ep, tag);
    if (route !== undefined && route.revision !== '') this.opts.stats.arrived(route.key);
    return route;
  }

  /** A slot on one of the route's replicas now, or undefined (none ready, all full, or others queue first). */
  take(route: RevisionRoute): Lease | undefined {
    if (this.queues.size > 0) {
      const q = this.queues.get(route.key);
      if (q !== undefined && q.live > 0) return undefined; // first come, first served
    }
    const replica = pickReplica(route, this.inFlight, this.isEjected, this.turn++);
    if (replica === undefined) return undefined;
    return this.begin(route, replica, undefined);
  }

  /**
   * A request an SDK transformer sent to the replica itself (route-feed.ts): counted as if sent from here
   * (arrived, in flight); done() ends it.
   */
  external(route: RevisionRoute, replica: ReplicaTarget): Lease {
    this.opts.stats.arrived(route.key);
    return this.begin(route, replica, undefined);
  }

  /**
   * Holds a request that take() could not place: in the route's queue until a slot frees or a replica
   * appears, or refuses it now (503 when the revision has no replica and none is starting, 429 when the
   * queue is full). Returns a cancel function (the client went away).
   */
  wait(ep: ServiceEndpoint, route: RevisionRoute, tag: string | undefined, waiter: Waiter): () => void {
    const cold = route.replicas.length === 0;
    if (cold && !route.activating) {
      this.opts.metrics.refused(route.key, 503);
      waiter.refuse(503, notReadyMessage(ep, route), RETRY_NOT_READY_S);
      return noop;
    }
    const since = this.now();
    const h: Held = {
      waiter,
      namespace: ep.namespace,
      name: ep.name,
      tag,
      since,
      deadline: since + (cold ? this.opts.holdTimeoutMs : this.opts.queueTimeoutMs),
      cold,
      timer: undefined,
      done: false,
      key: route.key,
    };
    if (!this.enqueue(h, route)) return noop;
    if (cold && route.revision !== '') this.opts.stats.demand(route.key); // the activator's poke: start one now
    return () => {
      if (!h.done) this.leave(h);
    };
  }

  /** The exchange of a lease ended: `status` of the answer, or undefined when the client went away first. */
  done(lease: Lease, status: number | undefined): void {
    if (lease.ended) return;
    lease.ended = true;
    const { route, replica } = lease;
    this.opts.stats.end(route.key, replica.key);
    if (status !== undefined) {
      if (status >= 500) {
        if (status === 504) this.opts.metrics.refused(route.key, 504); // the revision's timeout (or the replica's)
        const ms = this.outlier.failure(replica.key, route.replicas);
        if (ms > 0) {
          this.opts.metrics.ejected(replica.key);
          this.opts.log.warn('replica ejected', { revision: route.key, replica: replica.key, ejectedMs: ms });
        }
      } else this.outlier.success(replica.key);
    }
    if (this.held > 0) this.drain(route.key);
  }

  /** Requests held now for the revision (tests, metrics). */
  queued(revisionKey: string): number {
    return this.queues.get(revisionKey)?.live ?? 0;
  }

  close(): void {
    for (const q of this.queues.values()) {
      for (let h = q.peek(); h !== undefined; h = q.peek()) {
        this.leave(h);
        h.waiter.refuse(503, 'the gateway is shutting down', RETRY_NOT_READY_S);
      }
    }
    this.queues.clear();
  }

  private begin(route: RevisionRoute, replica: ReplicaTarget, coldMs: number | undefined): Lease {
    this.opts.stats.begin(route.key, replica.key);
    return { route, replica, coldMs, ended: false };
  }

  /** Puts a held request in its route's queue; false (and answered 429) when the queue is full. */
  private enqueue(h: Held, route: RevisionRoute): boolean {
    let q = this.queues.get(route.key);
    if (q === undefined) {
      q = new RevisionQueue();
      this.queues.set(route.key, q);
    }
    if (q.live >= this.opts.maxQueuedPerRevision) {
      h.done = true;
      this.opts.metrics.refused(route.key, 429);
      h.waiter.refuse(
        429,
        `InferenceService ${h.namespace}/${h.name}: revision ${route.revision} has ${q.live} requests waiting, the most it holds; retry later`,
        RETRY_FULL_S,
      );
      return false;
    }
    h.key = route.key;
    h.done = false;
    q.push(h);
    h.timer = setTimeout(() => this.expire(h), Math.max(0, h.deadline - this.now()));
    this.opts.stats.queue(route.key, 1);
    if (this.held++ === 0) this.opts.endpoints.on('change', this.onChange);
    return true;
  }

  /** A held request's time is up: 503 with Retry-After. */
  private expire(h: Held): void {
    if (h.done) return;
    this.leave(h);
    this.opts.metrics.refused(h.key, 503);
    const waited = this.now() - h.since;
    const cur = this.opts.endpoints.get(h.namespace, h.name);
    const r = cur?.routes.find((x) => x.key === h.key);
    const message =
      cur !== undefined && (r === undefined || r.replicas.length === 0)
        ? notReadyMessage(cur, r, `no replica started within ${waited} ms`)
        : `InferenceService ${h.namespace}/${h.name}: no replica of revision ${revisionOf(h.key)} had a free slot within ${waited} ms (containerConcurrency)`;
    h.waiter.refuse(503, message, r !== undefined && r.replicas.length > 0 ? RETRY_FULL_S : RETRY_NOT_READY_S);
  }

  /** Takes a held request out of its queue (granted, refused, timed out, or cancelled). */
  private leave(h: Held): void {
    h.done = true;
    if (h.timer !== undefined) clearTimeout(h.timer);
    const q = this.queues.get(h.key);
    if (q !== undefined) {
      q.live--;
      if (q.live === 0) this.queues.delete(h.key);
    }
    this.opts.stats.queue(h.key, -1);
    if (--this.held === 0) this.opts.endpoints.off('change', this.onChange);
  }

  private readonly onChange = (ep: { namespace: string; name: string }): void => {
    const prefix = `${ep.namespace}/${ep.name}/`;
    for (const key of [...this.queues.keys()]) if (key.startsWith(prefix)) this.drain(key);
  };

  /** Sends what the revision's queue can send now, in arrival order. */
  private drain(key: string): void {
    const q = this.queues.get(key);
    if (q === undefined) return;
    const first = q.peek();
    if (first === undefined) return;
    const ep = this.opts.endpoints.get(first.namespace, first.name);
    const route = ep?.routes.find((r) => r.key === key);
    if (ep !== undefined && route === undefined && ep.routes.length === 0 && ep.starting) return; // no revision yet
    if (ep === undefined || route === undefined) {
      // The service or this revision is no longer routed (deleted, rolled back): place them again.
      for (let h = q.peek(); h !== undefined; h = q.peek()) {
        this.leave(h);
        this.reroute(ep, h);
      }
      return;
    }
    if (route.replicas.length === 0) {
      if (route.activating) return; // still starting
      // It stopped starting (its model failed): to another revision that can answer, else 503 with the reason.
      for (let h = q.peek(); h !== undefined; h = q.peek()) {
        this.leave(h);
        this.reroute(ep, h);
      }
      return;
    }
    for (let h = q.peek(); h !== undefined; h = q.peek()) {
      const replica = pickReplica(route, this.inFlight, this.isEjected, this.turn++);
      if (replica === undefined) return;
      this.leave(h);
      const coldMs = h.cold ? this.now() - h.since : undefined;
      if (coldMs !== undefined) this.opts.metrics.coldStart(coldMs);
      h.waiter.grant(this.begin(route, replica, coldMs));
    }
  }

  /** A held request whose revision went away or failed: to the service's current route for it, or refused. */
  private reroute(ep: ServiceEndpoint | undefined, h: Held): void {
    if (ep === undefined) {
      h.waiter.refuse(404, `InferenceService ${h.name} does not exist in namespace ${h.namespace}`, 0);
      return;
    }
    const route = routeFor(ep, h.tag);
    if (route === undefined) {
      h.waiter.refuse(503, notReadyMessage(ep, undefined), RETRY_NOT_READY_S);
      return;
    }
    const lease = this.take(route);
    if (lease !== undefined) {
      if (h.cold) {
        lease.coldMs = this.now() - h.since;
        this.opts.metrics.coldStart(lease.coldMs);
      }
      h.waiter.grant(lease);
      return;
    }
    // Waits on in the new revision's queue, keeping its deadline.
    if (route.replicas.length === 0 && !route.activating) {
      this.opts.metrics.refused(route.key, 503);
      h.waiter.refuse(503, notReadyMessage(ep, route), RETRY_NOT_READY_S);
      return;
    }
    h.cold = h.cold || route.replicas.length === 0;
    if (!this.enqueue(h, route)) return;
    if (route.replicas.length === 0 && route.revision !== '') this.opts.stats.demand(route.key);
  }
}

const noop = () => {};

/**
 * The route for a request: the tag's, or one by percent. A service that has no revision yet but is starting
 * (its first model is downloading) gets a stand-in route (revision '') that holds requests until one appears.
 */
function routeFor(ep: ServiceEndpoint, tag: string | undefined): RevisionRoute | undefined {
  const route = tag === undefined ? pickWeighted(ep.routes) : pickTagged(ep.routes, tag);
  if (route !== undefined || ep.routes.length > 0 || !ep.starting) return route;
  return {
    revision: '',
    key: `${ep.namespace}/${ep.name}/`,
    percent: 100,
    latestRevision: true,
    replicas: [],
    activating: true,
    containerConcurrency: 0,
  };
}

function revisionOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** 503's message for a revision with no ready replica: the controller's reason when it gave one. */
export function notReadyMessage(
  ep: ServiceEndpoint,
  route: RevisionRoute | undefined,
  fallback = 'no ready replica',
): string {
  const why = ep.reason ? `${ep.reason}: ${ep.message ?? ''}`.trim() : fallback;
  const which = route !== undefined && ep.routes.length > 1 ? ` (revision ${route.revision})` : '';
  return `InferenceService ${ep.namespace}/${ep.name} is not ready${which}: ${why}`;
}
