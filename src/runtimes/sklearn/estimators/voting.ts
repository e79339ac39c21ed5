// VotingClassifier and VotingRegressor (sklearn/ensemble/_voting.py). Members were fitted on label-encoded
// targets, so they predict class indices: hard voting takes the (weighted) bincount's first argmax, soft voting
// the argmax of the (weighted) average of the members' predict_proba, summed member by member as numpy does.

import { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Finiteness, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { encodedLabels, MemberInputs, valuesOf } from './prediction-values.js';
import type { BuildContext } from './registry-types.js';
import { argmax } from './special.js';

/** The fitted members and the weights of the members that were not dropped (`_weights_not_none`). */
function votingMembers(
  state: EstimatorState,
  context: BuildContext,
): { members: Estimator[]; weights: Float64Array | null } {
  const members = state.list('estimators_').map((e) => {
    if (!(e instanceof PyObject)) throw state.invalid('has an estimators_ entry that is not an estimator');
    return context.estimator(e, state);
  });
  if (members.length === 0) throw state.invalid('has no estimators');
  const weights = state.has('weights') ? state.get('weights') : null;
  if (weights === null) return { members, weights: null };
  const declared = state.list('estimators');
  const kept: number[] = [];
  const list = Array.isArray(weights) ? weights : Array.from((weights as { data: ArrayLike<number> }).data ?? []);
  declared.forEach((entry, i) => {
    if (Array.isArray(entry) && entry[1] !== 'drop') kept.push(Number(list[i]));
  });
  if (kept.length !== members.length) throw state.invalid('has weights that do not match its estimators');
  return { members, weights: Float64Array.from(kept) };
}

/** Shared by both: members, weights, and where sklearn's errors come from (the first member's checks). */
abstract class Voting implements Estimator {
  readonly className: string;
  readonly nFeatures: number | null;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly inputFinite: Finiteness = 'any'; // each member checks its own input
  protected readonly members: Estimator[];
  protected readonly weights: Float64Array | null;
  protected readonly weightSum: number;

  constructor(state: EstimatorState, context: BuildContext) {
    const { members, weights } = votingMembers(state, context);
    this.members = members;
    this.weights = weights;
    let sum = 0;
    if (weights) for (const w of weights) sum += w;
    this.weightSum = sum;
    this.className = members[0]!.className;
    this.nFeatures = state.nFeaturesIfAny() ?? members[0]!.nFeatures;
    this.featureNames = state.featureNames();
  }

  abstract predict(x: FeatureData, rows: number): Prediction;
}

class VotingClassifier extends Voting {
  readonly predictProba?: (x: FeatureData, rows: number) => Prediction;
  readonly #labels: ClassLabels;
  readonly #soft: boolean;

  constructor(state: EstimatorState, context: BuildContext) {
    super(state, context);
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#soft = state.get('voting') === 'soft';
    if (this.#soft) {
      if (this.members.some((m) => !m.predictProba))
        throw state.invalid('votes soft with a member without predict_proba');
      const k = this.#labels.count;
      this.predictProba = (x, rows) => ({ datatype: 'FP64', shape: [rows, k], data: this.#average(x, rows) });
    }
  }

  /** np.average(probas, axis=0, weights): sum over members in order, divided by the count or the weight sum. */
  #average(x: FeatureData, rows: number): Float64Array {
    const k = this.#labels.count;
    const out = new Float64Array(rows * k);
    const inputs = new MemberInputs(x);
    this.members.forEach((member, m) => {
      const proba = valuesOf(member.predictProba!(inputs.for(member), rows));
      const w = this.weights ? this.weights[m]! : 1;
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + (this.weights ? proba[i]! * w : proba[i]!);
    });
    const divisor = this.weights ? this.weightSum : this.members.length;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! / divisor;
    return out;
  }

  predict(x: FeatureData, rows: number): Prediction {
    const k = this.#labels.count;
    const indices = new Int32Array(rows);
    if (this.#soft) {
      const proba = this.#average(x, rows);
      for (let r = 0; r < rows; r++) indices[r] = argmax(proba, r * k, k);
    } else {
      const inputs = new MemberInputs(x);
      const votes = this.members.map((member) => encodedLabels(member.predict(inputs.for(member), rows), k));
      const counts = new Float64Array(k);
      for (let r = 0; r < rows; r++) {
        // np.bincount(x, weights): only up to the largest label seen, then the first argmax
        counts.fill(0);
        let width = 0;
        votes.forEach((v, m) => {
          const label = v[r]!;
          counts[label] = counts[label]! + (this.weights ? this.weights[m]! : 1);
          width = Math.max(width, label + 1);
        });
        indices[r] = argmax(counts, 0, width);
      }
    }
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }
}

class VotingRegressor extends Voting {
  predict(x: FeatureData, rows: number): Prediction {
    const inputs = new MemberInputs(x);
    const predictions = this.members.map((m) => valuesOf(m.predict(inputs.for(m), rows)));
    const n = predictions.length;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let m = 0; m < n; m++) sum += this.weights ? predictions[m]![r]! * this.weights[m]! : predictions[m]![r]!;
      out[r] = sum / (this.weights ? this.weightSum : n);
    }
    return { datatype: 'FP64', shape: [rows], data: out };
  }
}

export const buildVotingClassifier = (state: EstimatorState, context: BuildContext): Estimator =>
  new VotingClassifier(state, context);
export const buildVotingRegressor = (state: EstimatorState, context: BuildContext): Estimator =>
  new VotingRegressor(state, context);
