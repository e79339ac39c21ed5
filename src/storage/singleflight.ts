// Concurrent calls for one key share one download. The shared download is cancelled only when every caller
// waiting on it has aborted; a caller that aborts alone gets its own rejection right away.

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
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = work(controller.signal).finally(() => {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      });
      // Each waiter gets its own promise; the shared one may fail with no waiter left (a caller whose signal was
      // already aborted leaves at once), and an unhandled rejection would end the process.
      promise.catch(() => {});
      flight = { promise, controller, waiters: 0 };
      this.#flights.set(key, flight);
    }
    const f = flight;
    f.waiters++;
    if (!signal) return f.promise;
    if (signal.aborted) {
      this.#leave(f, signal);
      return Promise.reject(abortReason(signal));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.#leave(f, signal);
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

  #leave(f: Flight<T>, signal: AbortSignal): void {
    f.waiters--;
    if (f.waiters <= 0) f.controller.abort(signal.reason);
  }
}
