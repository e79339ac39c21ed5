// Intra-op parallelism for large batches: a few worker threads that hold the same compiled kernels as the
// calling thread (their typed arrays in SharedArrayBuffers, shared, not copied) and split one call's rows
// between them. Rows go out in blocks through an atomic counter, so a thread that is slowed down (a busy
// machine) simply takes fewer blocks; the calling thread takes blocks too, so a call never waits for a thread
// hop to start and a pool of N threads has N - 1 workers. Small calls never come here (see intraOpSettings).
//
// A worker that dies (crash, out of memory) fails the calls in flight with an INTERNAL error -- never a hang --
// and is replaced, with every kernel registered again, before the next call.

import { Worker } from 'node:worker_threads';
import { InferdError } from '../../errors.js';
import type { KernelJob, KernelSpec, RowKernel } from './kernel.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface IntraOpPoolOptions {
  /** Threads a call may use, the calling thread included (≥ 2; 1 means no pool at all). */
  threads: number;
  /** The calling thread computes blocks too (default). Tests turn it off to make the workers take every block. */
  callerRuns?: boolean;
  /** The worker entry (tests); default ./worker.js. */
  workerUrl?: URL;
}

export interface KernelHandle {
  readonly id: number;
}

interface PendingJob {
  blocks: number;
  done: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Blocks this worker computed (tests, docs). */
  blocks: number;
}

export interface IntraOpStats {
  /** Calls run through the pool. */
  jobs: number;
  /** Blocks computed by the calling thread and by the workers. */
  callerBlocks: number;
  workerBlocks: number;
  /** Workers that exited unexpectedly and were replaced. */
  restarts: number;
}

export class IntraOpPool {
  readonly threads: number;
  readonly #callerRuns: boolean;
  readonly #workerUrl: URL;
  readonly #slots: Slot[] = [];
  readonly #kernels = new Map<number, { spec: KernelSpec; local: RowKernel }>();
  readonly #jobs = new Map<number, PendingJob>();
  #nextKernel = 1;
  #nextJob = 1;
  #closed = false;
  readonly stats: IntraOpStats = { jobs: 0, callerBlocks: 0, workerBlocks: 0, restarts: 0 };

