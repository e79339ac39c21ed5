// The native XGBoost runtime (KServe modelFormat `xgboost`): loads the model file KServe's xgbserver would
// (`.bst`, `.json`, `.ubj`, and `.model`) in any of xgboost's three formats -- JSON, UBJSON, the legacy binary --
// and predicts in TypeScript, matching xgboost's float32 results. No Python, no native addon.

import { InferdError } from '../../errors.js';
import { intraOpSettings } from '../intra-op/settings.js';
import type { LoadOptions, RuntimeFactory } from '../model.js';
import { loadBoosterFile } from './load-booster.js';
import { findModelFile } from './model-file.js';
import { XgbPredictor } from './xgb-predictor.js';
import { XgboostModel, type XgboostModelOptions } from './xgboost-model.js';

export { boosterFromBytes, loadBoosterFile } from './load-booster.js';
export { SUPPORTED_OBJECTIVES } from './objectives.js';
export type { XgbBooster } from './xgb-booster.js';
export { XgbPredictor } from './xgb-predictor.js';
export { XgboostModel, type XgboostModelOptions } from './xgboost-model.js';

/** KServe's xgbserver looks for `.bst`, `.json` and `.ubj`; `.model` is the other name xgboost users pick. */
export const XGBOOST_MODEL_EXTENSIONS = ['.bst', '.json', '.ubj', '.model'] as const;

/**
 * Runtime settings read from `env` (config.ts passes them through):
 * - `XGBOOST_MISSING`: a number that means "missing" in inputs besides NaN (xgboost's DMatrix `missing`).
 * - `XGBOOST_USE_BEST_ITERATION=true`: predict with trees up to the stored `best_iteration`.
 */
export function optionsFromEnv(env: Record<string, string | undefined> = {}): XgboostModelOptions {
  const options: XgboostModelOptions = {};
  const missing = env.XGBOOST_MISSING?.trim();
  if (missing) {
    const n = missing.toLowerCase() === 'nan' ? Number.NaN : Number(missing);
    if (Number.isNaN(n) && missing.toLowerCase() !== 'nan') {
      throw new InferdError('MODEL_LOAD_FAILED', `XGBOOST_MISSING: expected a number, got ${JSON.stringify(missing)}`, {
        reason: 'ModelLoadFailed',
      });
    }
    options.missing = n;
  }
  if ((env.XGBOOST_USE_BEST_ITERATION ?? '').toLowerCase() === 'true') options.useBestIteration = true;
  return options;
}

/** Loads the one xgboost model file in `modelDir`, as KServe's xgbserver does. */
export async function load({ name, modelDir, env }: LoadOptions): Promise<XgboostModel> {
  const options = optionsFromEnv(env);
  const intraOp = intraOpSettings(env);
  const path = await findModelFile(modelDir, XGBOOST_MODEL_EXTENSIONS);
  const booster = await loadBoosterFile(path);
  let predictor: XgbPredictor;
  try {
    predictor = new XgbPredictor(booster);
  } catch (err) {
    if (err instanceof InferdError) {
      throw new InferdError(err.code, `cannot load xgboost model ${path}: ${err.message}`, {
        ...err.details,
        cause: err,
      });
    }
    throw err;
  }
  const parallel = await predictor.parallelKernel(intraOp);
  return new XgboostModel(name, predictor, parallel ? { ...options, parallel } : options);
}

export const xgboostRuntime = { name: 'xgboost', formats: ['xgboost'], load } satisfies RuntimeFactory;
