// What the gateway sees of each revision's traffic, for the autoscaler and for draining: requests in flight
// and queued, per revision and per replica, the time integral of concurrency (so the autoscaler can take a
// window's average concurrency the way Knative's queue-proxy reports it), a request count (rps), and
// "demand" for a revision that has no ready replica (the activator's poke: scale it from zero now).
// The gateway writes, the controllers read; counters only, no timers, cheap enough for the hot path.

import { EventEmitter } from 'node:events';

/** Counters of one revision; totals only grow, so a reader takes deltas between two snapshots. */
export interface RevisionTraffic {
  /** Requests sent to a replica and not answered yet. */
  inFlight: number;
  /** Requests held in the gateway: waiting for a replica to start, or for a free slot (containerConcurrency). */
  queued: number;
  /** Requests that arrived for this revision, ever. */
  requestsTotal: number;
  /** ∫ (inFlight + queued) dt in request·milliseconds, up to the snapshot's time. */
  concurrencyMsTotal: number;
  /** Time (ms since the epoch) of the last request that arrived; undefined: none yet. */
  lastRequestAt: number | undefined;
}

interface Counters extends RevisionTraffic {
  /** When concurrencyMsTotal was last brought up to date. */
  since: number;
}

const IDLE: RevisionTraffic = Object.freeze({
  inFlight: 0,
  queued: 0,
  requestsTotal: 0,
  concurrencyMsTotal: 0,
  lastRequestAt: undefined,
});

/**
 * Emits 'demand' (revisionKey) when a request arrives for a revision the gateway cannot send it to yet, and
 * 'idle' (replicaKey) when a replica's last in-flight request ends (draining waits on it).
 */
export class TrafficStats extends EventEmitter {
  private readonly revisions = new Map<string, Counters>();
  private readonly replicas = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {
    super();
    this.setMaxListeners(0);
  }

  /** A request arrived for the revision (counts toward rps). */
  arrived(revisionKey: string): void {
    const c = this.counters(revisionKey);
    c.requestsTotal++;
    c.lastRequestAt = this.now();
  }

  /** A request is held for the revision (+1) or stops being held (-1). */
  queue(revisionKey: string, delta: 1 | -1): void {
    const c = this.counters(revisionKey);
    this.advance(c);
    c.queued += delta;
  }

  /** A request was sent to one of the revision's replicas. */
  begin(revisionKey: string, replicaKey: string): void {
    const c = this.counters(revisionKey);
    this.advance(c);
    c.inFlight++;
    this.replicas.set(replicaKey, (this.replicas.get(replicaKey) ?? 0) + 1);
  }

  /** The replica's answer ended (sent, failed, or the client went away). */
  end(revisionKey: string, replicaKey: string): void {
    const c = this.counters(revisionKey);
    this.advance(c);
    c.inFlight--;
    const n = (this.replicas.get(replicaKey) ?? 1) - 1;
    if (n > 0) this.replicas.set(replicaKey, n);
    else {
      this.replicas.delete(replicaKey);
      this.emit('idle', replicaKey);
    }
  }

  /**
   * Concurrency the counters did not see as in flight: a request reported after the fact (an SDK transformer
   * routing itself reports in batches, gateway/route-feed.ts) adds the part of its duration not counted.
   */
  credit(revisionKey: string, requestMs: number): void {
    if (!(requestMs > 0)) return;
    const c = this.counters(revisionKey);
    this.advance(c);
    c.concurrencyMsTotal += requestMs;
  }

  /** The gateway holds a request for a revision with no ready replica: start one (scale from zero). */
  demand(revisionKey: string): void {
    this.emit('demand', revisionKey);
  }

  /** The revision's counters now (all zero for one never seen). */
  snapshot(revisionKey: string): RevisionTraffic {
    const c = this.revisions.get(revisionKey);
    if (!c) return IDLE;
    this.advance(c);
    return {
      inFlight: c.inFlight,
      queued: c.queued,
      requestsTotal: c.requestsTotal,
      concurrencyMsTotal: c.concurrencyMsTotal,
      lastRequestAt: c.lastRequestAt,
    };
  }

  /** Requests in flight to one replica now. */
  inFlightTo(replicaKey: string): number {
    return this.replicas.get(replicaKey) ?? 0;
  }

  /** Resolves true once the replica has nothing in flight, false if timeoutMs passes first. */
  whenIdle(replicaKey: string, timeoutMs: number): Promise<boolean> {
    if (this.inFlightTo(replicaKey) === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onIdle = (key: string) => {
        if (key !== replicaKey) return;
        clearTimeout(timer);
        this.off('idle', onIdle);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.off('idle', onIdle);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.on('idle', onIdle);
    });
  }

  /** Forgets a revision that no longer exists. */
  forget(revisionKey: string): void {
    this.revisions.delete(revisionKey);
  }

  private counters(revisionKey: string): Counters {
    let c = this.revisions.get(revisionKey);
    if (!c) {
      c = { ...IDLE, since: this.now() };
      this.revisions.set(revisionKey, c);
    }
    return c;
  }

  private advance(c: Counters): void {
    const t = this.now();
    const busy = c.inFlight + c.queued;
    if (busy > 0 && t > c.since) c.concurrencyMsTotal += busy * (t - c.since);
    c.since = t;
  }
}
