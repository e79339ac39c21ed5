// Which methods a request asks a scikit-learn model for, by the native runtime's rules (sklearn-model.ts), so a
// model answers the same whichever path serves it: `output-0` from predict, or from predict_proba with
// PREDICT_PROBA=true (KServe's env switch) when the model has it; per request, `parameters.predict_proba` or
// MLServer-style `outputs` named `predict` / `predict_proba`.

import { InferdError } from '../../errors.js';
import type { PredictOptions } from '../model.js';

export type PredictMethod = 'predict' | 'predict_proba';

/** KServe's output name; MLServer names outputs after the method instead. */
export const DEFAULT_OUTPUT = 'output-0';

export interface RequestedOutput {
  name: string;
  method: PredictMethod;
}

export interface ModelMethods {
  /** The class name sklearn uses in its messages, e.g. `OneClassSVM`. */
  className: string;
  hasPredictProba: boolean;
  /** The env switch, already combined with hasPredictProba. */
  defaultMethod: PredictMethod;
}

export function requestedOutputs(model: ModelMethods, opts: PredictOptions | undefined): RequestedOutput[] {
  const check = (method: PredictMethod): PredictMethod => {
    if (method === 'predict_proba' && !model.hasPredictProba) {
      throw new InferdError('INVALID_INPUT', `This ${model.className} model has no predict_proba`);
    }
    return method;
  };
  const names = opts?.outputNames;
  if (names && names.length > 0) {
    return names.map((name) => {
      if (name === DEFAULT_OUTPUT) return { name, method: model.defaultMethod };
      if (name === 'predict' || name === 'predict_proba') return { name, method: check(name) };
      const offered = model.hasPredictProba ? "'predict', 'predict_proba'" : "'predict'";
      throw new InferdError('INVALID_INPUT', `Output '${name}' is not available; this model offers ${offered}`);
    });
  }
  const flag = opts?.parameters?.predict_proba;
  if (flag === undefined || flag === null) return [{ name: DEFAULT_OUTPUT, method: model.defaultMethod }];
  const wantsProba = flag === true || (typeof flag === 'string' && flag.toLowerCase() === 'true');
  return [{ name: DEFAULT_OUTPUT, method: wantsProba ? check('predict_proba') : 'predict' }];
}
