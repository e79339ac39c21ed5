// An intra-op worker thread (pool.ts): builds the kernels it is given from their shared state, and for each
// call claims blocks of rows from the call's atomic counter until none is left, then says how many it did.

import { parentPort } from 'node:worker_threads';
import type { KernelJob, KernelSpec, RowKernel } from './kernel.js';
import { buildKernel } from './pool.js';

export type ToWorker =
  | { type: 'register'; id: number; spec: KernelSpec }
  | { type: 'unregister'; id: number }
  | {
      type: 'run';
      jobId: number;
      kernel: number;
      /** control[0]: the next block to claim (Atomics.add). */
      control: Int32Array;
      job: KernelJob;
      rows: number;
      blockRows: number;
    };

export type FromWorker =
  | { type: 'done'; jobId: number; blocks: number }
  | { type: 'error'; jobId: number; message: string };

const port = parentPort;
if (port) {
  const kernels = new Map<number, Promise<RowKernel>>();
  const ready = new Map<number, RowKernel>();

  const runBlocks = (kernel: RowKernel, m: Extract<ToWorker, { type: 'run' }>): void => {
    const blocks = Math.ceil(m.rows / m.blockRows);
    let mine = 0;
    try {
      for (;;) {
        const b = Atomics.add(m.control, 0, 1);
        if (b >= blocks) break;
        const begin = b * m.blockRows;
        kernel(m.job, begin, Math.min(m.rows, begin + m.blockRows));
        mine++;
      }
    } catch (err) {
      Atomics.store(m.control, 0, blocks);
      port.postMessage({
        type: 'error',
        jobId: m.jobId,
        message: (err as Error)?.message ?? String(err),
      } satisfies FromWorker);
      return;
    }
    // Nothing claimed (the other threads were faster): nothing to say.
    if (mine > 0) port.postMessage({ type: 'done', jobId: m.jobId, blocks: mine } satisfies FromWorker);
  };

  port.on('message', (m: ToWorker) => {
    if (m.type === 'register') {
      const built = buildKernel(m.spec);
      kernels.set(m.id, built);
      built.then(
        (k) => {
          if (kernels.get(m.id) === built) ready.set(m.id, k);
        },
        () => {}, // reported to the calls that use it, below
      );
    } else if (m.type === 'unregister') {
      kernels.delete(m.id);
      ready.delete(m.id);
    } else if (m.type === 'run') {
      const k = ready.get(m.kernel);
      if (k) {
        runBlocks(k, m);
        return;
      }
      const pending = kernels.get(m.kernel);
      if (!pending) {
        // Unregistered since: the calling thread does the blocks.
        return;
      }
      pending.then(
        (kernel) => runBlocks(kernel, m),
        (err: Error) => {
          // The caller keeps computing blocks; this worker takes none.
          port.postMessage({
            type: 'error',
            jobId: m.jobId,
            message: `cannot build the kernel: ${err.message}`,
          } satisfies FromWorker);
        },
      );
    }
  });
}
