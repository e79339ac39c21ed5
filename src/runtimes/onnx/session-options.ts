// onnxruntime session options from the runtime env. CPU only, all graph optimizations, and one intra-op thread
// unless configured: every replica is its own process, so N replicas × all cores would oversubscribe the machine.

import type { InferenceSession } from 'onnxruntime-node';
import { InferdError } from '../../errors.js';

/** Env names read for the intra-op thread count, first set wins (the second is what OpenMP builds honour). */
export const INTRA_OP_THREADS_ENV = ['ORT_INTRA_OP_NUM_THREADS', 'OMP_NUM_THREADS'] as const;
/** Env name for the inter-op thread count (used only by models with parallel branches; default 1). */
export const INTER_OP_THREADS_ENV = 'ORT_INTER_OP_NUM_THREADS';

export const DEFAULT_THREADS = 1;

export interface OnnxThreads {
  intraOpNumThreads: number;
  interOpNumThreads: number;
}

/** Thread counts from env; a value that is not a positive integer is INVALID_CONFIG naming the variable. */
export function threadsFromEnv(env: Readonly<Record<string, string | undefined>> = {}): OnnxThreads {
  let intraOpNumThreads = DEFAULT_THREADS;
  for (const key of INTRA_OP_THREADS_ENV) {
    if (env[key] !== undefined && env[key] !== '') {
      intraOpNumThreads = positiveInt(key, env[key]);
      break;
    }
  }
  const inter = env[INTER_OP_THREADS_ENV];
  const interOpNumThreads = inter === undefined || inter === '' ? 1 : positiveInt(INTER_OP_THREADS_ENV, inter);
  return { intraOpNumThreads, interOpNumThreads };
}

function positiveInt(key: string, value: string): number {
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InferdError('INVALID_CONFIG', `${key}: expected a positive integer thread count, got '${value}'`, {
      path: key,
    });
  }
  return n;
}

/** The session options inferd loads every ONNX model with. */
export function sessionOptions(threads: OnnxThreads, logId: string): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads.intraOpNumThreads,
    interOpNumThreads: threads.interOpNumThreads,
    executionMode: threads.interOpNumThreads > 1 ? 'parallel' : 'sequential',
    logId,
    // Warnings (e.g. "Removing initializer ... not used by any node") go to stderr unstructured; errors still
    // reach us as rejected promises with onnxruntime's message.
    logSeverityLevel: 3,
  };
}
