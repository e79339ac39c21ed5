// Kernels for the intra-op pool's own tests (pool.test.ts): one that copies rows (and says which thread did),
// one that kills its worker thread, one that throws. Built from a state the way real kernels are.

import { isMainThread, threadId } from 'node:worker_threads';
import type { KernelJob, RowKernel } from '../../../src/runtimes/intra-op/kernel.js';

/** out[r] = x[r] * state.scale; who[r] = the thread id that computed row r. */
export function scaleKernel(state: { scale: number }): RowKernel {
  return (job: KernelJob, begin: number, end: number) => {
    const x = job.arrays.x as Float64Array;
    const out = job.arrays.out as Float64Array;
    const who = job.arrays.who as Int32Array;
    for (let r = begin; r < end; r++) {
      out[r] = x[r]! * state.scale;
      who[r] = threadId;
    }
  };
}

/** Ends its worker thread (process.exit in a worker stops only that thread) on the first block it computes. */
export function exitingKernel(): RowKernel {
  return () => {
    if (!isMainThread) process.exit(7);
  };
}

/** Throws from whichever thread computes a block. */
export function throwingKernel(): RowKernel {
  return () => {
    throw new Error('kernel exploded');
  };
}