  constructor(opts: IntraOpPoolOptions) {
    if (!Number.isSafeInteger(opts.threads) || opts.threads < 1) {
      throw new InferdError('INVALID_CONFIG', `intra-op threads: expected a positive integer, got ${opts.threads}`);
    }
    this.threads = opts.threads;
    this.#callerRuns = opts.callerRuns ?? true;
    this.#workerUrl = opts.workerUrl ?? new URL('./worker.js', import.meta.url);
    const workers = this.#callerRuns ? opts.threads - 1 : opts.threads;
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn());
  }

  /** Builds the kernel here and in every worker; the handle runs it. */
  async register(spec: KernelSpec): Promise<KernelHandle> {
    if (this.#closed) throw new InferdError('INTERNAL', 'the intra-op pool is closed');
    const local = await buildKernel(spec);
    const id = this.#nextKernel++;
    this.#kernels.set(id, { spec, local });
    for (const s of this.#slots) post(s.worker, { type: 'register', id, spec });
    return { id };
  }

  unregister(handle: KernelHandle): void {
    if (!this.#kernels.delete(handle.id)) return;
    for (const s of this.#slots) post(s.worker, { type: 'unregister', id: handle.id });
  }

  /**
   * Computes rows [0, rows) of `job` in blocks of `blockRows`, on this thread and the workers. Resolves once every
   * block is written; rejects if the kernel throws or a worker dies meanwhile.
   */
  run(handle: KernelHandle, job: KernelJob, rows: number, blockRows: number): Promise<void> {
    const kernel = this.#kernels.get(handle.id);
    if (!kernel) return Promise.reject(new InferdError('INTERNAL', `intra-op kernel ${handle.id} is not registered`));
    if (this.#closed) return Promise.reject(new InferdError('INTERNAL', 'the intra-op pool is closed'));
    const blocks = Math.ceil(rows / blockRows);
    if (blocks === 0) return Promise.resolve();
    this.stats.jobs++;
    const jobId = this.#nextJob++;
    // control[0]: the next block to claim.
    const control = new Int32Array(new SharedArrayBuffer(4));
    return new Promise<void>((resolve, reject) => {
      const pending: PendingJob = { blocks, done: 0, resolve, reject };
      this.#jobs.set(jobId, pending);
      if (this.#jobs.size === 1) for (const s of this.#slots) s.worker.ref();
      const message: ToWorker = { type: 'run', jobId, kernel: handle.id, control, job, rows, blockRows };
      for (const s of this.#slots) post(s.worker, message);
      if (!this.#callerRuns) return;
      let mine = 0;
      try {
        for (;;) {
          const b = Atomics.add(control, 0, 1);
          if (b >= blocks) break;
          const begin = b * blockRows;
          kernel.local(job, begin, Math.min(rows, begin + blockRows));
          mine++;
        }
      } catch (err) {
        Atomics.store(control, 0, blocks); // the workers stop claiming
        this.#settle(jobId, err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.stats.callerBlocks += mine;
      this.#progress(jobId, mine);
    });
  }

  /** Stops the workers; calls in flight fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new InferdError('INTERNAL', 'the intra-op pool was closed during the prediction'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  /** Worker thread ids (tests). */
  workerThreadIds(): number[] {
    return this.#slots.map((s) => s.worker.threadId);
  }

  #progress(jobId: number, blocks: number): void {
    const job = this.#jobs.get(jobId);
    if (!job) return; // already failed
    job.done += blocks;
    if (job.done >= job.blocks) this.#settle(jobId);
  }

  #settle(jobId: number, err?: Error): void {
    const job = this.#jobs.get(jobId);
    if (!job) return;
    this.#jobs.delete(jobId);
    if (this.#jobs.size === 0) for (const s of this.#slots) s.worker.unref();
    if (err) job.reject(err);
    else job.resolve();
  }

  #failAll(err: Error): void {
    for (const id of [...this.#jobs.keys()]) this.#settle(id, err);
  }

  #spawn(): Slot {
    const worker = new Worker(this.#workerUrl);
    const slot: Slot = { worker, blocks: 0 };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'done') {
        slot.blocks += m.blocks;
        this.stats.workerBlocks += m.blocks;
        this.#progress(m.jobId, m.blocks);
      } else if (m.type === 'error') {
        this.#settle(m.jobId, new InferdError('INTERNAL', `prediction failed in an intra-op thread: ${m.message}`));
      }
    });
    // 'error' (an uncaught exception) is followed by 'exit'; the exit is what matters.
    worker.on('error', () => {});
    worker.on('exit', (code) => {
      if (this.#closed) return;
      this.stats.restarts++;
      // Blocks this worker claimed will never be written: every call in flight fails rather than hangs.
      this.#failAll(
        new InferdError(
          'INTERNAL',
          `an intra-op worker thread exited (code ${code}) during the prediction; it was restarted, retry the request`,
        ),
      );
      const i = this.#slots.indexOf(slot);
      if (i < 0) return;
      const next = this.#spawn();
      this.#slots[i] = next;
      for (const [id, k] of this.#kernels) post(next.worker, { type: 'register', id, spec: k.spec });
      if (this.#jobs.size > 0) next.worker.ref();
    });
    // After the listeners: adding a 'message' listener refs the worker's port again, which kept an idle pool
    // (one that never ran a call) holding the process open.
    if (this.#jobs.size === 0) worker.unref();
    return slot;
  }
}

/** `(await import(spec.module))[spec.exportName](spec.state)`, checked. */
export async function buildKernel(spec: KernelSpec): Promise<RowKernel> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const factory = mod[spec.exportName];
  if (typeof factory !== 'function') {
    throw new InferdError('INTERNAL', `${spec.module} has no kernel factory ${spec.exportName}`);
  }
  const kernel = (factory as (state: unknown) => unknown)(spec.state);
  if (typeof kernel !== 'function') throw new InferdError('INTERNAL', `${spec.exportName} did not return a kernel`);
  return kernel as RowKernel;
}

function post(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}
