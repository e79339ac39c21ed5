// LightGBM objectives as prediction sees them: ObjectiveFunction::ConvertOutput, chosen by the model file's
// `objective=` line (`binary sigmoid:1`, `multiclass num_class:3`, `regression sqrt`, ...). All in float64, as
// LightGBM computes. A model without an objective line (a custom objective) predicts raw scores, as LightGBM does.

import { badModel } from './lgb-text-model.js';

type Convert = 'identity' | 'sqrt' | 'sigmoid' | 'exp' | 'softmax' | 'ova' | 'log1pexp';

/** Objective name → output conversion; the regression family squares back when trained with `reg_sqrt`. */
const CONVERSIONS: Record<string, Convert> = {
  regression: 'identity',
  regression_l1: 'identity',
  quantile: 'identity',
  huber: 'identity',
  fair: 'identity',
  mape: 'identity',
  poisson: 'exp',
  gamma: 'exp',
  tweedie: 'exp',
  binary: 'sigmoid',
  multiclass: 'softmax',
  multiclassova: 'ova',
  cross_entropy: 'sigmoid',
  cross_entropy_lambda: 'log1pexp',
  lambdarank: 'identity',
  rank_xendcg: 'identity',
  custom: 'identity',
};

const SQRT_CAPABLE = new Set(['regression', 'regression_l1', 'quantile', 'huber', 'fair', 'mape']);

export const SUPPORTED_LGB_OBJECTIVES: readonly string[] = Object.keys(CONVERSIONS);

export class LgbObjective {
  readonly name: string;
  readonly #convert: Convert;
  readonly #sigmoid: number;

  private constructor(name: string, convert: Convert, sigmoid: number) {
    this.name = name;
    this.#convert = convert;
    this.#sigmoid = sigmoid;
  }

  /** Parses an `objective=` value; MODEL_LOAD_FAILED for objectives LightGBM itself would not know. */
  static parse(line: string | undefined): LgbObjective {
    if (line === undefined || line.trim() === '') return new LgbObjective('none', 'identity', 1);
    const [name, ...params] = line.trim().split(/\s+/) as [string, ...string[]];
    const convert = Object.hasOwn(CONVERSIONS, name) ? CONVERSIONS[name] : undefined;
    if (!convert) {
      throw badModel(
        `unsupported LightGBM objective ${JSON.stringify(name)}; the native runtime supports ${SUPPORTED_LGB_OBJECTIVES.join(', ')}`,
      );
    }
    let sigmoid = 1;
    let sqrt = false;
    for (const p of params) {
      if (p === 'sqrt') sqrt = true;
      if (p.startsWith('sigmoid:')) sigmoid = Number(p.slice('sigmoid:'.length));
    }
    if ((convert === 'sigmoid' || convert === 'ova') && name !== 'cross_entropy' && !(sigmoid > 0)) {
      throw badModel(`objective ${JSON.stringify(line)}: sigmoid parameter should be greater than zero`);
    }
    const effective = sqrt && SQRT_CAPABLE.has(name) ? 'sqrt' : convert;
    return new LgbObjective(name, effective, name === 'cross_entropy' ? 1 : sigmoid);
  }

  /** Converts rows × k raw scores in place. */
  convert(scores: Float64Array, rows: number, k: number): void {
    const s = this.#sigmoid;
    switch (this.#convert) {
      case 'identity':
        return;
      case 'sqrt':
        for (let i = 0; i < scores.length; i++) scores[i] = Math.sign(scores[i]!) * scores[i]! * scores[i]!;
        return;
      case 'sigmoid':
      case 'ova':
        for (let i = 0; i < scores.length; i++) scores[i] = 1 / (1 + Math.exp(-s * scores[i]!));
        return;
      case 'exp':
        for (let i = 0; i < scores.length; i++) scores[i] = Math.exp(scores[i]!);
        return;
      case 'log1pexp':
        for (let i = 0; i < scores.length; i++) scores[i] = Math.log1p(Math.exp(scores[i]!));
        return;
      case 'softmax':
        for (let r = 0; r < rows; r++) softmax(scores, r * k, k);
        return;
    }
  }
}

/** Common::Softmax: subtract the max, exponentiate, divide by the sum -- all in double. */
function softmax(v: Float64Array, start: number, k: number): void {
  let wmax = v[start]!;
  for (let i = start + 1; i < start + k; i++) wmax = Math.max(v[i]!, wmax);
  let wsum = 0;
  for (let i = start; i < start + k; i++) {
    v[i] = Math.exp(v[i]! - wmax);
    wsum += v[i]!;
  }
  for (let i = start; i < start + k; i++) v[i] = v[i]! / wsum;
}
