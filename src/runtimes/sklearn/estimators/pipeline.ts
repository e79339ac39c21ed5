// sklearn.pipeline.Pipeline: the transformers' transform in order, then the last step's predict or
// predict_proba. Validation errors name the step that raised them in sklearn: the first step checks the
// request (so a Pipeline reports "X has 3 features, but StandardScaler is expecting 4"), later steps check what
// the step before produced. A Pipeline of transformers only is itself a transformer (inside a ColumnTransformer).

import type { Estimator, FeatureData, Finiteness, OnnxOffload, Prediction, PredictMethod } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import type { Frame } from './frame.js';
import type { BuildContext } from './registry-types.js';
import { applyStep, estimatorInput, type StepData, type Transformer } from './transformer.js';

/** The (name, estimator) pairs of `steps`, without 'passthrough'/None steps. */
function stepObjects(state: EstimatorState): unknown[] {
  const steps = state.list('steps');
  if (steps.length === 0) throw state.invalid('has no steps');
  return steps
    .map((step) => {
      if (!Array.isArray(step) || step.length !== 2) throw state.invalid('has a malformed steps list');
      return step[1] as unknown;
    })
    .filter((est, i, all) => i === all.length - 1 || (est !== null && est !== 'passthrough'));
}

/** Transformers run one after the other. */
export class TransformerChain implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly inputFinite?: Finiteness;
  readonly transformFrame?: (frame: Frame) => StepData;
  readonly steps: readonly Transformer[];

  constructor(steps: readonly Transformer[], state: EstimatorState) {
    this.steps = steps;
    const first = steps[0]!;
    this.className = first.className;
    this.nFeatures = first.nFeatures;
    this.featureNames = first.featureNames;
    this.nOutputs = steps[steps.length - 1]!.nOutputs;
    if (first.inputFinite) this.inputFinite = first.inputFinite;
    for (let i = 1; i < steps.length; i++) {
      if (steps[i]!.nFeatures !== steps[i - 1]!.nOutputs) {
        throw state.invalid(`has step ${i} expecting ${steps[i]!.nFeatures} features after ${steps[i - 1]!.nOutputs}`);
      }
    }
    if (first.transformFrame) this.transformFrame = (frame) => this.run(frame, frame.rows);
  }

  /** Runs every step; the first one's input is checked by the caller (numeric) or by the step itself (frame). */
  run(data: StepData, rows: number): StepData {
    let out = data;
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      out = i === 0 && out instanceof Float64Array ? step.transform(out, rows) : applyStep(step, out, rows);
    }
    return out;
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const out = this.run(x, rows);
    if (out instanceof Float64Array) return out;
    throw new TypeError('a pipeline of transformers ended with raw columns where floats were expected');
  }
}

class PipelineEstimator implements Estimator {
  readonly className: string;
  readonly nFeatures: number | null;
  readonly featureNames: readonly string[] | null;
  readonly inputDType: 'float64' | 'float32';
  readonly inputFinite?: Finiteness;
  readonly predictProba?: (x: FeatureData, rows: number) => Prediction;
  readonly decisionFunction?: (x: FeatureData, rows: number) => Prediction;
  readonly predictFrame?: (frame: Frame, method: PredictMethod) => Prediction;
  readonly onnxOffload?: OnnxOffload;
  readonly #chain: TransformerChain | null;
  readonly #final: Estimator;

  constructor(state: EstimatorState, context: BuildContext) {
    const objects = stepObjects(state);
    const finalObject = objects[objects.length - 1];
    if (finalObject === null || finalObject === 'passthrough') {
      throw state.unsupported('a last step that is passthrough (it has no predict)');
    }
    const transformers = objects.slice(0, -1).map((step) => context.transformer(step, state));
    this.#final = context.estimator(finalObject, state);
    this.#chain = transformers.length > 0 ? new TransformerChain(transformers, state) : null;
    const front = this.#chain ?? this.#final;
    this.className = front.className;
    this.nFeatures = front.nFeatures;
    this.featureNames = front.featureNames;
    this.inputDType = this.#chain ? 'float64' : this.#final.inputDType;
    if (front.inputFinite) this.inputFinite = front.inputFinite;
    if (this.#chain) {
      if (this.#final.nFeatures !== null && this.#chain.nOutputs !== this.#final.nFeatures) {
        throw state.invalid(
          `has a final step expecting ${this.#final.nFeatures} features where the transformers give ${this.#chain.nOutputs}`,
        );
      }
    }
    const final = this.#final;
    if (final.predictProba) {
      const proba = final.predictProba;
      this.predictProba = (x, rows) => proba(this.#finalInput(x, rows), rows);
    }
    if (final.decisionFunction) {
      const decide = final.decisionFunction;
      this.decisionFunction = (x, rows) => decide(this.#finalInput(x, rows), rows);
    }
    if (final.onnxOffload && !this.#chain?.transformFrame) {
      // The last step's graph (an MLP) in onnxruntime; the transformers before it stay in TypeScript.
      const offload = final.onnxOffload;
      this.onnxOffload = {
        graph: (type) => offload.graph(type),
        nInputs: offload.nInputs,
        nOutputs: offload.nOutputs,
        stepsPerRow: offload.stepsPerRow,
        predictWith: (method, x, rows, run) => offload.predictWith(method, this.#finalInput(x, rows), rows, run),
      };
    }
    if (this.#chain?.transformFrame) {
      const chain = this.#chain;
      this.predictFrame = (frame, method) => {
        const x = estimatorInput(final, chain.run(frame, frame.rows));
        return method === 'predict_proba' && final.predictProba
          ? final.predictProba(x, frame.rows)
          : final.predict(x, frame.rows);
      };
    } else if (!this.#chain && final.predictFrame) {
      this.predictFrame = final.predictFrame;
    }
  }

  #finalInput(x: FeatureData, rows: number): FeatureData {
    if (!this.#chain) return x;
    return estimatorInput(this.#final, this.#chain.run(x as Float64Array, rows));
  }

  predict(x: FeatureData, rows: number): Prediction {
    return this.#final.predict(this.#finalInput(x, rows), rows);
  }
}

export const buildPipeline = (state: EstimatorState, context: BuildContext): Estimator =>
  new PipelineEstimator(state, context);

export function buildPipelineTransformer(state: EstimatorState, context: BuildContext): Transformer {
  const objects = stepObjects(state);
  const steps = objects.filter((step) => step !== null && step !== 'passthrough');
  if (steps.length === 0) throw state.unsupported('only passthrough steps');
  return new TransformerChain(
    steps.map((step) => context.transformer(step, state)),
    state,
  );
}
