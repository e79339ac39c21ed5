// The KPA decider over recorded load traces (per-second concurrency), time passed in: steady load, a burst that
// panics, the scale-down after it, idle to zero after the grace period, the rps and cpu metrics, Knative's rate
// limits, scale-down-delay, and the floor of replicas still starting.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Decision, KpaDecider } from '../../../src/controllers/autoscaler/kpa.js';
import { settingsWith } from './settings.js';

const T0 = Date.parse('2026-11-24T06:00:00Z');

interface Step extends Decision {
  t: number;
}

/**
 * Feeds one sample a second (concurrency = rps = the trace's value) and decides after each. Replicas become
 * Ready as soon as they are wanted (`ready: 'follow'`) unless a fixed count is given.
 */
function replay(
  d: KpaDecider,
  trace: readonly number[],
  opts: {
    from?: number;
    ready?: 'follow' | number;
    utilization?: (i: number, ready: number) => number | undefined;
  } = {},
): Step[] {
  const from = opts.from ?? T0;
  let lastRequestAt: number | undefined;
  return trace.map((c, i) => {
    const t = from + (i + 1) * 1000;
    if (c > 0) lastRequestAt = t;
    const ready = opts.ready === undefined || opts.ready === 'follow' ? d.desired : opts.ready;
    d.record({ at: t, concurrency: c, rps: c });
    const util = opts.utilization?.(i, ready);
    return {
      t,
      ...d.decide({
        now: t,
        ready,
        starting: 0,
        busy: Math.ceil(c),
        lastRequestAt,
        utilizationPercent: util,
        utilizationReplicas: util === undefined ? undefined : ready,
      }),
    };
  });
}

const repeat = (value: number, seconds: number) => Array.from({ length: seconds }, () => value);
const last = <T>(xs: readonly T[]) => xs[xs.length - 1]!;

