// Bounded waits on what a test is waiting for, instead of fixed sleeps (issue 12, item 6): a fixed sleep is too
// short on a loaded machine and too long everywhere else, and a negative assertion after one can pass without
// the path ever running. Assert the positive precondition first, then the negative.

import type { EventEmitter } from 'node:events';
import { once } from 'node:events';

/** The next `event` from `emitter` (its arguments); rejects naming `what` after `timeoutMs`. */
export async function nextEvent(emitter: EventEmitter, event: string, what: string, timeoutMs = 10_000) {
  try {
    return await once(emitter, event, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new Error(`${what}: no '${event}' within ${timeoutMs} ms`);
    throw err;
  }
}

/**
 * Resolves once `cond()` holds, checked after every few milliseconds of I/O; rejects naming `what` after
 * `timeoutMs`. For state that changes on an event the test cannot subscribe to (a pool's counters).
 */
export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: still not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `p`, or an error naming `what` (read when the time is up) after `timeoutMs`; the timer is cleared either way. */
export async function within<T>(p: Promise<T>, timeoutMs: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${typeof what === 'string' ? what : what()}: not within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolver, for "the handler has seen the request" signals. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
