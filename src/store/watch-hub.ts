// In-process watch fan-out with a bounded event log, so a watcher can resume from a resourceVersion.
//
//   log (oldest → newest, at most `capacity` entries)         horizon = rv of the last entry dropped
//   ┌──────┬──────┬──────┬─────┬──────┐                        (or the store's rv when it opened)
//   │ rv 41│ rv 42│ rv 43│ ... │ rv 90│  ← publish() appends committed events, then drains the queue
//   └──────┴──────┴──────┴─────┴──────┘
//   watch from rv R: R < horizon → 410 Expired; else replay entries with rv > R, then live events.
//
// Delivery is synchronous and in commit order. A listener that writes to the store while being called
// only enqueues: the outer drain loop delivers that write's events after the current one, to everyone.
// Each listener remembers the last rv it saw, so replayed and queued events are never delivered twice.
// Every listener gets its own parsed copy, so one listener mutating an object cannot affect another.

import type { Resource } from '../api/types.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { matchesLabels } from './label-selector.js';
import { expired } from './resource-errors.js';
import type { WatchEvent, WatchEventType } from './store.js';

/** One committed change; `body` is the object's JSON as stored (for DELETED: its last state). */
export interface LoggedEvent {
  rv: number;
  type: WatchEventType;
  kind: string;
  namespace: string; // '' for cluster-scoped kinds
  labels: Record<string, string> | undefined;
  body: string;
}

export interface WatchFilter {
  kind: string;
  namespace?: string;
  labelSelector?: Record<string, string>;
}

interface Listener {
  filter: WatchFilter;
  onEvent: (ev: WatchEvent) => void;
  lastRv: number;
  closed: boolean;
}

function matches(filter: WatchFilter, ev: LoggedEvent): boolean {
  if (ev.kind !== filter.kind) return false;
  if (filter.namespace !== undefined && ev.namespace !== filter.namespace) return false;
  return matchesLabels(ev.labels, filter.labelSelector);
}

export class WatchHub {
  readonly #capacity: number;
  readonly #log: LoggedEvent[] = [];
  readonly #listeners = new Set<Listener>();
  readonly #queue: LoggedEvent[] = [];
  readonly #logger: Logger;
  #horizon: number;
  #draining = false;

  constructor(opts: { capacity: number; startRv: number; log: Logger }) {
    this.#capacity = opts.capacity;
    this.#horizon = opts.startRv;
    this.#logger = opts.log;
  }

  /** Records committed events and delivers them (synchronously unless a delivery is already running). */
  publish(events: readonly LoggedEvent[]): void {
    for (const ev of events) {
      this.#log.push(ev);
      this.#queue.push(ev);
    }
    const excess = this.#log.length - this.#capacity;
    if (excess > 0) this.#horizon = this.#log.splice(0, excess).at(-1)!.rv;
    this.#exclusive(() => {});
  }

  /**
   * Adds a listener. With `fromRv`, first replays the logged events after it (410 Expired when the log no
   * longer reaches back that far). With `initial` (the current objects, read at `snapshotRv`), first
   * delivers those as ADDED.
   */
  subscribe(
    filter: WatchFilter,
    onEvent: (ev: WatchEvent) => void,
    start: { fromRv: number } | { initial: readonly LoggedEvent[]; snapshotRv: number },
  ): () => void {
    const listener: Listener = { filter, onEvent, lastRv: 0, closed: false };
    if ('fromRv' in start && start.fromRv < this.#horizon) {
      throw expired(String(start.fromRv), String(this.#horizon + 1));
    }
    this.#exclusive(() => {
      this.#listeners.add(listener);
      if ('fromRv' in start) {
        listener.lastRv = start.fromRv;
        for (const ev of this.#log) this.#deliver(listener, ev);
      } else {
        listener.lastRv = start.snapshotRv;
        for (const ev of start.initial) this.#call(listener, ev);
      }
    });
    return () => {
      listener.closed = true;
      this.#listeners.delete(listener);
    };
  }

  /** Runs `fn`, then delivers queued events, unless a delivery is already running (it will drain them). */
  #exclusive(fn: () => void): void {
    if (this.#draining) {
      fn();
      return;
    }
    this.#draining = true;
    try {
      fn();
      for (let ev = this.#queue.shift(); ev; ev = this.#queue.shift()) {
        for (const l of this.#listeners) this.#deliver(l, ev);
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Stops every listener (the store is closing). */
  closeAll(): void {
    for (const l of this.#listeners) l.closed = true;
    this.#listeners.clear();
  }

  #deliver(l: Listener, ev: LoggedEvent): void {
    if (l.closed || ev.rv <= l.lastRv) return;
    l.lastRv = ev.rv;
    if (matches(l.filter, ev)) this.#call(l, ev);
  }

  #call(l: Listener, ev: LoggedEvent): void {
    if (l.closed) return;
    try {
      l.onEvent({ type: ev.type, object: JSON.parse(ev.body) as Resource });
    } catch (err) {
      // A failing listener must not stop delivery to the others; it is logged once here (kind only:
      // objects can be Secrets, whose data is never logged).
      this.#logger.warn('watch listener threw', { kind: ev.kind, event: ev.type, error: messageOf(err) });
    }
  }
}
