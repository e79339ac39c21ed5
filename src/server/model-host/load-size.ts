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
 * Measures loads one after the other. The bytes in use after one load's GC are the next load's starting point
 * (one measure per load, not two), until `invalidate()` says memory was
 * freed meanwhile (a model unloaded, a load failed), when the next load collects first.
 */
export class LoadMeter {
  private baseline: number | undefined;
  constructor(private readonly gc: (() => void) | undefined = exposeGc()) {}

  invalidate(): void {
    this.baseline = undefined;
  }

  async measure<T>(load: () => Promise<T>): Promise<LoadSize<T>> {
    const gc = this.gc;
    if (!gc) {
      const before = bytesInUse();
      const value = await load();
      return { value, bytes: Math.max(0, bytesInUse() - before), exact: false };
    }
    const before = this.baseline ?? (await settled(gc));
    this.baseline = undefined;
    const value = await load();
    const after = await settled(gc);
    this.baseline = after;
    return { value, bytes: Math.max(0, after - before), exact: true };
  }
}
