// The KPA-like autoscaler as a ScaleSource: per routable revision the controller observes, a tick on the injected
// Clock samples the gateway's TrafficStats (average concurrency over the tick = Δ∫concurrency/Δt, rps =
// Δrequests/Δt), asks the revision's KpaDecider (kpa.ts) for a count, and emits 'scale' when it changes. A
// 'demand' from the gateway for a revision at zero answers at once (Activate), which makes cold starts fast.
// Not here: starting or stopping replicas (the controller), the decision maths (kpa.ts).

import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.js';
import type { TrafficStats } from '../../routing/traffic-stats.js';
import { type Clock, systemClock, type Timer } from '../clock.js';
import { type Decision, KpaDecider } from './kpa.js';
import type { RevisionScaleInput, ScaleChange, ScaleSettings, ScaleSource } from './scale-source.js';

/** What one replica uses now (process-usage.ts reads it from /proc). */
export interface ReplicaUsage {
  /** CPU cores used, averaged since the previous reading (1 = one core busy). */
  cpuCores: number;
  memoryBytes: number;
}

/** What one replica asked for: the HPA's utilization is usage over this. */
export interface ResourceRequests {
  cpuCores: number;
  memoryBytes: number;
}

/** KServe's default container resources (configmap inferenceService.resource: cpu 1, memory 2Gi). */
export const DEFAULT_RESOURCE_REQUESTS: ResourceRequests = Object.freeze({ cpuCores: 1, memoryBytes: 2 * 1024 ** 3 });

export interface KpaAutoscalerOptions {
  /** The gateway's counters (its `now` must be the same clock's). */
  stats: TrafficStats;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** How often each routable revision is sampled and decided (Knative's tick-interval, 2 s; here 1 s). */
  tickMs?: number;
  log?: Logger;
  /** cpu/memory metrics: the usage of the revision's Ready replicas (`{namespace}/{name}/{revision}`). */
  usage?: (key: string) => Promise<ReplicaUsage[]>;
  /** The per-replica requests usage is compared with; defaults to KServe's cpu 1, memory 2Gi. */
  requests?: (key: string) => ResourceRequests;
}

interface Tracked {
  key: string;
  input: RevisionScaleInput;
  decider: KpaDecider;
  timer: Timer | undefined;
  lastAt: number;
  lastRequests: number;
  lastConcurrencyMs: number;
  everReady: boolean;
  utilization: { percent: number; replicas: number } | undefined;
  usagePending: boolean;
  usageFailing: boolean;
  last: Decision | undefined;
}

export const DEFAULT_TICK_MS = 1000;

/** A new revision's count: initialScale (at least minScale and 1), at most maxScale. */
function initialCount(s: ScaleSettings): number {
  const n = Math.max(1, s.minScale, s.initialScale);
  return s.maxScale > 0 ? Math.min(n, Math.max(1, s.maxScale)) : n;
}

function bounded(n: number, s: ScaleSettings, starting: number): number {
  const lo = Math.max(n, s.minScale, starting);
  return s.maxScale > 0 ? Math.min(lo, Math.max(s.maxScale, starting)) : lo;
}

export class KpaAutoscaler extends EventEmitter implements ScaleSource {
  private readonly revisions = new Map<string, Tracked>();
  private readonly stats: TrafficStats;
  private readonly clock: Clock;
  private readonly tickMs: number;
  private readonly log: Logger | undefined;
  private readonly usage: KpaAutoscalerOptions['usage'];
  private readonly requests: (key: string) => ResourceRequests;
  private readonly onDemand = (key: string) => this.activate(key);
  private closed = false;

  constructor(opts: KpaAutoscalerOptions) {
    super();
    this.stats = opts.stats;
    this.clock = opts.clock ?? systemClock;
    this.tickMs = opts.tickMs ?? DEFAULT_TICK_MS;
    this.log = opts.log;
    this.usage = opts.usage;
    this.requests = opts.requests ?? (() => DEFAULT_RESOURCE_REQUESTS);
    this.stats.on('demand', this.onDemand);
  }

  observe(input: RevisionScaleInput): number {
    let r = this.revisions.get(input.key);
    const now = this.clock.now();
    if (!r) {
      const snap = this.stats.snapshot(input.key);
      r = {
        key: input.key,
        input,
        decider: new KpaDecider(input.settings, now, initialCount(input.settings)),
        timer: undefined,
        lastAt: now,
        lastRequests: snap.requestsTotal,
        lastConcurrencyMs: snap.concurrencyMsTotal,
        everReady: false,
        utilization: undefined,
        usagePending: false,
        usageFailing: false,
        last: undefined,
      };
      this.revisions.set(input.key, r);
    }
    r.input = input;
    r.decider.settings = input.settings;
    if (input.ready > 0) r.everReady = true;
    let desired: number;
    if (input.routable) {
      desired = bounded(r.decider.desired, input.settings, input.starting);
      this.schedule(r);
    } else {
      // No traffic can reach it: minScale once it has proved it starts (a new revision gets its initial count).
      this.cancel(r);
      desired = r.everReady ? bounded(input.settings.minScale, input.settings, input.starting) : r.decider.desired;
    }
    r.decider.reset(desired);
    return desired;
  }

