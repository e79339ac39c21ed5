// The native scikit-learn runtime (KServe modelFormat `sklearn`): loads .joblib/.pkl/.pickle files with a
// restricted unpickler that never runs pickle code, and predicts in TypeScript with results equal to
// scikit-learn's. Estimators it does not implement are refused with UNSUPPORTED, naming the class, or, when the
// Python fallback is enabled, handed to a python3 worker that unpickles them with its own restrictions. A pickle
// the native reader refused as unsafe or corrupt never reaches Python.

import { InferdError, isInferdError } from '../../errors.js';
import type { LoadOptions, Model, RuntimeFactory } from '../model.js';
import { FallbackSklearnModel } from './fallback/fallback-model.js';
import { findPython } from './fallback/find-python.js';
import { PythonWorker } from './fallback/python-worker.js';
import { loadEstimatorFile } from './load-estimator.js';
import { findModelFile } from './model-file.js';
import { SklearnModel } from './sklearn-model.js';

export { FallbackSklearnModel } from './fallback/fallback-model.js';
export { estimatorFromBytes, loadEstimatorFile } from './load-estimator.js';
export { SklearnModel } from './sklearn-model.js';

export interface SklearnRuntimeOptions {
  /** The Python fallback for estimators without a native implementation; absent or enabled=false: none. */
  readonly python?: {
    readonly enabled: boolean;
    /** The interpreter (`--python`); default: the first of python3, /usr/bin/python3 that imports sklearn. */
    readonly command?: string;
    /** One predict or load in the worker; past it the worker is restarted. */
    readonly requestTimeoutMs?: number;
  };
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const WORKER_START_TIMEOUT_MS = 60_000;

/** A sklearn runtime; each instance has at most one Python worker, started when a model first needs it. */
export function createSklearnRuntime(options: SklearnRuntimeOptions = {}): RuntimeFactory {
  let worker: Promise<PythonWorker | null> | null = null;
  let fallbackModels = 0;
  let nextKey = 1;

  const getWorker = (): Promise<PythonWorker | null> => {
    const python = options.python!;
    worker ??= (async () => {
      const command = python.command ?? (await findPython());
      if (!command) return null;
      return new PythonWorker({
        command,
        requestTimeoutMs: python.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        startTimeoutMs: WORKER_START_TIMEOUT_MS,
      });
    })();
    return worker;
  };

  async function load({ name, modelDir, env }: LoadOptions): Promise<Model> {
    const path = await findModelFile(modelDir);
    // KServe: PREDICT_PROBA=true selects predict_proba where the model has it.
    const predictProba = (env?.PREDICT_PROBA ?? 'false').toLowerCase() === 'true';
    try {
      return new SklearnModel(name, await loadEstimatorFile(path), { predictProba });
    } catch (err) {
      if (!isInferdError(err) || err.code !== 'UNSUPPORTED') throw err;
      if (!options.python?.enabled) {
        throw withHint(err, 'the Python fallback is turned off');
      }
      const python = await getWorker();
      if (!python) {
        throw withHint(
          err,
          'no python3 with scikit-learn was found for the fallback (on Debian: apt-get install python3-sklearn)',
        );
      }
      const release = () => {
        if (fallbackModels === 0) python.close(); // an idle worker is stopped; the next model starts one
      };
      fallbackModels++;
      try {
        return await FallbackSklearnModel.create({
          name,
          worker: python,
          path,
          key: `${name}#${nextKey++}`,
          predictProba,
          onUnload: () => {
            fallbackModels--;
            release();
          },
        });
      } catch (loadError) {
        fallbackModels--;
        release();
        throw loadError;
      }
    }
  }

  return { name: 'sklearn', formats: ['sklearn'], load } satisfies RuntimeFactory;
}

function withHint(err: InferdError, why: string): InferdError {
  return new InferdError('UNSUPPORTED', `${err.message}; ${why}`, err.details);
}

/** Loads the one model file in `modelDir` as KServe's sklearnserver does; `env.PREDICT_PROBA=true` selects predict_proba. */
export async function load(options: LoadOptions): Promise<Model> {
  return sklearnRuntime.load(options);
}

/** Native only: the fallback needs `--python` wiring in config (createSklearnRuntime({ python })). */
export const sklearnRuntime = createSklearnRuntime();
