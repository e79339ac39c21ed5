// Shared downloads: a caller that arrives already aborted leaves at once, and the flight it started (now
// cancelled, nobody waiting) must not surface as an unhandled rejection, which would end `inferd serve`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SingleFlight } from '../../src/storage/singleflight.js';

/** Work that settles only when its signal aborts, rejecting with the reason (as a real download does). */
function untilAborted(signal: AbortSignal): Promise<string> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

test('EXPECTED FAILURE - a caller already aborted is rejected as cancelled; no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const flights = new SingleFlight<string>();
    let started = 0;
    const ac = new AbortController();
    ac.abort(new Error('cancelled before it began'));
    await assert.rejects(
      flights.run('k', ac.signal, (signal) => {
        started++;
        return untilAborted(signal);
      }),
      /download cancelled/,
    );
    assert.equal(started, 1, 'the flight was started, so there is a shared promise to settle');
    // Unhandled rejections are reported after the microtask queue drains: let a macrotask pass.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
    assert.equal(flights.size, 0, 'the cancelled flight is forgotten');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
