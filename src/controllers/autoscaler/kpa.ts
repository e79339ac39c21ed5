// The KPA-like decision for one revision, without timers or I/O: it is fed one load sample per tick and asked
// for a replica count, with the time passed in, so tests replay recorded load traces on a fake clock.
// Knative's algorithm (pkg/autoscaler/scaling/autoscaler.go), reimplemented: averages over a stable and a panic
// window, panic mode that never scales down, bounded rates, scale-down delay; the cpu/memory metrics follow the
// Kubernetes HPA instead. Scale to zero is decided here too (Knative splits it into its KPA reconciler).
//
//   samples (one per tick, newest right)        stable window (windowMs)
//   ... [c][c][c][c][c][c][c][c][c][c][c][c]    |<------------------------->|
//                                  panic window (panicWindowPercent of it) |<-->|

import { formatDurationMs } from '../../api/autoscaling-annotations.js';
import type { ScaleSettings } from './scale-source.js';

/** Knative's max-scale-up-rate and max-scale-down-rate defaults (config-autoscaler). */
export const MAX_SCALE_UP_RATE = 1000;
export const MAX_SCALE_DOWN_RATE = 2;
/** The HPA leaves the count alone while usage is within 10% of the target (--horizontal-pod-autoscaler-tolerance). */
export const HPA_TOLERANCE = 0.1;

/** The load of one tick: averages over the tick. */
export interface LoadSample {
  /** Time of the end of the tick (ms since the epoch). */
  at: number;
  /** Average requests in flight plus queued over the tick. */
  concurrency: number;
  /** Requests that arrived per second over the tick. */
  rps: number;
}

export interface DecideInput {
  now: number;
  /** Replicas Ready now. */
  ready: number;
  /** Replicas starting or loading now: never scaled away. */
  starting: number;
  /** Requests in flight plus queued right now. */
  busy: number;
  /** When the last request arrived (undefined: none since tracking began). */
  lastRequestAt: number | undefined;
  /** cpu/memory: the replicas' average usage in percent of their request, undefined until a reading exists. */
  utilizationPercent?: number;
  /** How many replicas that reading averaged over. */
  utilizationReplicas?: number;
}

export interface Decision {
  desired: number;
  previous: number;
  /** `ScaleUp`, `Panic`, `ScaleDown`, `ScaleToZero`, `Activate`, or `Steady` (no change). */
  reason: string;
  /** What `inferd describe` shows. */
  message: string;
  panicking: boolean;
  /** The metric's average over the stable window (concurrency, rps, or utilization percent). */
  observedStable: number;
  /** Average concurrency and rps over the stable window (0 without samples). */
  stableConcurrency: number;
  stableRps: number;
}

interface Timed {
  at: number;
  value: number;
}

/** Keeps `items` newer than `since` (they are in time order). */
function dropOlder<T extends { at: number }>(items: T[], since: number): void {
  let i = 0;
  while (i < items.length && items[i]!.at <= since) i++;
  if (i > 0) items.splice(0, i);
}

const fmt = (v: number) => String(Number(v.toFixed(2)));

export class KpaDecider {
  private readonly samples: LoadSample[] = [];
  /** Decisions of the scale-down-delay window (max wins). */
  private readonly delayed: Timed[] = [];
  /** HPA recommendations of the stabilization window (max wins for scale-down). */
  private readonly recommendations: Timed[] = [];
  private panicTime: number | undefined;
  private maxPanicPods = 0;
  private lastBusyAt: number;
  private current: number;

  /**
   * @param settings the revision's knobs (replace with `settings =` when they change)
   * @param startedAt when tracking began: idleness counts from here until a request arrives
   * @param initial the replica count to start from (initialScale for a new revision)
   */
  constructor(
    public settings: ScaleSettings,
    startedAt: number,
    initial: number,
  ) {
    this.lastBusyAt = startedAt;
    this.current = initial;
  }

  /** The count last decided. */
  get desired(): number {
    return this.current;
  }

  get panicking(): boolean {
    return this.panicTime !== undefined;
  }

  /** Sets the count from outside (the controller's bounds changed, or the revision takes no traffic). */
  reset(desired: number): void {
    this.current = desired;
  }

