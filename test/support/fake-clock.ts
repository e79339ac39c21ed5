// A Clock (src/controllers/clock.ts) that moves only when a test says so: back-off and
// throttling tests advance it instead of waiting for real time.

import type { Clock, Timer } from '../../src/controllers/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private ms: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(start = Date.parse('2026-11-24T06:00:00Z')) {
    this.ms = start;
  }

  now(): number {
    return this.ms;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const t: Pending = { at: this.ms + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return { cancel: () => this.cancel(t) };
  }

  /** Moves time forward by ms, firing due timers in time order (those they set too, if due by then). */
  advance(ms: number): void {
    const target = this.ms + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.cancel(next);
      this.ms = next.at;
      next.fn();
    }
    this.ms = target;
  }

  /** Delays (from now) of the timers not fired yet, soonest first. */
  pendingDelays(): number[] {
    return this.timers.map((t) => t.at - this.ms).sort((a, b) => a - b);
  }

  private cancel(t: Pending): void {
    this.timers = this.timers.filter((x) => x !== t);
  }
}