describe('KpaDecider (concurrency)', () => {
  test('steady load at the target keeps the count: ceil(12 / (10 × 70%)) = 2, no panic, no events', () => {
    const d = new KpaDecider(settingsWith(), T0, 2);
    const steps = replay(d, repeat(12, 180));
    assert.ok(steps.every((s) => s.desired === 2 && !s.panicking && s.reason === 'Steady'));
    assert.ok(Math.abs(last(steps).stableConcurrency - 12) < 1e-9);
  });

  test('a burst panics within seconds and scales up at once; it never scales down while panicking', () => {
    const d = new KpaDecider(settingsWith(), T0, 2);
    const steps = replay(d, [...repeat(12, 60), ...repeat(60, 20), ...repeat(0, 120)]);
    const firstPanic = steps.findIndex((s) => s.panicking);
    assert.ok(firstPanic >= 60 && firstPanic <= 62, `panic began at second ${firstPanic}`);
    assert.equal(steps[firstPanic]!.reason, 'Panic');
    assert.match(steps[firstPanic]!.message, /panic mode/);
    // ceil(60 / 7) = 9 replicas within the 6 s panic window.
    assert.equal(steps[66]!.desired, 9);
    const panicking = steps.filter((s) => s.panicking);
    for (let i = 1; i < panicking.length; i++) assert.ok(panicking[i]!.desired >= panicking[i - 1]!.desired);
    // Un-panic only after a whole stable window (60 s) without panic-level demand: demand stops being 2× the
    // ready capacity once the 9 replicas are up (second ~63), so panic lasts until second ~123.
    const lastPanic = steps.findLastIndex((s) => s.panicking);
    assert.ok(lastPanic - firstPanic >= 60 && lastPanic <= 125, `panic from second ${firstPanic} to ${lastPanic}`);
  });

  test('after the burst: scale down after the window, at most halving per decision, down to minScale', () => {
    const d = new KpaDecider(settingsWith(), T0, 2);
    const steps = replay(d, [...repeat(12, 60), ...repeat(60, 20), ...repeat(0, 200)]);
    const downs = steps.filter((s) => s.desired < s.previous);
    assert.ok(downs.length > 0);
    const lastPanic = steps.findLastIndex((s) => s.panicking);
    assert.ok(lastPanic > 100 && downs[0]!.t > steps[lastPanic]!.t, 'no scale-down during the panic and its window');
    for (const s of downs) {
      assert.equal(s.reason, 'ScaleDown');
      assert.ok(s.desired >= Math.floor(s.previous / 2), `${s.previous} → ${s.desired} is faster than halving`);
    }
    assert.equal(last(steps).desired, 1);
  });

  test('idle → zero after the grace period (minScale 0), with an event a user can read', () => {
    const d = new KpaDecider(settingsWith({ minScale: 0, scaleToZeroGraceMs: 30_000 }), T0, 1);
    const steps = replay(d, [...repeat(1, 5), ...repeat(0, 60)]);
    const zero = steps.findIndex((s) => s.desired === 0);
    // Last busy second is 5; 30 s of grace → zero at second 35.
    assert.equal(zero, 34);
    assert.equal(steps[zero]!.reason, 'ScaleToZero');
    assert.match(steps[zero]!.message, /no requests for 30s \(grace period 30s\) and none in flight or queued: 1 → 0/);
    assert.ok(steps.slice(zero).every((s) => s.desired === 0));
  });

  test('never zero with minScale 1, or while a request is in flight or queued, or before the grace', () => {
    const keep = new KpaDecider(settingsWith({ minScale: 1, scaleToZeroGraceMs: 1000 }), T0, 1);
    assert.ok(replay(keep, repeat(0, 120)).every((s) => s.desired === 1));
    const busy = new KpaDecider(settingsWith({ minScale: 0, scaleToZeroGraceMs: 1000 }), T0, 1);
    // One long request in flight: busy, yet a tiny concurrency would round to 1 replica anyway.
    for (let i = 1; i <= 60; i++) {
      const t = T0 + i * 1000;
      busy.record({ at: t, concurrency: 0, rps: 0 });
      assert.equal(busy.decide({ now: t, ready: 1, starting: 0, busy: 1, lastRequestAt: T0 }).desired, 1);
    }
  });

  test('the grace period counts from the last request the gateway saw, even one shorter than a tick', () => {
    const d = new KpaDecider(settingsWith({ minScale: 0, scaleToZeroGraceMs: 30_000 }), T0, 1);
    const at = (s: number) => T0 + s * 1000;
    const desired: number[] = [];
    for (let s = 1; s <= 60; s++) {
      // A request arrived at 20.2 s and was too short to show in a sample; only lastRequestAt knows it.
      d.record({ at: at(s), concurrency: 0, rps: 0 });
      const lastRequestAt = s >= 21 ? at(20.2) : undefined;
      desired.push(d.decide({ now: at(s), ready: 1, starting: 0, busy: 0, lastRequestAt }).desired);
    }
    // 30 s after 20.2 s is 50.2 s: the first decision at zero is at second 51 (index 50).
    assert.equal(desired.indexOf(0), 50, `${desired}`);
  });

  test('a replica still starting is never scaled away, not even to zero', () => {
    const d = new KpaDecider(settingsWith({ minScale: 0, scaleToZeroGraceMs: 0 }), T0, 3);
    d.record({ at: T0 + 1000, concurrency: 0, rps: 0 });
    const s = d.decide({ now: T0 + 1000, ready: 0, starting: 2, busy: 0, lastRequestAt: undefined });
    assert.equal(s.desired, 2);
    assert.match(s.message, /2 replica\(s\) still starting are kept/);
  });

  test("Knative's rate limits: up at most 1000× the ready count, down at most to half", () => {
    const up = new KpaDecider(settingsWith({ target: 1, targetUtilizationPercent: 100 }), T0, 1);
    const [first] = replay(up, [1e6], { ready: 1 });
    assert.equal(first!.desired, 1000);
    const down = new KpaDecider(settingsWith({ target: 1, targetUtilizationPercent: 100, windowMs: 6000 }), T0, 10);
    replay(down, repeat(10, 6), { ready: 10 });
    const after = replay(down, repeat(0, 1), { ready: 10, from: T0 + 6000 });
    assert.equal(after[0]!.desired, 9); // ceil(avg 8.33) = 9 ≥ floor(10 / 2)
    const floor = new KpaDecider(settingsWith({ target: 1, targetUtilizationPercent: 100, windowMs: 6000 }), T0, 10);
    floor.record({ at: T0 + 1000, concurrency: 0, rps: 0 });
    const s = floor.decide({ now: T0 + 1000, ready: 10, starting: 0, busy: 0, lastRequestAt: T0 });
    assert.equal(s.desired, 5); // stable demand says 1; the down rate allows 10 → 5
  });

  test('scale-down-delay holds the highest count of the delay window', () => {
    const d = new KpaDecider(settingsWith({ windowMs: 6000, scaleDownDelayMs: 30_000 }), T0, 4);
    const steps = replay(d, [...repeat(25, 10), ...repeat(0, 60)]);
    assert.equal(steps[9]!.desired, 4); // ceil(25 / 7)
    const down = steps.findIndex((s) => s.desired < 4);
    // The load dropped after second 10, so the raw count drops from second 11; the delay holds the 4 decided
    // up to second 10 for 30 s: the first lower count is at second 40 (index 39).
    assert.equal(down, 39);
    assert.match(steps[20]!.message, /scale-down-delay 30s holds 4/);
  });

  test('min and max clamp the answer and say so', () => {
    const d = new KpaDecider(settingsWith({ maxScale: 3 }), T0, 1);
    const steps = replay(d, repeat(100, 10));
    assert.equal(last(steps).desired, 3);
    assert.match(last(steps).message, /capped at maxReplicas 3/);
  });

  test('activate: a request for a revision at zero wants one replica at once', () => {
    const d = new KpaDecider(settingsWith({ minScale: 0 }), T0, 0);
    const a = d.activate(T0 + 5000);
    assert.deepEqual([a.reason, a.previous, a.desired], ['Activate', 0, 1]);
    assert.equal(d.activate(T0 + 5001).reason, 'Steady');
    // The grace period counts from the activation: no zero before it has passed.
    d.record({ at: T0 + 6000, concurrency: 0, rps: 0 });
    assert.equal(d.decide({ now: T0 + 6000, ready: 0, starting: 1, busy: 0, lastRequestAt: T0 + 5000 }).desired, 1);
  });
});

