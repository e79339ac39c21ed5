// Large batches of a scikit-learn MLP (alone or as a Pipeline's last step) run in onnxruntime-node: the network
// is compiled at load into an in-memory ONNX graph (estimators/mlp-graph.ts) and one InferenceSession per
// model runs it with MLAS's GEMM, in float64 like sklearn. Small calls (one row, iris-sized networks) stay on
// the synchronous TypeScript kernel: a session run costs a fixed ~0.05-0.1 ms and a promise. onnxruntime-node
// is loaded only when such a model is (the same lazy import as the ONNX runtime); if it cannot load or refuses
// the graph, the model keeps the TypeScript kernel and says so once in the log.

import type * as Ort from 'onnxruntime-node';
import { InferdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { OnnxOffload } from './estimators/estimator.js';
import { MLP_INPUT, MLP_OUTPUT } from './estimators/mlp-graph.js';

/** Rows from which a call goes to onnxruntime (default DEFAULT_ORT_MIN_ROWS); tests set 1. */
export const ORT_MIN_ROWS_ENV = 'INFERD_SKLEARN_ORT_MIN_ROWS';

/**
 * Measured (docs/benchmarks.md, "MLP kernel"; bench/experiments/mlp-ort.ts): a session run costs a fixed
 * ~0.02 ms plus ~0.03 ns per multiply-add (float64, one thread), the TypeScript kernel 0.6-4 ns per multiply-add:
 * onnxruntime is ahead from ~15,000-50,000 multiply-adds per call (an iris-sized 4-16-8-3 network: from ~100-250
 * rows; the 20-256-256-1 one: from 1 row). One-row calls still stay synchronous (no promise, no event-loop
 * turn), and a call needs MIN_ORT_WORK as well.
 */
export const DEFAULT_ORT_MIN_ROWS = 2;
/** rows × multiply-adds per row a call needs too (0 when the env sets the row threshold alone). */
export const MIN_ORT_WORK = 50_000;

export interface OrtKernelOptions {
  /** onnxruntime's intra-op threads: the replica's intra-op setting (1: no thread pool). */
  threads: number;
  /** Runtime env: ORT_MIN_ROWS_ENV. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the fallback is reported (once, at load). */
  log?: Logger;
  /** The model's name, for the log. */
  name?: string;
  /** How onnxruntime-node is imported (tests inject a failing one). */
  importOrt?: () => Promise<typeof Ort>;
}

/** The thresholds from the runtime env; a value that is not a positive integer is INVALID_CONFIG naming it. */
export function ortThresholds(env: Readonly<Record<string, string | undefined>> = {}): {
  minRows: number;
  minWork: number;
} {
  const text = env[ORT_MIN_ROWS_ENV];
  if (text === undefined || text.trim() === '') return { minRows: DEFAULT_ORT_MIN_ROWS, minWork: MIN_ORT_WORK };
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InferdError('INVALID_CONFIG', `${ORT_MIN_ROWS_ENV}: expected a positive integer, got '${text}'`, {
      path: ORT_MIN_ROWS_ENV,
    });
  }
  return { minRows: n, minWork: 0 };
}

export class OrtKernel {
  readonly #ort: typeof Ort;
  #session: Ort.InferenceSession | null;
  readonly #offload: OnnxOffload;
  readonly #minRows: number;
  readonly #minWork: number;
  /** Calls run in onnxruntime (tests). */
  calls = 0;

  private constructor(
    ort: typeof Ort,
    session: Ort.InferenceSession,
    offload: OnnxOffload,
    thresholds: { minRows: number; minWork: number },
  ) {
    this.#ort = ort;
    this.#session = session;
    this.#offload = offload;
    this.#minRows = thresholds.minRows;
    this.#minWork = thresholds.minWork;
  }

  /**
   * A session for the estimator's graph, or undefined (logged once) when onnxruntime cannot load it: the model
   * then computes every call in TypeScript. A bad threshold in env is INVALID_CONFIG, never a fallback.
   */
  static async create(offload: OnnxOffload, opts: OrtKernelOptions): Promise<OrtKernel | undefined> {
    const thresholds = ortThresholds(opts.env);
    let ort: typeof Ort;
    let session: Ort.InferenceSession;
    try {
      ort = await (opts.importOrt ?? (() => import('onnxruntime-node')))();
      session = await ort.InferenceSession.create(offload.graph('float64'), {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: Math.max(1, opts.threads),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        logSeverityLevel: 3,
        // Pool threads sleep between calls rather than spin: measured on 2 threads, spinning took ~1.3-2× the
        // process CPU for 0-30% lower latency, CPU that other replicas on the machine need.
        ...(opts.threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
      });
    } catch (err) {
      opts.log?.warn('onnxruntime unavailable for this MLP: every batch runs on the TypeScript kernel', {
        model: opts.name,
        error: messageOf(err),
      });
      return undefined;
    }
    return new OrtKernel(ort, session, offload, thresholds);
  }

  /** Whether every call the intra-op pool would split (`settings`) comes here instead. */
  covers(settings: { minRows: number; minWorkSteps: number }): boolean {
    return this.#minRows <= settings.minRows && this.#minWork <= settings.minWorkSteps;
  }

  /** Whether a call of `rows` rows goes to onnxruntime. */
  takes(rows: number): boolean {
    return this.#session !== null && rows >= this.#minRows && rows * this.#offload.stepsPerRow >= this.#minWork;
  }

  /** The graph on `rows` rows of `x` (rows × nInputs float64): rows × nOutputs float64. */
  run = async (x: Float64Array, rows: number): Promise<Float64Array> => {
    const session = this.#session;
    if (!session) throw new InferdError('MODEL_NOT_READY', 'the model was unloaded');
    const input = new this.#ort.Tensor('float64', x, [rows, this.#offload.nInputs]);
    let out: Ort.InferenceSession.ReturnType;
    try {
      out = await session.run({ [MLP_INPUT]: input });
    } catch (cause) {
      throw new InferdError('INTERNAL', `onnxruntime failed on the MLP: ${messageOf(cause)}`, { cause });
    }
    this.calls++;
    const y = out[MLP_OUTPUT] as Ort.Tensor;
    return y.data as Float64Array;
  };

  async close(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    await session?.release();
  }
}
