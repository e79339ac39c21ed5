// Which runtime serves which KServe modelFormat name. Built from a list of factories and passed down
// (no module-level registry); `defaultRuntimes()` is the list this build ships.

import type { RuntimeFactory } from './model.js';
import { withPythonFallback } from './python/index.js';
import { sklearnRuntime } from './sklearn/index.js';

export interface RuntimeRegistry {
  /** The runtime for a modelFormat name (case-insensitive, as KServe matches formats); the first listed wins. */
  forFormat(name: string): RuntimeFactory | undefined;
  /** Every format name served, lower-case, in registration order. */
  formats(): string[];
  readonly runtimes: readonly RuntimeFactory[];
}

export function createRuntimeRegistry(factories: readonly RuntimeFactory[]): RuntimeRegistry {
  const byFormat = new Map<string, RuntimeFactory>();
  for (const f of factories) {
    for (const format of f.formats) {
      const key = format.toLowerCase();
      if (!byFormat.has(key)) byFormat.set(key, f);
    }
  }
  const runtimes = Object.freeze([...factories]);
  return {
    forFormat: (name) => byFormat.get(name.toLowerCase()),
    formats: () => [...byFormat.keys()],
    runtimes,
  };
}

/**
 * A runtime whose module is imported only when a model of its format is loaded: a replica serving sklearn
 * loads onnxruntime's native addon (start-up time and memory per replica) only for an MLP (ort-kernel.ts), and the
 * gateway never does.
 */
export function lazyRuntime(
  name: string,
  formats: readonly string[],
  importer: () => Promise<RuntimeFactory>,
): RuntimeFactory {
  return { name, formats, load: async (opts) => (await importer()).load(opts) };
}

/**
 * The runtimes this build ships, in priority order. `processEnv`: the replica's environment, where the Python
 * worker's PATH and HOME come from (default: this process's).
 */
export function defaultRuntimes(opts: { processEnv?: Record<string, string | undefined> } = {}): RuntimeFactory[] {
  return [
    // Estimators the native runtime does not implement go to a Python worker (INFERD_PYTHON=off: refused).
    withPythonFallback(sklearnRuntime, opts.processEnv ? { processEnv: opts.processEnv } : {}),
    lazyRuntime('xgboost', ['xgboost'], async () => (await import('./xgboost/index.js')).xgboostRuntime),
    lazyRuntime('lightgbm', ['lightgbm'], async () => (await import('./lightgbm/index.js')).lightgbmRuntime),
    lazyRuntime('onnx', ['onnx'], async () => (await import('./onnx/index.js')).onnxRuntime),
    lazyRuntime('mlflow', ['mlflow'], async () => (await import('./mlflow/index.js')).mlflowRuntime),
  ];
}
