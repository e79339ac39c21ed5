// Reading a sub-estimator's answer back as numbers, for ensembles that combine their members' outputs (Voting,
// Stacking, AdaBoost, GradientBoosting's init estimator).

import type { Estimator, FeatureData, Prediction } from './estimator.js';
import { estimatorInput } from './transformer.js';

/** A prediction's values as float64 (integer class labels become their numbers). */
export function valuesOf(prediction: Prediction): Float64Array {
  const data = prediction.data;
  if (data instanceof Float64Array) return data;
  return Float64Array.from(data as ArrayLike<unknown>, (v) => Number(v));
}

/**
 * X for the members of an ensemble, checked by each member's rules and cast to its dtype as it would be, but
 * converted once per dtype for one prediction (fifty trees share one float32 copy).
 */
export class MemberInputs {
  readonly #x: Float64Array;
  #float32: Float32Array | null = null;
  readonly #checked = new Set<string>();

  constructor(x: FeatureData) {
    this.#x = x instanceof Float64Array ? x : Float64Array.from(x);
  }

  for(member: Estimator): FeatureData {
    const key = `${member.inputDType}:${member.inputFinite ?? 'finite'}`;
    if (!this.#checked.has(key)) {
      const checked = estimatorInput(member, this.#x);
      this.#checked.add(key);
      if (checked instanceof Float32Array) this.#float32 = checked;
      return checked;
    }
    if (member.inputDType === 'float32') {
      this.#float32 ??= Float32Array.from(this.#x);
      return this.#float32;
    }
    return this.#x;
  }
}

/** Each row's class index, from a member's predicted labels (members fitted on the ensemble's own labels). */
export function labelIndices(prediction: Prediction, classes: readonly unknown[]): Int32Array {
  const key = (v: unknown) => (typeof v === 'bigint' || typeof v === 'boolean' ? Number(v) : v);
  const index = new Map<unknown, number>();
  classes.forEach((c, i) => {
    index.set(key(c), i);
  });
  const data = prediction.data as ArrayLike<unknown>;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const found = index.get(key(v));
    if (found === undefined) throw new RangeError(`member predicted ${String(v)}, which is not one of the classes`);
    out[i] = found;
  }
  return out;
}

/** Class indices from a member fitted on label-encoded targets (0..k-1), as VotingClassifier/Stacking fit them. */
export function encodedLabels(prediction: Prediction, k: number): Int32Array {
  const values = valuesOf(prediction);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= k) throw new RangeError(`member predicted ${v}, not a class index`);
    out[i] = v;
  }
  return out;
}
