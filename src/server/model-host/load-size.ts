// What one model's load adds to its worker's memory (a TrainedModel's size, checked against its `memory`):
// the V8 heap in use plus the memory V8 counts outside it (ArrayBuffers and typed arrays, Buffers), after a full
// GC, minus the same before the load. Loads are measured one at a time (the group worker serialises them).
//
// Buffers outside the heap are freed by weak callbacks that run after the GC, in a later turn: a measure is a
// GC, a turn of the event loop, and a second GC (without the turn a model unloaded just before is still counted).
// The GC comes from V8's --expose-gc, turned on for a fresh context only (v8.setFlagsFromString + vm): the
// worker's own globals stay as they are. Exact to the GC's granularity for what the model keeps, with two
// known errors: what other models' calls hold while the load runs (their tensors in flight) is counted to the
// loading model, and native memory that V8 does not know about (onnxruntime's arenas) is not counted at all.
// Without the GC (the flag refused) the deltas of v8.getHeapStatistics() alone are reported, marked inexact:
// garbage made by the load counts, garbage collected meanwhile is subtracted.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface LoadSize<T> {
  value: T;
  /** Bytes the load added (heap used + external), never negative. */
  bytes: number;
  /** True when measured after full GCs. */
  exact: boolean;
}

/** Bytes in use now: the isolate's heap in use plus V8's external memory (array buffers, Buffers). */
export function bytesInUse(): number {
  const s = getHeapStatistics();
  return s.used_heap_size + s.external_memory;
}

function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes in use once what is garbage now is freed, heap and outside buffers both. */
async function settled(gc: () => void): Promise<number> {
  gc();
  await nextTurn();
  gc();
  return bytesInUse();
}

/**
 * Measures loads one after the other, each between two settled measures. (Starting from the previous load's
 * end instead saved a measure but undercounted: what the worker held at that end, messages and promises of the
 * previous load, was freed during the next one, and some iris models measured 0.)
 */
export class LoadMeter {
  constructor(private readonly gc: (() => void) | undefined = exposeGc()) {}

  async measure<T>(load: () => Promise<T>): Promise<LoadSize<T>> {
    const gc = this.gc;
    if (!gc) {
      const before = bytesInUse();
      const value = await load();
      return { value, bytes: Math.max(0, bytesInUse() - before), exact: false };
    }
    const before = await settled(gc);
    const value = await load();
    const after = await settled(gc);
    return { value, bytes: Math.max(0, after - before), exact: true };
  }
}

/** One load for a BatchLoader. */
export interface LoadJob<T> {
  /** Loads of one kind (a format) share a runtime: the first one is loaded once and dropped before any measure. */
  kind: string;
  /** The model's budget in bytes (none: no check, measured all the same). */
  budget?: number;
  /** Work that is not the model's (importing its runtime); returns the load itself. Not measured. */
  prepare(): Promise<() => Promise<T>>;
  /** Frees a loaded value (after the warm-up, or to load it again alone). */
  drop(value: T): Promise<void>;
}

/** Most loads measured together. */
const MAX_BATCH = 64;

/**
 * Loads one after the other, measuring each (LoadMeter). A measure is four GCs (~20–40 ms each on a busy machine:
 * 1,000 models measured one by one took 41 s instead of 3 s), so loads that queue up are measured together
 * while they fit: as many as half the smallest of their budgets holds at the average size measured so far.
 * The batch's total is exact; each model gets an equal share of it (an estimate, below its budget since the
 * total is). A batch whose total is over one of its budgets is loaded again one model at
 * a time, each measured exactly, so that a refusal is always an exact measure.
 */
export class BatchLoader<T> {
  private readonly queue: { job: LoadJob<T>; resolve: (r: LoadSize<T>) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  private readonly warmed = new Set<string>();
  /** Bytes per model, a running average of what was measured (0: nothing yet, so one at a time). */
  private average = 0;

  constructor(private readonly meter = new LoadMeter()) {}

  load(job: LoadJob<T>): Promise<LoadSize<T>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) await this.runBatch(this.take());
    } finally {
      this.running = false;
    }
  }

  private take(): BatchLoader<T>['queue'] {
    const out = [this.queue.shift()!];
    let budget = out[0]!.job.budget ?? Number.POSITIVE_INFINITY;
    while (this.queue.length > 0 && out.length < MAX_BATCH && this.average > 0) {
      const b = Math.min(budget, this.queue[0]!.job.budget ?? Number.POSITIVE_INFINITY);
      if ((out.length + 1) * this.average * 2 > b) break;
      out.push(this.queue.shift()!);
      budget = b;
    }
    return out;
  }

  private learn(bytes: number, models: number): void {
    const each = bytes / models;
    this.average = this.average === 0 ? each : 0.7 * this.average + 0.3 * each;
  }

  private async runBatch(batch: BatchLoader<T>['queue']): Promise<void> {
    const ready: { item: (typeof batch)[number]; load: () => Promise<T> }[] = [];
    for (const item of batch) {
      try {
        const load = await item.job.prepare();
        if (!this.warmed.has(item.job.kind)) {
          await warmUp(load, item.job.drop); // in a frame of its own: nothing here keeps the dropped model alive
          this.warmed.add(item.job.kind);
        }
        ready.push({ item, load });
      } catch (err) {
        item.reject(err);
      }
    }
    if (ready.length === 0) return;
    if (ready.length === 1) return this.alone(ready[0]!.item, ready[0]!.load);

    const loaded: { item: (typeof batch)[number]; load: () => Promise<T>; value: T }[] = [];
    const total = await this.meter.measure(async () => {
      for (const r of ready) {
        try {
          loaded.push({ ...r, value: await r.load() });
        } catch (err) {
          r.item.reject(err);
        }
      }
    });
    if (loaded.length === 0) return;
    const budget = Math.min(...loaded.map((l) => l.item.job.budget ?? Number.POSITIVE_INFINITY));
    if (total.bytes <= budget) {
      this.learn(total.bytes, loaded.length);
      // An equal share each (a model's own growth without a GC is too noisy to split by: a scavenge during
      // one load frees what others left).
      const share = Math.round(total.bytes / loaded.length);
      for (const l of loaded) {
        l.item.resolve({ value: l.value, bytes: share, exact: loaded.length === 1 && total.exact });
      }
      return;
    }
    // Over a budget: whose? Each model is loaded again alone.
    for (const l of loaded) await l.item.job.drop(l.value).catch(() => undefined);
    for (const l of loaded) await this.alone(l.item, l.load);
  }

  private async alone(item: BatchLoader<T>['queue'][number], load: () => Promise<T>): Promise<void> {
    try {
      const r = await this.meter.measure(load);
      this.learn(r.bytes, 1);
      item.resolve(r);
    } catch (err) {
      item.reject(err);
    }
  }
}

/** Loads once and drops it (a runtime's first-load costs are paid outside the measure). */
async function warmUp<T>(load: () => Promise<T>, drop: (value: T) => Promise<void>): Promise<void> {
  await drop(await load());
}
