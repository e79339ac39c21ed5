// The web app's chart math (src/ui/app/metrics.ts), run in node: Prometheus text → one service's numbers →
// rates over the difference of two scrapes and quantiles from histogram buckets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheus, pointBetween, quantile, snapshot } from '../../src/ui/app/metrics.js';

const near = (a: number | undefined, b: number, tol = 1e-9) =>
  assert.ok(a !== undefined && Math.abs(a - b) <= tol, `${a} ≈ ${b}`);

/** The contract's series (docs/web-app.md), for two services. */
function scrape(okA: number, errA: number, bucketsA: [string, number][], okB = 7): string {
  const lines = [
    '# TYPE inferd_gateway_requests_total counter',
    `inferd_gateway_requests_total{namespace="ns",service="a",component="predictor",revision="a-predictor-00001",protocol="v1",code="200"} ${okA}`,
    `inferd_gateway_requests_total{namespace="ns",service="a",component="predictor",revision="a-predictor-00001",protocol="v2",code="500"} ${errA}`,
    `inferd_gateway_requests_total{namespace="ns",service="b",component="predictor",revision="b-predictor-00001",protocol="v1",code="200"} ${okB}`,
    `inferd_gateway_requests_total{namespace="other",service="a",component="predictor",revision="a-predictor-00001",protocol="v1",code="200"} 1000`,
    ...bucketsA.map(
      ([le, c]) =>
        `inferd_gateway_request_duration_seconds_bucket{namespace="ns",service="a",component="predictor",revision="a-predictor-00001",protocol="v1",le="${le}"} ${c}`,
    ),
    'inferd_replicas{namespace="ns",service="a",component="predictor",revision="a-predictor-00001",state="desired"} 3',
    'inferd_replicas{namespace="ns",service="a",component="predictor",revision="a-predictor-00001",state="ready"} 2',
  ];
  return `${lines.join('\n')}\n`;
}

test('parsePrometheus reads names, labels (escapes included) and values, skipping comments', () => {
  const s = parsePrometheus('# HELP x y\nx{a="1",b="q\\"uote"} 2.5\ny 3\nz{le="+Inf"} +Inf\n');
  assert.deepEqual(s[0], { name: 'x', labels: { a: '1', b: 'q"uote' }, value: 2.5 });
  assert.deepEqual(s[1], { name: 'y', labels: {}, value: 3 });
  assert.equal(s[2]!.value, Infinity);
});

test('request and error rate between two scrapes, for one namespace/service only', () => {
  const b0: [string, number][] = [
    ['0.01', 0],
    ['0.1', 0],
    ['+Inf', 0],
  ];
  const b1: [string, number][] = [
    ['0.01', 50],
    ['0.1', 98],
    ['+Inf', 100],
  ];
  const s0 = snapshot(parsePrometheus(scrape(100, 10, b0)), 'ns', 'a', 1000);
  const s1 = snapshot(parsePrometheus(scrape(180, 30, b1, 500)), 'ns', 'a', 1002);
  const p = pointBetween(s0, s1);
  near(p.rps, 50); // (180+30 - 110) / 2 s: service b and namespace "other" not counted
  near(p.errorsPerSecond, 10);
  near(p.p50Ms, 10); // rank 50 of 100 falls at the top of the first bucket
  near(p.p99Ms, 100); // rank 99 > 98: in the +Inf bucket → the highest finite bound, 0.1 s
  assert.equal(p.replicasReady, 2);
  assert.equal(p.replicasDesired, 3);
});

test('quantile interpolates linearly inside a bucket, as histogram_quantile does', () => {
  const b = new Map([
    [0.1, 10],
    [0.2, 30],
    [Infinity, 30],
  ]);
  near(quantile(0.5, b), 0.1 + (0.1 * (15 - 10)) / 20);
  assert.equal(quantile(0.5, new Map([[0.1, 0]])), undefined, 'no observations: no quantile');
});

test('without the per-service series: the older revision="ns/name/rev" counters give the rate; latency is no data', () => {
  const old = (n: number) =>
    `inferd_gateway_requests_total{revision="ns/a/a-predictor-00001",code_class="2xx"} ${n}\n` +
    `inferd_gateway_requests_total{revision="ns/a/a-predictor-00001",code_class="5xx"} 1\n` +
    `inferd_gateway_requests_total{revision="ns/ab/ab-predictor-00001",code_class="2xx"} 999\n`;
  const p = pointBetween(
    snapshot(parsePrometheus(old(10)), 'ns', 'a', 0),
    snapshot(parsePrometheus(old(30)), 'ns', 'a', 4),
  );
  near(p.rps, 5);
  near(p.errorsPerSecond, 0);
  assert.equal(p.p50Ms, undefined);
  assert.equal(p.replicasReady, undefined);
});

test('no series at all: every value undefined (the charts say "no data"); a counter reset counts from zero', () => {
  const none = pointBetween(snapshot([], 'ns', 'a', 0), snapshot([], 'ns', 'a', 2));
  assert.equal(none.rps, undefined);
  assert.equal(none.errorsPerSecond, undefined);
  const reset = pointBetween(
    snapshot(parsePrometheus(scrape(500, 0, [])), 'ns', 'a', 0),
    snapshot(parsePrometheus(scrape(20, 0, [])), 'ns', 'a', 2),
  );
  near(reset.rps, 10);
});