  forget(key: string): void {
    const r = this.revisions.get(key);
    if (!r) return;
    this.cancel(r);
    this.revisions.delete(key);
  }

  close(): void {
    this.closed = true;
    this.stats.off('demand', this.onDemand);
    for (const r of this.revisions.values()) this.cancel(r);
    this.revisions.clear();
  }

  /** The count last decided for a tracked revision (undefined: not tracked). */
  desiredOf(key: string): number | undefined {
    return this.revisions.get(key)?.decider.desired;
  }

  /**
   * The autoscaler's gauges in Prometheus text format 0.0.4, one series per tracked revision
   * (`inferd_autoscaler_desired_replicas`, `_actual_replicas`, `_panic_mode`, `_observed_concurrency`,
   * `_observed_rps`), for the `/metrics` page that serves it.
   */
  renderMetrics(out: string[]): void {
    const gauges: [string, string, (r: Tracked) => number][] = [
      ['desired_replicas', 'Replicas the autoscaler wants for the revision.', (r) => r.decider.desired],
      ['actual_replicas', 'Replicas of the revision that are Ready.', (r) => r.input.ready],
      ['panic_mode', '1 while the revision is in panic mode, else 0.', (r) => (r.decider.panicking ? 1 : 0)],
      [
        'observed_concurrency',
        'Average requests in flight plus queued over the stable window.',
        (r) => r.last?.stableConcurrency ?? 0,
      ],
      ['observed_rps', 'Average requests per second over the stable window.', (r) => r.last?.stableRps ?? 0],
    ];
    for (const [name, help, value] of gauges) {
      out.push(`# HELP inferd_autoscaler_${name} ${help}`, `# TYPE inferd_autoscaler_${name} gauge`);
      for (const r of this.revisions.values()) out.push(`inferd_autoscaler_${name}{${labelsOf(r.key)}} ${value(r)}`);
    }
  }

  private activate(key: string): void {
    const r = this.revisions.get(key);
    if (!r || this.closed) return;
    const d = r.decider.activate(this.clock.now());
    if (d.reason === 'Activate') this.publish(r, d);
  }

  private schedule(r: Tracked): void {
    if (r.timer || this.closed) return;
    r.timer = this.clock.setTimer(() => {
      r.timer = undefined;
      if (this.revisions.get(r.key) !== r || !r.input.routable) return;
      this.tick(r);
      this.schedule(r);
    }, this.tickMs);
  }

  private cancel(r: Tracked): void {
    r.timer?.cancel();
    r.timer = undefined;
  }

  private tick(r: Tracked): void {
    const now = this.clock.now();
    const snap = this.stats.snapshot(r.key);
    const dt = now - r.lastAt;
    if (dt <= 0) return;
    // Counters restart from zero if the gateway forgot the revision: never a negative load.
    const concurrency = Math.max(0, snap.concurrencyMsTotal - r.lastConcurrencyMs) / dt;
    const rps = (Math.max(0, snap.requestsTotal - r.lastRequests) * 1000) / dt;
    r.lastAt = now;
    r.lastConcurrencyMs = snap.concurrencyMsTotal;
    r.lastRequests = snap.requestsTotal;
    r.decider.record({ at: now, concurrency, rps });

    const { settings, ready, starting } = r.input;
    if (settings.metric === 'cpu' || settings.metric === 'memory') this.readUsage(r);
    const d = r.decider.decide({
      now,
      ready,
      starting,
      busy: snap.inFlight + snap.queued,
      lastRequestAt: snap.lastRequestAt,
      utilizationPercent: r.utilization?.percent,
      utilizationReplicas: r.utilization?.replicas,
    });
    r.last = d;
    if (d.desired !== d.previous) this.publish(r, d);
  }

  /** Starts a usage reading for the next tick (one at a time per revision). */
  private readUsage(r: Tracked): void {
    if (!this.usage || r.usagePending) return;
    r.usagePending = true;
    const metric = r.input.settings.metric;
    this.usage(r.key)
      .then((list) => {
        if (list.length === 0) return;
        const req = this.requests(r.key);
        const share = (u: ReplicaUsage) =>
          metric === 'memory' ? u.memoryBytes / req.memoryBytes : u.cpuCores / req.cpuCores;
        const percent = (100 * list.reduce((sum, u) => sum + share(u), 0)) / list.length;
        r.utilization = { percent, replicas: list.length };
        r.usageFailing = false;
      })
      .catch((err: unknown) => {
        if (!r.usageFailing) this.log?.warn('cannot read replica usage', { revision: r.key, err: String(err) });
        r.usageFailing = true;
      })
      .finally(() => {
        r.usagePending = false;
      });
  }

  private publish(r: Tracked, d: Decision): void {
    r.last = d;
    const change: ScaleChange = {
      key: r.key,
      desired: d.desired,
      previous: d.previous,
      reason: d.reason,
      message: d.message,
    };
    this.log?.info('autoscaler decision', { revision: r.key, ...change });
    this.emit('scale', change);
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** `namespace="…",service="…",revision="…"` from `{namespace}/{name}/{revision}`. */
function labelsOf(key: string): string {
  const [namespace = '', service = '', revision = ''] = key.split('/');
  return `namespace="${escapeLabel(namespace)}",service="${escapeLabel(service)}",revision="${escapeLabel(revision)}"`;
}
