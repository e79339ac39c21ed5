// xgboost objectives as prediction sees them: how `base_score` becomes the starting margin (ObjFunction::
// ProbToMargin) and how margins become predictions (PredTransform). xgboost does both in float32, so each step
// here is rounded with Math.fround where xgboost's C++ rounds; glibc's expf/logf and a rounded Math.exp/log agree
// to the last bit in all but rare cases, well inside the 1e-6 the fixtures are held to.

import { badModel } from './xgb-booster.js';

const f = Math.fround;

type Transform = 'identity' | 'sigmoid' | 'exp' | 'softprob' | 'softmax' | 'hinge';
type BaseToMargin = 'identity' | 'logit' | 'log';

interface ObjectiveSpec {
  transform: Transform;
  margin: BaseToMargin;
}

const OBJECTIVES: Record<string, ObjectiveSpec> = {
  'reg:squarederror': { transform: 'identity', margin: 'identity' },
  'reg:linear': { transform: 'identity', margin: 'identity' }, // the name before xgboost 1.0
  'reg:squaredlogerror': { transform: 'identity', margin: 'identity' },
  'reg:pseudohubererror': { transform: 'identity', margin: 'identity' },
  'reg:absoluteerror': { transform: 'identity', margin: 'identity' },
  'reg:quantileerror': { transform: 'identity', margin: 'identity' },
  'reg:logistic': { transform: 'sigmoid', margin: 'logit' },
  'binary:logistic': { transform: 'sigmoid', margin: 'logit' },
  // logitraw outputs margins and, in xgboost 1.7, takes base_score as a margin too (checked against 1.7.4).
  'binary:logitraw': { transform: 'identity', margin: 'identity' },
  'binary:hinge': { transform: 'hinge', margin: 'identity' },
  'count:poisson': { transform: 'exp', margin: 'log' },
  'reg:gamma': { transform: 'exp', margin: 'log' },
  'reg:tweedie': { transform: 'exp', margin: 'log' },
  'survival:cox': { transform: 'exp', margin: 'log' },
  'survival:aft': { transform: 'exp', margin: 'log' },
  'multi:softprob': { transform: 'softprob', margin: 'identity' },
  'multi:softmax': { transform: 'softmax', margin: 'identity' },
  'rank:pairwise': { transform: 'identity', margin: 'identity' },
  'rank:ndcg': { transform: 'identity', margin: 'identity' },
  'rank:map': { transform: 'identity', margin: 'identity' },
};

export const SUPPORTED_OBJECTIVES: readonly string[] = Object.keys(OBJECTIVES);

export interface Prediction {
  data: Float32Array;
  shape: number[];
}

export class Objective {
  readonly name: string;
  readonly #spec: ObjectiveSpec;

  private constructor(name: string, spec: ObjectiveSpec) {
    this.name = name;
    this.#spec = spec;
  }

  /** The objective named in a model file; MODEL_LOAD_FAILED for one we cannot reproduce. */
  static fromName(name: string): Objective {
    const spec = Object.hasOwn(OBJECTIVES, name) ? OBJECTIVES[name] : undefined;
    if (!spec) {
      throw badModel(
        `unsupported xgboost objective ${JSON.stringify(name)}; the native runtime supports ${SUPPORTED_OBJECTIVES.join(', ')}`,
      );
    }
    return new Objective(name, spec);
  }

  /** ProbToMargin: the margin every prediction starts from, from the stored base_score (float32 math). */
  baseMargin(baseScore: number): number {
    const b = f(baseScore);
    switch (this.#spec.margin) {
      case 'identity':
        return b;
      case 'logit':
        if (!(b > 0 && b < 1)) throw badModel(`base_score must be in (0,1) for ${this.name}, got: ${baseScore}`);
        return f(-f(Math.log(f(f(1 / b) - 1))));
      case 'log':
        if (!(b > 0)) throw badModel(`base_score must be positive for ${this.name}, got: ${baseScore}`);
        return f(Math.log(b));
    }
  }

  /** PredTransform over `rows × groups` margins (row-major), as Booster.predict returns it for a DMatrix. */
  transform(margins: Float32Array, rows: number, groups: number): Prediction {
    const m = margins;
    switch (this.#spec.transform) {
      case 'identity':
        return { data: m, shape: groups === 1 ? [rows] : [rows, groups] };
      case 'sigmoid':
        for (let i = 0; i < m.length; i++) m[i] = f(1 / f(1 + f(Math.exp(-m[i]!))));
        return { data: m, shape: groups === 1 ? [rows] : [rows, groups] };
      case 'exp':
        for (let i = 0; i < m.length; i++) m[i] = f(Math.exp(m[i]!));
        return { data: m, shape: groups === 1 ? [rows] : [rows, groups] };
      case 'hinge':
        for (let i = 0; i < m.length; i++) m[i] = m[i]! > 0 ? 1 : 0;
        return { data: m, shape: groups === 1 ? [rows] : [rows, groups] };
      case 'softprob':
        for (let r = 0; r < rows; r++) softmaxInPlace(m, r * groups, groups);
        return { data: m, shape: [rows, groups] };
      case 'softmax': {
        const out = new Float32Array(rows);
        for (let r = 0; r < rows; r++) out[r] = argmax(m, r * groups, groups);
        return { data: out, shape: [rows] };
      }
    }
  }
}

/** common::Softmax: max in float32, exponentials in float32, their sum in double, division in float32. */
function softmaxInPlace(m: Float32Array, start: number, k: number): void {
  let wmax = m[start]!;
  for (let i = start + 1; i < start + k; i++) if (m[i]! > wmax) wmax = m[i]!;
  let wsum = 0;
  for (let i = start; i < start + k; i++) {
    m[i] = Math.exp(f(m[i]! - wmax)); // stored as float32
    wsum += m[i]!;
  }
  const denominator = f(wsum);
  for (let i = start; i < start + k; i++) m[i] = m[i]! / denominator;
}

/** FindMaxIndex: the first of equal maxima. */
function argmax(m: Float32Array, start: number, k: number): number {
  let best = 0;
  for (let i = 1; i < k; i++) if (m[start + i]! > m[start + best]!) best = i;
  return best;
}
