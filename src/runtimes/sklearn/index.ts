// The native scikit-learn runtime (KServe modelFormat `sklearn`): loads .joblib/.pkl/.pickle files with a
// restricted unpickler that never runs pickle code, and predicts in TypeScript with results equal to
// scikit-learn's. Estimators it does not implement are refused with UNSUPPORTED, naming the class; the Python
// fallback (src/runtimes/python/, wrapped around this runtime in registry.ts) may take those. A pickle the native
// reader refused as unsafe or corrupt never reaches Python.

import { createLogger } from '../../log.js';
import { intraOpSettings, ParallelKernel } from '../intra-op/settings.js';
import type { LoadOptions, Model, RuntimeFactory } from '../model.js';
import { loadEstimatorFile } from './load-estimator.js';
import { findModelFile } from './model-file.js';
import { SklearnModel } from './sklearn-model.js';

export { estimatorFromBytes, loadEstimatorFile } from './load-estimator.js';
export { SklearnModel } from './sklearn-model.js';

/** Loads the one model file in `modelDir` as KServe's sklearnserver does; `env.PREDICT_PROBA=true` selects predict_proba. */
export async function load({ name, modelDir, env, log }: LoadOptions): Promise<Model> {
  const path = await findModelFile(modelDir);
  // KServe: PREDICT_PROBA=true selects predict_proba where the model has it.
  const predictProba = (env?.PREDICT_PROBA ?? 'false').toLowerCase() === 'true';
  const intraOp = intraOpSettings(env);
  const estimator = await loadEstimatorFile(path);
  // MLPs (alone or last in a Pipeline) run large batches in onnxruntime, on the replica's intra-op threads; where
  // it cannot load, the TypeScript kernel (and its intra-op split) takes every call.
  // ort-kernel.js (and the ONNX graph writer it imports) only for such models: other workers never compile it.
  const ort = estimator.onnxOffload
    ? await (await import('./ort-kernel.js')).OrtKernel.create(estimator.onnxOffload, {
        threads: intraOp.threads,
        env,
        name,
        log: log ?? createLogger({ base: { component: 'sklearn' } }),
      })
    : undefined;
  // Forests, gradient boosting (and MLPs without onnxruntime) split large batches across threads when
  // INFERD_INTRA_OP_THREADS allows; no pool threads for a model whose every such batch goes to onnxruntime.
  const parallel =
    estimator.rowParallel && !ort?.covers(intraOp)
      ? await ParallelKernel.create(estimator.rowParallel.kernelSpec(), intraOp)
      : undefined;
  return new SklearnModel(name, estimator, {
    predictProba,
    ...(parallel ? { parallel } : {}),
    ...(ort ? { ort } : {}),
  });
}

export const sklearnRuntime = { name: 'sklearn', formats: ['sklearn'], load } satisfies RuntimeFactory;
