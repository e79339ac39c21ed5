import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutlierDetector } from '../../../src/gateway/traffic/outlier.js';
import { route } from './routes.js';

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

test('5 consecutive failures eject for 30 s, then 60 s on the next ejection; a success resets the count', () => {
  const c = clock();
  const d = new OutlierDetector(undefined, c.now);
  const peers = route('r1', 100, [{ port: 1 }, { port: 2 }]).replicas;
  const a = peers[0]!;
  for (let i = 0; i < 4; i++) assert.equal(d.failure(a.key, peers), 0);
  d.success(a.key);
  for (let i = 0; i < 4; i++) assert.equal(d.failure(a.key, peers), 0);
  assert.equal(d.ejected(a.key), false);
  assert.equal(d.failure(a.key, peers), 30_000);
  assert.equal(d.ejected(a.key), true);
  c.t += 29_999;
  assert.equal(d.ejected(a.key), true);
  c.t += 1;
  assert.equal(d.ejected(a.key), false);
  for (let i = 0; i < 4; i++) d.failure(a.key, peers);
  assert.equal(d.failure(a.key, peers), 60_000);
  c.t += 60_000;
  for (let i = 0; i < 10; i++) d.failure(a.key, peers); // 3rd, then (while out) no more
  c.t += 90_000;
  assert.equal(d.ejected(a.key), false);
});

test('the last replica in rotation is never ejected; ejections are capped; gone replicas are forgotten', () => {
  const c = clock();
  const d = new OutlierDetector({ consecutiveErrors: 2, baseEjectionMs: 100, maxEjectionMs: 250 }, c.now);
  const single = route('r1', 100, [{ port: 1 }]).replicas;
  for (let i = 0; i < 20; i++) assert.equal(d.failure(single[0]!.key, single), 0);
  assert.equal(d.ejected(single[0]!.key), false);
  const two = route('r2', 100, [{ port: 1 }, { port: 2 }]).replicas;
  const a = two[0]!;
  const b = two[1]!;
  d.failure(a.key, two);
  assert.equal(d.failure(a.key, two), 100);
  d.failure(b.key, two);
  assert.equal(d.failure(b.key, two), 0, 'a is out: b is the last one in rotation');
  const ms: number[] = [];
  for (let n = 0; n < 4; n++) {
    c.t += 1_000;
    d.failure(a.key, two);
    ms.push(d.failure(a.key, two));
  }
  assert.deepEqual(ms, [200, 250, 250, 250]);
  d.prune(new Set([b.key]));
  assert.equal(d.ejected(a.key), false);
});
