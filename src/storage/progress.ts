// Byte counter with rate and ETA, reported to the caller at most every intervalMs (and once at the end).

import type { ProgressInfo } from './types.js';

export interface ProgressOptions {
  onProgress?: (p: ProgressInfo) => void;
  intervalMs?: number;
  now?: () => number;
}

export class Progress {
  #bytes = 0;
  #total: number | undefined;
  #start: number;
  #lastReport = 0;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #onProgress: ((p: ProgressInfo) => void) | undefined;

  constructor(opts: ProgressOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#interval = opts.intervalMs ?? 250;
    this.#onProgress = opts.onProgress;
    this.#start = this.#now();
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Starts counting again (a retried download fetches everything again; its total is added anew). */
  reset(): void {
    this.#bytes = 0;
    this.#total = undefined;
    this.#start = this.#now();
    this.#lastReport = 0;
  }

  /** Adds to the expected total (each object of a prefix adds its size). */
  addTotal(n: number): void {
    this.#total = (this.#total ?? 0) + n;
  }

  add(n: number): void {
    this.#bytes += n;
    const t = this.#now();
    if (t - this.#lastReport >= this.#interval) {
      this.#lastReport = t;
      this.#report(t);
    }
  }

  /** The final report (always delivered). */
  done(): void {
    this.#report(this.#now());
  }

  snapshot(t = this.#now()): ProgressInfo {
    const elapsedSec = Math.max((t - this.#start) / 1000, 1e-3);
    const rate = this.#bytes / elapsedSec;
    const info: ProgressInfo = { bytes: this.#bytes, rateBytesPerSec: Math.round(rate) };
    if (this.#total !== undefined) {
      info.totalBytes = this.#total;
      if (rate > 0) info.etaSec = Math.max(0, Math.round((this.#total - this.#bytes) / rate));
    }
    return info;
  }

  #report(t: number): void {
    if (!this.#onProgress) return;
    try {
      this.#onProgress(this.snapshot(t));
    } catch {
      // a failing progress callback must not fail the download
    }
  }
}
