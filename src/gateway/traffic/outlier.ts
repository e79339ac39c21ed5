// Outlier ejection per replica, as Istio's DestinationRule `outlierDetection` does it: `consecutiveErrors`
// 5xx answers or connection failures in a row take a replica out of rotation for baseEjectionMs × (times it
// was ejected), at most maxEjectionMs; a success resets the count; the last replica of a route that is not
// ejected is never ejected (a route with only failing replicas still gets its requests answered by them).
// Pure apart from the clock, which is injected.

import type { ReplicaTarget } from '../../routing/endpoint-table.js';

export interface OutlierPolicy {
  /** Failures in a row that eject. Default 5 (Istio's consecutive5xxErrors). */
  consecutiveErrors: number;
  /** First ejection's length; the n-th lasts n times this. Default 30 s (Istio's baseEjectionTime). */
  baseEjectionMs: number;
  /** Longest ejection. Default 300 s (Istio's maxEjectionTime). */
  maxEjectionMs: number;
}

export const DEFAULT_OUTLIER_POLICY: OutlierPolicy = {
  consecutiveErrors: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
};

interface ReplicaHealth {
  failures: number;
  /** Times ejected so far (the multiplier of the next ejection). */
  ejections: number;
  /** Ejected until this time (ms); 0: in rotation. */
  until: number;
}

export class OutlierDetector {
  private readonly health = new Map<string, ReplicaHealth>();

  constructor(
    readonly policy: OutlierPolicy = DEFAULT_OUTLIER_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the replica is out of rotation now. */
  ejected(key: string): boolean {
    if (this.health.size === 0) return false;
    const h = this.health.get(key);
    return h !== undefined && h.until > this.now();
  }

  /** A good answer: the failure count starts again. */
  success(key: string): void {
    if (this.health.size === 0) return;
    const h = this.health.get(key);
    if (h === undefined) return;
    h.failures = 0;
    if (h.ejections === 0) this.health.delete(key);
  }

  /**
   * A 5xx answer or a connection failure from `key`, one of `peers` (its route's replicas). Returns the
   * ejection's length in ms when this failure ejects it, else 0.
   */
  failure(key: string, peers: readonly ReplicaTarget[]): number {
    let h = this.health.get(key);
    if (h === undefined) {
      h = { failures: 0, ejections: 0, until: 0 };
      this.health.set(key, h);
    }
    h.failures++;
    if (h.failures < this.policy.consecutiveErrors) return 0;
    const now = this.now();
    if (h.until > now) return 0; // already out (a request that was in flight when it was ejected)
    let othersInRotation = 0;
    for (const p of peers) if (p.key !== key && !this.ejected(p.key)) othersInRotation++;
    if (othersInRotation === 0) return 0; // never the last one
    h.ejections++;
    h.failures = 0;
    const ms = Math.min(this.policy.baseEjectionMs * h.ejections, this.policy.maxEjectionMs);
    h.until = now + ms;
    return ms;
  }

  /** Forgets replicas that are gone (keys not in `live`). */
  prune(live: ReadonlySet<string>): void {
    for (const key of this.health.keys()) if (!live.has(key)) this.health.delete(key);
  }
}
