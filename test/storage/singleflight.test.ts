// Shared downloads: a caller that arrives already aborted leaves at once without starting a flight (one nobody
// waits on would surface as an unhandled rejection, which ends `inferd serve`: issue 10), and a cancelled flight
// is forgotten, so the next caller gets its own outcome instead of another caller's cancellation.

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
    assert.equal(started, 0, 'a caller already aborted starts no flight: no shared promise is left unobserved');
    // Unhandled rejections are reported after the microtask queue drains: let a macrotask pass.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
    assert.equal(flights.size, 0, 'the cancelled flight is forgotten');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

/** Collects unhandled rejections until `stop()`, which lets the macrotasks that report them pass first. */
function watchUnhandled(): { stop(): Promise<unknown[]> } {
  const seen: unknown[] = [];
  const on = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', on);
  return {
    async stop() {
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      process.off('unhandledRejection', on);
      return seen;
    },
  };
}

test('issue 10: a deleted service whose fetch arrives aborted starts nothing; the next caller gets the real failure', async () => {
  const watch = watchUnhandled();
  const flights = new SingleFlight<string>();
  let started = 0;
  // as a download does: a cancelled one fails with the cancellation, a live one with what the server said
  const failing = async (signal: AbortSignal) => {
    started++;
    await new Promise((r) => setImmediate(r));
    if (signal.aborted) throw signal.reason;
    throw new Error('503 from storage');
  };
  const deleted = new AbortController();
  deleted.abort(new Error('deleted'));
  const first = flights.run('uri', deleted.signal, failing);
  // the other service, arriving right after: it must see the download's own failure, not the deletion
  const second = flights.run('uri', new AbortController().signal, failing);
  await assert.rejects(first, /download cancelled/);
  await assert.rejects(second, /503 from storage/);
  assert.equal(started, 1, 'only the live caller started a download');
  assert.deepEqual(await watch.stop(), []);
  assert.equal(flights.size, 0);
});

test('issue 10: once its only waiter left, a cancelled flight is forgotten; a later caller starts afresh', async () => {
  const watch = watchUnhandled();
  const flights = new SingleFlight<string>();
  let started = 0;
  const first = new AbortController();
  const p1 = flights.run('uri', first.signal, (signal) => {
    started++;
    return untilAborted(signal);
  });
  first.abort(new Error('deleted'));
  // the cancelled download has not settled yet (its rejection is a microtask away): a caller joining now
  // would inherit the cancellation
  const p2 = flights.run('uri', new AbortController().signal, async () => {
    started++;
    return 'model';
  });
  await assert.rejects(p1, /download cancelled/);
  assert.equal(await p2, 'model');
  assert.equal(started, 2);
  assert.deepEqual(await watch.stop(), []);
  assert.equal(flights.size, 0);
});
