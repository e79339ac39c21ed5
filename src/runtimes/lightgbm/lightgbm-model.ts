// A loaded LightGBM model behind inferd's Model interface, answering as KServe's lgbserver does:
// `booster.predict(X)` on the first input tensor, returned as FP64 `output-0` -- probabilities [n] for binary,
// [n, k] for multiclass, values [n] for regression.

import { sharedArray, sharedFrom } from '../intra-op/kernel.js';
import { type IntraOpSettings, ParallelKernel } from '../intra-op/settings.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../model.js';
import { columnsToMatrix, toFloat64Matrix } from '../xgboost/feature-matrix.js';
import type { LgbObjective } from './lgb-objectives.js';
import type { LgbModel } from './lgb-text-model.js';
import { LgbTreeEnsemble } from './lgb-tree-ensemble.js';

const INTEGER_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL']);

export class LightgbmModel implements Model {
  readonly name: string;
  readonly objective: LgbObjective;
  readonly nFeatures: number;
  /** Outputs per row: num_tree_per_iteration (classes for multiclass). */
  readonly outputs: number;
  /** Boosting iterations predicted with: all whole iterations in the file, as Booster.predict does. */
  readonly iterations: number;
  readonly featureNames: readonly string[];
  readonly #trees: LgbTreeEnsemble;
  readonly #averageOutput: boolean;
  #parallel: ParallelKernel | undefined;

  constructor(name: string, model: LgbModel, objective: LgbObjective) {
    this.name = name;
    this.objective = objective;
    this.nFeatures = model.maxFeatureIdx + 1;
    this.outputs = model.numTreePerIteration;
    // GBDT::LoadModelFromString: num_iteration_for_pred = trees / num_tree_per_iteration (a partial last
    // iteration is not predicted with).
    this.iterations = Math.floor(model.trees.length / model.numTreePerIteration);
    this.featureNames = model.featureNames;
    this.#trees = new LgbTreeEnsemble(model.trees.slice(0, this.iterations * this.outputs));
    this.#averageOutput = model.averageOutput;
  }

  metadata(): ModelMetadata {
    return {
      platform: 'lightgbm',
      inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, this.nFeatures] }],
      outputs: [{ name: 'output-0', datatype: 'FP64', shape: this.outputs === 1 ? [-1] : [-1, this.outputs] }],
    };
  }

  /**
   * Registers the trees with the intra-op pool so that large batches are split across threads; only ensembles
   * with the level walk (numerical splits only, no linear trees) have a kernel to share.
   */
  async enableIntraOp(settings: IntraOpSettings): Promise<void> {
    const state = this.#trees.levelWalkState();
    if (!state) return;
    this.#parallel = await ParallelKernel.create(
      { module: new URL('./lgb-tree-ensemble.js', import.meta.url).href, exportName: 'lgbLevelWalkKernel', state },
      settings,
    );
  }

  /** Raw scores (before the objective's conversion), rows × outputs. */
  rawScores(x: Float64Array, rows: number): Float64Array {
    const k = this.outputs;
    const scores = new Float64Array(rows * k);
    this.#trees.addRawScores(x, rows, this.nFeatures, k, this.iterations, scores);
    return this.#averaged(scores);
  }

  /** rawScores with the rows split across the intra-op threads (the same walk, the same sums). */
  async rawScoresParallel(kernel: ParallelKernel, x: Float64Array, rows: number): Promise<Float64Array> {
    const k = this.outputs;
    const scores = sharedArray(Float64Array, rows * k);
    await kernel.run(
      {
        arrays: { x: sharedFrom(Float64Array, x), out: scores },
        params: { nFeatures: this.nFeatures, k, iterations: this.iterations },
      },
      rows,
      64,
    );
    return this.#averaged(scores.slice());
  }

  #averaged(scores: Float64Array): Float64Array {
    if (this.#averageOutput && this.iterations > 0) {
      for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / this.iterations;
    }
    return scores;
  }

  unload(): void {
    this.#parallel?.close();
  }

  /** Synchronous, on the calling thread, unless the batch is large enough to split across threads. */
  predict(inputs: Tensor[], opts?: PredictOptions): Tensor[] | Promise<Tensor[]> {
    const spec = { runtime: 'lightgbm', nFeatures: this.nFeatures };
    // KServe's lgbserver reads records as pd.DataFrame(records, columns=booster.feature_name()): columns by
    // name, absent ones NaN, unknown ones dropped.
    const input =
      opts?.parameters?.content_type === 'pd'
        ? columnsToMatrix(inputs, { ...spec, featureNames: this.featureNames, absent: 'nan' })
        : inputs[0];
    const { x, rows } = toFloat64Matrix(input, spec);
    // LightGBM's Python predict copies non-float arrays to float32 before predicting: integers above 2^24 round.
    const values = input && INTEGER_TYPES.has(input.datatype) ? Float64Array.from(x, Math.fround) : x;
    const answer = (scores: Float64Array): Tensor[] => {
      this.objective.convert(scores, rows, this.outputs);
      const shape = this.outputs === 1 ? [rows] : [rows, this.outputs];
      return [{ name: 'output-0', datatype: 'FP64', shape, data: scores }];
    };
    const kernel = this.#parallel;
    if (kernel?.splits(rows, this.#trees.steps(this.iterations * this.outputs))) {
      return this.rawScoresParallel(kernel, values, rows).then(answer);
    }
    return answer(this.rawScores(values, rows));
  }
}
