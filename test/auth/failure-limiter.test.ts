import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureLimiter } from '../../src/auth/failure-limiter.js';

test('after maxFailures in a window an address waits for the window to end; others are not affected', () => {
  let now = 1_000_000;
  const l = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 2; i++) l.fail('10.0.0.1');
  assert.equal(l.retryAfterS('10.0.0.1'), 0);
  l.fail('10.0.0.1');
  assert.equal(l.retryAfterS('10.0.0.1'), 60);
  assert.equal(l.retryAfterS('10.0.0.2'), 0);
  now += 30_500;
  assert.equal(l.retryAfterS('10.0.0.1'), 30);
  now += 30_000;
  assert.equal(l.retryAfterS('10.0.0.1'), 0);
  l.fail('10.0.0.1'); // a new window starts counting from one
  assert.equal(l.retryAfterS('10.0.0.1'), 0);
});

test('memory is bounded: past maxAddresses the oldest window is dropped', () => {
  const l = new FailureLimiter({ maxFailures: 1, maxAddresses: 2, now: () => 0 });
  l.fail('a');
  l.fail('b');
  l.fail('c');
  assert.equal(l.retryAfterS('a'), 0);
  assert.ok(l.retryAfterS('b') > 0);
  assert.ok(l.retryAfterS('c') > 0);
});