  /** Adds one tick's load. */
  record(sample: LoadSample): void {
    this.samples.push(sample);
    if (sample.concurrency > 0 || sample.rps > 0) this.lastBusyAt = Math.max(this.lastBusyAt, sample.at);
    dropOlder(this.samples, sample.at - this.settings.windowMs);
  }

  /** A request is held for a revision at zero: one replica now, without waiting for a tick (the activator). */
  activate(now: number): Decision {
    this.lastBusyAt = Math.max(this.lastBusyAt, now);
    const previous = this.current;
    const s = this.settings;
    const { stableConcurrency, stableRps } = this.averages(now);
    if (previous > 0) {
      return this.result(previous, previous, 'Steady', 'already scaling', stableConcurrency, stableRps, 0);
    }
    const desired = s.maxScale > 0 ? Math.min(Math.max(1, s.minScale), s.maxScale) : Math.max(1, s.minScale);
    this.current = desired;
    // The held request counts as demand in the delay window too, so a delay cannot drop the new replica early.
    this.delayed.push({ at: now, value: desired });
    return this.result(
      previous,
      desired,
      'Activate',
      `a request arrived for a revision at zero replicas: ${previous} → ${desired}`,
      stableConcurrency,
      stableRps,
      0,
    );
  }

  /** The replica count for now. */
  decide(input: DecideInput): Decision {
    const s = this.settings;
    const { now } = input;
    if (input.busy > 0) this.lastBusyAt = Math.max(this.lastBusyAt, now);
    if (input.lastRequestAt !== undefined) this.lastBusyAt = Math.max(this.lastBusyAt, input.lastRequestAt);
    const previous = this.current;
    const { stableConcurrency, stableRps } = this.averages(now);
    const hpa = s.metric === 'cpu' || s.metric === 'memory';
    const wanted = hpa ? this.hpa(input, previous) : this.kpa(input, previous);

    // Scale to zero: allowed by minScale 0, nothing in flight or queued, no traffic for the grace period.
    const idleMs = now - this.lastBusyAt;
    const toZero = s.minScale === 0 && input.busy === 0 && idleMs >= s.scaleToZeroGraceMs && !this.panicking;
    let raw = toZero ? 0 : Math.max(1, wanted.count);
    const notes: string[] = [];

    if (s.scaleDownDelayMs > 0) {
      this.delayed.push({ at: now, value: raw });
      dropOlder(this.delayed, now - s.scaleDownDelayMs);
      const held = Math.max(...this.delayed.map((d) => d.value));
      if (held > raw) notes.push(`scale-down-delay ${formatDurationMs(s.scaleDownDelayMs)} holds ${held}`);
      raw = held;
    }
    let desired = Math.max(raw, s.minScale);
    if (desired > raw) notes.push(`held at minReplicas ${s.minScale}`);
    if (input.starting > desired) {
      notes.push(`${input.starting} replica(s) still starting are kept`);
      desired = input.starting;
    }
    if (s.maxScale > 0 && desired > s.maxScale) {
      notes.push(`capped at maxReplicas ${s.maxScale}`);
      desired = s.maxScale;
    }
    this.current = desired;

    const tail = `${previous} → ${desired}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    let reason: string;
    let message: string;
    if (desired === 0 && previous > 0) {
      reason = 'ScaleToZero';
      message = `no requests for ${formatDurationMs(Math.round(idleMs))} (grace period ${formatDurationMs(s.scaleToZeroGraceMs)}) and none in flight or queued: ${tail}`;
    } else {
      reason =
        desired > previous ? (this.panicking ? 'Panic' : 'ScaleUp') : desired < previous ? 'ScaleDown' : 'Steady';
      message = `${wanted.why}: ${tail}`;
    }
    return this.result(previous, desired, reason, message, stableConcurrency, stableRps, wanted.observed);
  }

  /** Knative's KPA: ceil(observed / target per replica) over the stable window, the panic window when panicking. */
  private kpa(input: DecideInput, previous: number): { count: number; why: string; observed: number } {
    const s = this.settings;
    const { now } = input;
    const metric = s.metric === 'rps' ? 'rps' : 'concurrency';
    const value = (x: LoadSample) => (metric === 'rps' ? x.rps : x.concurrency);
    const panicWindowMs = Math.max(1, (s.windowMs * s.panicWindowPercent) / 100);
    const stable = this.average(now - s.windowMs, value);
    const panic = this.average(now - panicWindowMs, value) ?? stable;
    const perReplica = Math.max(0.01, (s.target * s.targetUtilizationPercent) / 100);
    if (stable === undefined || panic === undefined) {
      return { count: previous, why: `no ${metric} measured yet, target ${fmt(perReplica)} per replica`, observed: 0 };
    }
    const readyCount = Math.max(1, input.ready);
    const maxUp = Math.ceil(MAX_SCALE_UP_RATE * readyCount);
    const maxDown = Math.floor(readyCount / MAX_SCALE_DOWN_RATE);
    const stablePods = Math.ceil(stable / perReplica);
    const panicPods = Math.ceil(panic / perReplica);
    const bounded = (n: number) => Math.min(Math.max(n, maxDown), maxUp);

    const overThreshold = panicPods / readyCount >= s.panicThresholdPercent / 100;
    if (overThreshold) this.panicTime = now;
    else if (this.panicTime !== undefined && this.panicTime + s.windowMs < now) {
      this.panicTime = undefined; // a whole stable window without panic-level demand
      this.maxPanicPods = 0;
    }

    let count = bounded(stablePods);
    const unit = metric === 'rps' ? 'rps' : 'concurrency';
    const target = `target ${fmt(perReplica)} per replica (${fmt(s.targetUtilizationPercent)}% of ${fmt(s.target)})`;
    let why = `observed ${unit} ${fmt(stable)} over ${formatDurationMs(s.windowMs)}, ${target}`;
    if (this.panicTime !== undefined) {
      count = Math.max(count, bounded(panicPods));
      // Never scale down while panicking: hold the highest count since panic began.
      this.maxPanicPods = Math.max(this.maxPanicPods, count);
      count = this.maxPanicPods;
      why = `panic mode (${unit} ${fmt(panic)} over the ${formatDurationMs(Math.round(panicWindowMs))} panic window is at least ${fmt(s.panicThresholdPercent)}% of what ${readyCount} ready replica(s) take at the target; no scale-down until a ${formatDurationMs(s.windowMs)} window passes without it): ${why}`;
    }
    return { count, why, observed: stable };
  }

  /**
   * The Kubernetes HPA: ceil(replicas × usage / target), nothing within 10% of the target, scale-up at most to
   * max(2×, +4), scale-down to the highest recommendation of the stable window (its stabilization window).
   */
  private hpa(input: DecideInput, previous: number): { count: number; why: string; observed: number } {
    const s = this.settings;
    const { now } = input;
    const util = input.utilizationPercent;
    if (util === undefined) {
      return { count: previous, why: `no ${s.metric} usage measured yet, target ${fmt(s.target)}%`, observed: 0 };
    }
    const n = Math.max(1, input.utilizationReplicas ?? input.ready);
    const ratio = util / s.target;
    let rec = Math.abs(ratio - 1) <= HPA_TOLERANCE ? n : Math.ceil(n * ratio);
    rec = Math.min(rec, Math.max(2 * n, n + 4));
    this.recommendations.push({ at: now, value: rec });
    dropOlder(this.recommendations, now - s.windowMs);
    const count = rec < previous ? Math.max(rec, ...this.recommendations.map((r) => r.value)) : rec;
    return {
      count,
      why: `observed ${s.metric} ${fmt(util)}% of the request over ${n} replica(s), target ${fmt(s.target)}%`,
      observed: util,
    };
  }

  private average(since: number, value: (x: LoadSample) => number): number | undefined {
    let sum = 0;
    let n = 0;
    for (const x of this.samples) {
      if (x.at > since) {
        sum += value(x);
        n++;
      }
    }
    return n === 0 ? undefined : sum / n;
  }

  private averages(now: number): { stableConcurrency: number; stableRps: number } {
    const since = now - this.settings.windowMs;
    return {
      stableConcurrency: this.average(since, (x) => x.concurrency) ?? 0,
      stableRps: this.average(since, (x) => x.rps) ?? 0,
    };
  }

  private result(
    previous: number,
    desired: number,
    reason: string,
    message: string,
    stableConcurrency: number,
    stableRps: number,
    observedStable: number,
  ): Decision {
    return {
      desired,
      previous,
      reason,
      message,
      panicking: this.panicking,
      observedStable,
      stableConcurrency,
      stableRps,
    };
  }
}
