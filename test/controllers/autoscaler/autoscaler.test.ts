// KpaAutoscaler as the controller and the gateway drive it: observe() per pass, TrafficStats written by hand,
// time moved on a FakeClock. Ticks sample the counters (Δ∫concurrency/Δt), decisions come out as 'scale'
// events with a readable message, a 'demand' at zero activates at once, untracked or unroutable revisions get
// no timers, and the gauges render in Prometheus text.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KpaAutoscaler, type ReplicaUsage } from '../../../src/controllers/autoscaler/autoscaler.js';
import type { RevisionScaleInput, ScaleChange } from '../../../src/controllers/autoscaler/scale-source.js';
import { TrafficStats } from '../../../src/routing/traffic-stats.js';
import { FakeClock } from '../../support/fake-clock.js';
import { settingsWith } from './settings.js';

const KEY = 'default/sklearn-iris/sklearn-iris-predictor-00001';

function setup(opts: { usage?: (key: string) => Promise<ReplicaUsage[]> } = {}) {
  const clock = new FakeClock();
  const stats = new TrafficStats(() => clock.now());
  const scaler = new KpaAutoscaler({ stats, clock, tickMs: 1000, usage: opts.usage });
  const changes: ScaleChange[] = [];
  scaler.on('scale', (c) => changes.push(c));
  return { clock, stats, scaler, changes };
}

const input = (over: Partial<RevisionScaleInput> = {}): RevisionScaleInput => ({
  key: KEY,
  settings: settingsWith({ target: 2, targetUtilizationPercent: 100, windowMs: 6000 }),
  ready: 1,
  starting: 0,
  routable: true,
  ...over,
});

/** `n` requests in flight on replica r0 of the revision (returns a function that ends them). */
function hold(stats: TrafficStats, n: number): () => void {
  for (let i = 0; i < n; i++) {
    stats.arrived(KEY);
    stats.begin(KEY, `${KEY}/r0`);
  }
  return () => {
    for (let i = 0; i < n; i++) stats.end(KEY, `${KEY}/r0`);
  };
}

