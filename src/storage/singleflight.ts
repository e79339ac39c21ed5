// Concurrent calls for one key share one download. The shared download is cancelled only when every caller
// waiting on it has aborted; a caller that aborts alone gets its own rejection right away. A caller already
// aborted never starts or joins a flight (a flight nobody waits on would reject unobserved and end the process),
// and a cancelled flight is forgotten at once, so a later caller starts afresh instead of inheriting the
// cancellation.

import { abortReason } from './http-client.js';

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** Runs `work` once per key at a time; other callers with the same key join the running one. */
  run(key: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = work(controller.signal).finally(() => {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      });
      // Every waiter observes the shared promise through its own; this guard only keeps a failure after the last
      // waiter left (it was told at once) from surfacing as an unhandled rejection, which ends the process.
      promise.catch(() => {});
      flight = { promise, controller, waiters: 0 };
      this.#flights.set(key, flight);
    }
    const f = flight;
    f.waiters++;
    if (!signal) return f.promise;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.#leave(key, f, signal);
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** Number of downloads in flight (for tests and metrics). */
  get size(): number {
    return this.#flights.size;
  }

  #leave(key: string, f: Flight<T>, signal: AbortSignal): void {
    f.waiters--;
    if (f.waiters > 0) return;
    // cancelled: a caller arriving while it winds down must not join it and inherit the cancellation
    if (this.#flights.get(key) === f) this.#flights.delete(key);
    f.controller.abort(signal.reason);
  }
}
