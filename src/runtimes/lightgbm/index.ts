// The native LightGBM runtime (KServe modelFormat `lightgbm`): loads the text model file KServe's lgbserver
// would (`model.bst`; we also take `.txt`, LightGBM's usual name) and predicts in TypeScript with LightGBM's
// float64 semantics: numerical and categorical splits, missing values, linear trees, rf averaging.

import { InferdError } from '../../errors.js';
import { intraOpSettings } from '../intra-op/settings.js';
import type { LoadOptions, RuntimeFactory } from '../model.js';
import { findModelFile, readModelFile } from '../xgboost/model-file.js';
import { LgbObjective } from './lgb-objectives.js';
import { parseLgbTextModel } from './lgb-text-model.js';
import { LightgbmModel } from './lightgbm-model.js';

export { SUPPORTED_LGB_OBJECTIVES } from './lgb-objectives.js';
export { type LgbModel, parseLgbTextModel } from './lgb-text-model.js';
export { LightgbmModel } from './lightgbm-model.js';

/** KServe's lgbserver loads `.bst`; LightGBM itself saves `model.txt` by default. */
export const LIGHTGBM_MODEL_EXTENSIONS = ['.bst', '.txt'] as const;

/** Builds a model from the text of a LightGBM model file. Throws MODEL_LOAD_FAILED saying what is wrong. */
export function lightgbmFromText(name: string, text: string): LightgbmModel {
  const model = parseLgbTextModel(text);
  return new LightgbmModel(name, model, LgbObjective.parse(model.objective));
}

/** Loads the one LightGBM model file in `modelDir`, as KServe's lgbserver does. */
export async function load({ name, modelDir, env }: LoadOptions): Promise<LightgbmModel> {
  const intraOp = intraOpSettings(env);
  const path = await findModelFile(modelDir, LIGHTGBM_MODEL_EXTENSIONS);
  const bytes = await readModelFile(path);
  if (bytes.subarray(0, 4).toString('latin1') !== 'tree' && bytes.includes(0)) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `cannot load LightGBM model ${path}: it is a binary file; the native runtime reads LightGBM's text format (Booster.save_model)`,
      { reason: 'ModelLoadFailed' },
    );
  }
  let model: LightgbmModel;
  try {
    model = lightgbmFromText(name, bytes.toString('utf8'));
  } catch (err) {
    if (err instanceof InferdError) {
      throw new InferdError(err.code, `cannot load LightGBM model ${path}: ${err.message}`, {
        ...err.details,
        cause: err,
      });
    }
    throw err;
  }
  await model.enableIntraOp(intraOp);
  return model;
}

export const lightgbmRuntime = { name: 'lightgbm', formats: ['lightgbm'], load } satisfies RuntimeFactory;