describe('KpaAutoscaler', () => {
  test('a new revision starts at its initial scale; a tracked routable one ticks once a second', () => {
    const { clock, scaler } = setup();
    assert.equal(scaler.observe(input({ settings: settingsWith({ initialScale: 3 }), ready: 0 })), 3);
    assert.deepEqual(clock.pendingDelays(), [1000]);
    assert.equal(scaler.observe(input({ settings: settingsWith({ initialScale: 3 }), ready: 0 })), 3);
    assert.deepEqual(clock.pendingDelays(), [1000], 'observe is idempotent: one timer per revision');
    scaler.close();
    assert.deepEqual(clock.pendingDelays(), []);
  });

  test('concurrency from the counters: 8 in flight, target 2 → 4 replicas, with a readable event', () => {
    const { clock, stats, scaler, changes } = setup();
    scaler.observe(input());
    const end = hold(stats, 8);
    clock.advance(1000);
    // 8/2 = 4 replicas; panic (4 ≥ 2 × 1 ready) scales up at once.
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.desired, 4);
    assert.equal(changes[0]!.previous, 1);
    assert.equal(changes[0]!.reason, 'Panic');
    assert.match(changes[0]!.message, /concurrency 8 over/);
    assert.match(changes[0]!.message, /target 2 per replica .*: 1 → 4$/);
    assert.equal(scaler.observe(input({ ready: 1, starting: 3 })), 4);
    end();
    scaler.close();
  });

  test('half a tick busy is half the concurrency (the time integral, not a point sample)', () => {
    const { clock, stats, scaler, changes } = setup();
    scaler.observe(
      input({ ready: 2, settings: settingsWith({ target: 1, targetUtilizationPercent: 100, windowMs: 6000 }) }),
    );
    clock.advance(500);
    const end = hold(stats, 6);
    clock.advance(500); // 6 in flight for half of the first tick: average 3
    assert.equal(changes[0]?.desired, 3);
    end();
    scaler.close();
  });

  test('burst grows to maxScale and back down after the window; every change is an event', () => {
    const { clock, stats, scaler, changes } = setup();
    const settings = settingsWith({ target: 2, targetUtilizationPercent: 100, windowMs: 6000, maxScale: 3 });
    let ready = 1;
    scaler.on('scale', (c) => {
      ready = c.desired; // replicas start instantly here
      scaler.observe(input({ settings, ready }));
    });
    scaler.observe(input({ settings, ready }));
    const end = hold(stats, 20);
    clock.advance(3000);
    assert.equal(scaler.desiredOf(KEY), 3);
    assert.match(changes.at(-1)!.message, /capped at maxReplicas 3/);
    end();
    const endedAt = clock.now();
    let downAt = 0;
    scaler.on('scale', () => {
      downAt = clock.now();
    });
    clock.advance(30_000);
    assert.equal(scaler.desiredOf(KEY), 1);
    // 3 → 1 in one step (halving allows floor(3 / 2) = 1), once a panic-free window has passed.
    assert.deepEqual(
      changes.map((c) => c.reason),
      ['Panic', 'ScaleDown'],
    );
    assert.ok(downAt - endedAt >= 6000, `scaled down ${downAt - endedAt} ms after the burst`);
    scaler.close();
  });

  test('a recorded trace through the gateway counters: up in the burst, down after the window, zero after grace', () => {
    const { clock, stats, scaler, changes } = setup();
    const settings = settingsWith({
      minScale: 0,
      target: 2,
      targetUtilizationPercent: 100,
      windowMs: 6000,
      scaleToZeroGraceMs: 10_000,
    });
    let ready = 1;
    scaler.on('scale', (c) => {
      ready = c.desired;
      scaler.observe(input({ settings, ready }));
    });
    scaler.observe(input({ settings, ready }));
    // Per-second concurrency: a light load, a burst, then nothing.
    const trace = [...Array(10).fill(2), ...Array(10).fill(12), ...Array(30).fill(0)] as number[];
    const desired: number[] = [];
    let inFlight = 0;
    for (const c of trace) {
      while (inFlight < c) {
        stats.arrived(KEY);
        stats.begin(KEY, `${KEY}/r0`);
        inFlight++;
      }
      while (inFlight > c) {
        stats.end(KEY, `${KEY}/r0`);
        inFlight--;
      }
      clock.advance(1000);
      desired.push(scaler.desiredOf(KEY)!);
    }
    assert.ok(
      desired.slice(0, 10).every((d) => d === 1),
      `light load: ${desired.slice(0, 10)}`,
    );
    assert.equal(Math.max(...desired.slice(10, 20)), 6, `burst: ${desired.slice(10, 20)}`); // 12 / 2
    const six = desired.slice(10, 20).indexOf(6);
    assert.ok(six >= 0 && six <= 2, `the panic window reacts within 3 s, not ${six + 1}`);
    const zeroAt = desired.indexOf(0);
    // The burst ended after second 20; zero 10 s later (grace), not before.
    assert.equal(zeroAt, 29, `desired per second: ${desired}`);
    assert.deepEqual(changes.at(-1)?.reason, 'ScaleToZero');
    assert.ok(changes.some((c) => c.reason === 'Panic'));
    scaler.close();
  });

  test('idle → zero after the grace period; a demand at zero activates at once (no tick needed)', () => {
    const { clock, stats, scaler, changes } = setup();
    const settings = settingsWith({ minScale: 0, windowMs: 6000, scaleToZeroGraceMs: 10_000 });
    scaler.observe(input({ settings }));
    clock.advance(9000);
    assert.equal(changes.length, 0);
    clock.advance(1000);
    assert.deepEqual(
      changes.map((c) => [c.reason, c.desired]),
      [['ScaleToZero', 0]],
    );
    assert.equal(scaler.observe(input({ settings, ready: 0 })), 0);
    // The gateway holds a request and pokes: desired 1 before the clock moves.
    stats.arrived(KEY);
    stats.queue(KEY, 1);
    stats.demand(KEY);
    assert.deepEqual(
      changes.map((c) => [c.reason, c.desired]),
      [
        ['ScaleToZero', 0],
        ['Activate', 1],
      ],
    );
    assert.match(changes[1]!.message, /a request arrived for a revision at zero replicas: 0 → 1/);
    // While the replica starts, the held request keeps it: no flapping back to zero.
    assert.equal(scaler.observe(input({ settings, ready: 0, starting: 1 })), 1);
    clock.advance(5000);
    assert.equal(scaler.desiredOf(KEY), 1);
    stats.queue(KEY, -1);
    scaler.close();
  });

  test('untracked revisions get no timers and ignore demand; unroutable ones stop ticking and sit at minScale', () => {
    const { clock, stats, scaler, changes } = setup();
    stats.demand('default/other/other-predictor-00001');
    assert.deepEqual(clock.pendingDelays(), []);
    assert.equal(changes.length, 0);
    const settings = settingsWith({ minScale: 0 });
    // A new unroutable revision still starts (it must prove it works), then drops to minScale once Ready.
    assert.equal(scaler.observe(input({ settings, routable: false, ready: 0 })), 1);
    assert.deepEqual(clock.pendingDelays(), []);
    assert.equal(scaler.observe(input({ settings, routable: false, ready: 1 })), 0);
    assert.equal(scaler.observe(input({ settings, routable: true, ready: 0 })), 0);
    assert.deepEqual(clock.pendingDelays(), [1000]);
    scaler.forget(KEY);
    assert.deepEqual(clock.pendingDelays(), []);
    assert.equal(scaler.desiredOf(KEY), undefined);
    scaler.close();
  });

  test('cpu metric: usage from the callback, utilization against the request (1 core)', async () => {
    let calls = 0;
    const { clock, scaler, changes } = setup({
      usage: async () => {
        calls++;
        return [{ cpuCores: 1.6, memoryBytes: 1 }];
      },
    });
    scaler.observe(input({ settings: settingsWith({ metric: 'cpu', target: 80, windowMs: 6000 }) }));
    clock.advance(1000); // starts the first reading
    await new Promise((r) => setImmediate(r));
    clock.advance(1000); // decides on it: ceil(1 × 160 / 80) = 2
    assert.ok(calls >= 1);
    assert.deepEqual(
      changes.map((c) => [c.reason, c.desired]),
      [['ScaleUp', 2]],
    );
    assert.match(changes[0]!.message, /observed cpu 160% of the request over 1 replica/);
    scaler.close();
  });

  test('renders its gauges per revision in Prometheus text', () => {
    const { clock, stats, scaler } = setup();
    scaler.observe(input());
    const end = hold(stats, 4);
    clock.advance(1000);
    const out: string[] = [];
    scaler.renderMetrics(out);
    const text = out.join('\n');
    const labels = 'namespace="default",service="sklearn-iris",revision="sklearn-iris-predictor-00001"';
    assert.match(text, /# TYPE inferd_autoscaler_desired_replicas gauge/);
    assert.ok(text.includes(`inferd_autoscaler_desired_replicas{${labels}} 2`));
    assert.ok(text.includes(`inferd_autoscaler_actual_replicas{${labels}} 1`));
    assert.ok(text.includes(`inferd_autoscaler_panic_mode{${labels}} 1`));
    assert.ok(text.includes(`inferd_autoscaler_observed_concurrency{${labels}} 4`));
    assert.ok(text.includes(`inferd_autoscaler_observed_rps{${labels}} 4`));
    end();
    scaler.close();
  });
});