describe('KpaDecider (rps, cpu, memory)', () => {
  test('rps: ceil(observed rps / (target × utilization))', () => {
    const d = new KpaDecider(settingsWith({ metric: 'rps', target: 10, targetUtilizationPercent: 100 }), T0, 5);
    const steps = replay(d, repeat(50, 90));
    assert.ok(steps.every((s) => s.desired === 5));
    assert.match(last(steps).message, /observed rps 50 over 1m, target 10 per replica/);
  });

  test('cpu: HPA ratio with a 10% tolerance, and scale-down held for the stabilization window', () => {
    const d = new KpaDecider(settingsWith({ metric: 'cpu', target: 80, windowMs: 60_000 }), T0, 2);
    // Work worth 3.2 busy cores for 10 s (spread over the ready replicas), then 0.4 cores.
    const util = (i: number, ready: number) => (i < 10 ? 320 : 40) / ready;
    const steps = replay(d, repeat(1, 100), { ready: 'follow', utilization: util });
    assert.equal(steps[0]!.desired, 4); // ceil(2 × 160 / 80)
    assert.match(steps[0]!.message, /observed cpu 160% of the request over 2 replica\(s\), target 80%/);
    assert.ok(steps.slice(1, 10).every((s) => s.desired === 4)); // 80% on 4 replicas: at the target
    const down = steps.findIndex((s) => s.desired < 4);
    // Recommendations of 4 were made until second 10: the 60 s window holds them until ~70.
    assert.ok(down >= 69 && down <= 71, `scale-down at second ${down}`);
    assert.equal(last(steps).desired, 1);
  });

  test('cpu without a reading keeps the count; memory uses its own share', () => {
    const d = new KpaDecider(settingsWith({ metric: 'cpu', target: 80 }), T0, 3);
    assert.ok(replay(d, repeat(1, 5)).every((s) => s.desired === 3));
    const m = new KpaDecider(settingsWith({ metric: 'memory', target: 50 }), T0, 1);
    const [s] = replay(m, [1], { ready: 1, utilization: () => 150 });
    assert.equal(s!.desired, 3);
    assert.match(s!.message, /observed memory 150%/);
  });

  test('HPA scale-up is bounded to max(2×, +4) per decision', () => {
    const d = new KpaDecider(settingsWith({ metric: 'cpu', target: 10 }), T0, 2);
    const [s] = replay(d, [1], { ready: 2, utilization: () => 100 });
    assert.equal(s!.desired, 6); // ceil(2 × 10) = 20, bounded to 2 + 4
  });
});
