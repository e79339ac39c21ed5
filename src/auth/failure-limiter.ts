// Failed authentication attempts per client address: after `maxFailures` within `windowMs`, further
// requests from that address get 429 with Retry-After until the window ends (token guessing is then
// ~10 tries a minute per address; with 256-bit tokens this is about logs and load, not odds). Bounded memory.

export interface FailureLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Most addresses tracked; past it the oldest windows are dropped. */
  maxAddresses?: number;
  now?: () => number;
}

export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { startMs: number; failures: number }>();

  constructor(opts: FailureLimiterOptions = {}) {
    this.#max = opts.maxFailures ?? 10;
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#maxAddresses = opts.maxAddresses ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfterS(address: string): number {
    const w = this.#windows.get(address);
    if (!w) return 0;
    const left = w.startMs + this.#windowMs - this.#now();
    if (left <= 0) {
      this.#windows.delete(address);
      return 0;
    }
    return w.failures >= this.#max ? Math.ceil(left / 1000) : 0;
  }

  /** Records one failed attempt from `address`. */
  fail(address: string): void {
    const now = this.#now();
    let w = this.#windows.get(address);
    if (!w || now - w.startMs >= this.#windowMs) {
      if (!w && this.#windows.size >= this.#maxAddresses) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
      w = { startMs: now, failures: 0 };
      this.#windows.delete(address);
      this.#windows.set(address, w);
    }
    w.failures++;
  }
}
