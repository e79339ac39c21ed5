// StackingClassifier and StackingRegressor (sklearn/ensemble/_stacking.py): each member's stack_method_ output
// (predict_proba without its first column for two classes, decision_function, or predict; members of a
// classifier were fitted on label-encoded targets) side by side, then X itself when passthrough=True, and the
// final estimator on that.

import { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Finiteness, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { encodedLabels, MemberInputs, valuesOf } from './prediction-values.js';
import type { BuildContext } from './registry-types.js';
import { estimatorInput } from './transformer.js';

type StackMethod = 'predict_proba' | 'decision_function' | 'predict';

interface Member {
  readonly estimator: Estimator;
  readonly method: StackMethod;
}

class Stack {
  readonly members: readonly Member[];
  readonly final: Estimator;
  readonly passthrough: boolean;
  readonly nFeatures: number | null;
  readonly #dropFirstProbability: boolean;

  constructor(state: EstimatorState, context: BuildContext, nClasses: number) {
    const estimators = state.list('estimators_');
    const methods = state.list('stack_method_');
    const members: Member[] = [];
    estimators.forEach((e, i) => {
      if (e === 'drop') return;
      if (!(e instanceof PyObject)) throw state.invalid('has an estimators_ entry that is not an estimator');
      const estimator = context.estimator(e, state);
      const method = methods[i];
      if (method !== 'predict_proba' && method !== 'decision_function' && method !== 'predict') {
        throw state.unsupported(`stack_method_ ${String(method)}`);
      }
      const available =
        method === 'predict' ||
        (method === 'predict_proba' && estimator.predictProba) ||
        (method === 'decision_function' && estimator.decisionFunction);
      if (!available) throw state.unsupported(`a ${estimator.className} member stacked by its ${method}`);
      members.push({ estimator, method });
    });
    if (members.length === 0) throw state.invalid('has no estimators');
    this.members = members;
    this.final = context.estimator(state.get('final_estimator_'), state);
    this.passthrough = state.get('passthrough') === true;
    this.nFeatures = state.nFeaturesIfAny() ?? members[0]!.estimator.nFeatures;
    this.#dropFirstProbability = nClasses === 2;
  }

  /** transform(X): the members' outputs side by side (then X), as float64 for the final estimator. */
  transform(x: FeatureData, rows: number): FeatureData {
    const inputs = new MemberInputs(x);
    const blocks: { values: Float64Array; width: number; skip: number }[] = this.members.map(
      ({ estimator, method }) => {
        const input = inputs.for(estimator);
        const out =
          method === 'predict_proba'
            ? estimator.predictProba!(input, rows)
            : method === 'decision_function'
              ? estimator.decisionFunction!(input, rows)
              : estimator.predict(input, rows);
        const width = out.shape.length === 1 ? 1 : out.shape[1]!;
        const skip = method === 'predict_proba' && this.#dropFirstProbability && width === 2 ? 1 : 0;
        return { values: valuesOf(out), width, skip };
      },
    );
    if (this.passthrough) {
      blocks.push({
        values: x instanceof Float64Array ? x : Float64Array.from(x),
        width: this.nFeatures ?? x.length / rows,
        skip: 0,
      });
    }
    const total = blocks.reduce((sum, b) => sum + b.width - b.skip, 0);
    const meta = new Float64Array(rows * total);
    for (let r = 0; r < rows; r++) {
      let c = 0;
      for (const { values, width, skip } of blocks) {
        for (let j = skip; j < width; j++) meta[r * total + c++] = values[r * width + j]!;
      }
    }
    if (this.final.nFeatures !== null && total !== this.final.nFeatures) {
      throw new RangeError(
        `stacking produced ${total} features for a final estimator expecting ${this.final.nFeatures}`,
      );
    }
    return estimatorInput(this.final, meta);
  }
}

class StackingClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number | null;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly inputFinite: Finiteness = 'any'; // each member checks its own input
  readonly predictProba?: (x: FeatureData, rows: number) => Prediction;
  readonly #stack: Stack;
  readonly #labels: ClassLabels;

  constructor(state: EstimatorState, context: BuildContext) {
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#stack = new Stack(state, context, this.#labels.count);
    this.className = this.#stack.members[0]!.estimator.className;
    this.nFeatures = this.#stack.nFeatures;
    this.featureNames = state.featureNames();
    const final = this.#stack.final;
    if (final.predictProba) {
      const proba = final.predictProba;
      this.predictProba = (x, rows) => proba(this.#stack.transform(x, rows), rows);
    }
  }

  predict(x: FeatureData, rows: number): Prediction {
    const encoded = this.#stack.final.predict(this.#stack.transform(x, rows), rows);
    const indices = encodedLabels(encoded, this.#labels.count);
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }
}

class StackingRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number | null;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly inputFinite: Finiteness = 'any';
  readonly #stack: Stack;

  constructor(state: EstimatorState, context: BuildContext) {
    this.#stack = new Stack(state, context, 0);
    this.className = this.#stack.members[0]!.estimator.className;
    this.nFeatures = this.#stack.nFeatures;
    this.featureNames = state.featureNames();
  }

  predict(x: FeatureData, rows: number): Prediction {
    const out = this.#stack.final.predict(this.#stack.transform(x, rows), rows);
    return { datatype: 'FP64', shape: [rows], data: valuesOf(out) };
  }
}

export const buildStackingClassifier = (state: EstimatorState, context: BuildContext): Estimator =>
  new StackingClassifier(state, context);
export const buildStackingRegressor = (state: EstimatorState, context: BuildContext): Estimator =>
  new StackingRegressor(state, context);
