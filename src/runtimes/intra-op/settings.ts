// When a model splits a call across threads, and over how many: the replica's env (set by the controller from
// the `serving.inferd.dev/intra-op-threads` annotation or `resources.limits.cpu`, see api/limits.ts), one
// process-wide pool per thread count, and the size below which a call stays on the calling thread.

import { InferdError } from '../../errors.js';
import type { KernelJob, KernelSpec } from './kernel.js';
import type { IntraOpPool } from './pool.js';

/** Threads a call may use, the calling one included; unset or 1: every call on the calling thread. */
export const INTRA_OP_THREADS_ENV = 'INFERD_INTRA_OP_THREADS';
/** Rows below which a call never leaves the calling thread (default DEFAULT_MIN_ROWS). */
export const INTRA_OP_MIN_ROWS_ENV = 'INFERD_INTRA_OP_MIN_ROWS';

/**
 * Measured (docs/benchmarks.md, "Using the cores"): handing blocks to a worker costs ~0.1-0.3 ms (a message and
 * a wake-up; more on a loaded machine), so a split pays once a call costs a few ms: 256 rows of a 500-tree
 * depth-6 xgboost model take ~4-6 ms.
 */
export const DEFAULT_MIN_ROWS = 256;
/** And the work must be worth it too: rows × node steps per row (256 rows × 1,000 steps ≈ 1-2 ms of walking). */
export const MIN_WORK_STEPS = 256_000;

export interface IntraOpSettings {
  threads: number;
  minRows: number;
  /** rows × steps per row a split needs too; 0 when INFERD_INTRA_OP_MIN_ROWS is set (it then decides alone). */
  minWorkSteps: number;
}

/** The settings in a runtime's env; a value that is not a positive integer is INVALID_CONFIG naming the variable. */
export function intraOpSettings(env: Readonly<Record<string, string | undefined>> = {}): IntraOpSettings {
  const minRows = positiveInt(env, INTRA_OP_MIN_ROWS_ENV);
  return {
    threads: positiveInt(env, INTRA_OP_THREADS_ENV) ?? 1,
    minRows: minRows ?? DEFAULT_MIN_ROWS,
    minWorkSteps: minRows === undefined ? MIN_WORK_STEPS : 0,
  };
}

function positiveInt(env: Readonly<Record<string, string | undefined>>, key: string): number | undefined {
  const text = env[key];
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InferdError('INVALID_CONFIG', `${key}: expected a positive integer, got '${text}'`, { path: key });
  }
  return n;
}

const pools = new Map<number, IntraOpPool>();

/**
 * The process's pool for `threads` threads, started on first use (its workers do not keep the process alive).
 * pool.js is imported here, not at the top: a model thread whose calls never split does not load it.
 */
export async function sharedPool(threads: number): Promise<IntraOpPool> {
  let pool = pools.get(threads);
  if (!pool) {
    const { IntraOpPool: Pool } = await import('./pool.js');
    pool = pools.get(threads) ?? new Pool({ threads }); // another call may have made it while this one imported
    pools.set(threads, pool);
  }
  return pool;
}

/**
 * A model's kernel registered with the pool, and the decision to use it. `stepsPerRow` is the kernel's cost of
 * one row in node steps (trees × depth, or multiply-adds / 4 for dense layers).
 */
export class ParallelKernel {
  readonly #pool: IntraOpPool;
  readonly #handle: { id: number };
  readonly #settings: IntraOpSettings;

  private constructor(pool: IntraOpPool, handle: { id: number }, settings: IntraOpSettings) {
    this.#pool = pool;
    this.#handle = handle;
    this.#settings = settings;
  }

  /** Undefined when the settings allow one thread: the model then never leaves the calling thread. */
  static async create(
    spec: KernelSpec,
    settings: IntraOpSettings,
    pool?: IntraOpPool,
  ): Promise<ParallelKernel | undefined> {
    if (settings.threads <= 1 && !pool) return undefined;
    const p = pool ?? (await sharedPool(settings.threads));
    return new ParallelKernel(p, await p.register(spec), settings);
  }

  /** Whether a call of `rows` rows costing `stepsPerRow` each is split across threads. */
  splits(rows: number, stepsPerRow: number): boolean {
    return rows >= this.#settings.minRows && rows * stepsPerRow >= this.#settings.minWorkSteps;
  }

  /**
   * Runs `job` on `rows` rows in blocks of at least `blockRows`, and at most two blocks per thread: each block
   * walks every tree over its rows, so smaller blocks reload large trees (a 100-tree depth-12 forest is ~10 MB)
   * from memory more often -- measured 3× slower at 64-row blocks than at 250 for such a forest.
   */
  run(job: KernelJob, rows: number, blockRows: number): Promise<void> {
    const block = Math.max(blockRows, Math.ceil(rows / (2 * this.#pool.threads)));
    return this.#pool.run(this.#handle, job, rows, block);
  }

  close(): void {
    this.#pool.unregister(this.#handle);
  }
}
