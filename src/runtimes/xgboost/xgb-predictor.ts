// A parsed xgboost booster made ready to predict: the objective resolved, the base margin computed, the trees
// compiled. predict() is Booster.predict(DMatrix) -- what KServe's xgbserver calls -- with xgboost's defaults:
// every tree (not only up to best_iteration), the objective's transform applied.

import { InferdError } from '../../errors.js';
import { sharedArray, sharedFrom } from '../intra-op/kernel.js';
import { type IntraOpSettings, ParallelKernel } from '../intra-op/settings.js';
import { LinearModel } from './linear-model.js';
import { Objective, type Prediction } from './objectives.js';
import { TreeEnsemble } from './tree-ensemble.js';
import { badModel, outputGroups, validateBooster, type XgbBooster } from './xgb-booster.js';

export interface PredictSettings {
  /** The value meaning "missing" besides NaN (xgboost's DMatrix `missing`); NaN for none. */
  missing: number;
  /** Boosting rounds [begin, end) to use, as Booster.predict's iteration_range; end 0 = all. */
  iterationRange?: readonly [number, number];
}

export class XgbPredictor {
  readonly numFeature: number;
  readonly groups: number;
  readonly objective: Objective;
  readonly booster: XgbBooster['booster'];
  readonly format: string;
  readonly featureNames: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  /** Boosting rounds in the model (tree layers of num_parallel_tree × groups). */
  readonly rounds: number;
  readonly #baseMargin: Float32Array;
  readonly #treesPerRound: number;
  readonly #trees: TreeEnsemble | null;
  readonly #linear: LinearModel | null;

  constructor(b: XgbBooster) {
    validateBooster(b);
    this.objective = Objective.fromName(b.objective);
    this.numFeature = b.numFeature;
    this.groups = outputGroups(b);
    this.booster = b.booster;
    this.format = b.format;
    this.featureNames = b.featureNames;
    this.attributes = b.attributes;
    this.#baseMargin = new Float32Array(this.groups);
    for (let g = 0; g < this.groups; g++) {
      this.#baseMargin[g] = this.objective.baseMargin(b.baseScore[b.baseScore.length === 1 ? 0 : g]!);
    }
    this.#treesPerRound = b.numParallelTree * this.groups;
    if (b.booster === 'gblinear') {
      this.#trees = null;
      this.#linear = new LinearModel(b.linearWeights ?? [], b.numFeature, this.groups);
      this.rounds = 0;
    } else {
      if (b.trees.length % this.#treesPerRound !== 0) {
        throw badModel(
          `${b.trees.length} trees do not make whole boosting rounds of ${this.#treesPerRound} (num_parallel_tree × groups)`,
        );
      }
      this.#trees = new TreeEnsemble(b.trees, b.treeInfo, b.booster === 'dart' ? b.weightDrop : null);
      this.#linear = null;
      this.rounds = b.trees.length / this.#treesPerRound;
    }
  }

  /** `best_iteration` as xgboost stored it (training with early stopping), if any. */
  get bestIteration(): number | undefined {
    const v = this.attributes.best_iteration;
    const n = v === undefined ? Number.NaN : Number(v);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  }

  /** Predicts `rows` rows of `x` (row-major float32, numFeature columns). */
  predict(x: Float32Array, rows: number, settings: PredictSettings): Prediction {
    const groups = this.groups;
    const margins = new Float32Array(rows * groups);
    this.#fillBase(margins);
    if (this.#linear) {
      if (settings.iterationRange && (settings.iterationRange[0] !== 0 || settings.iterationRange[1] !== 0)) {
        throw new InferdError('INVALID_INPUT', 'iteration_range is not supported by the gblinear booster');
      }
      this.#linear.margins(withMissingAsNaN(x, settings.missing), rows, margins);
    } else {
      const [begin, end] = this.#treeRange(settings.iterationRange);
      this.#trees!.addMargins(
        withMissingAsNaN(x, settings.missing),
        rows,
        this.numFeature,
        groups,
        begin,
        end,
        margins,
      );
    }
    return this.objective.transform(margins, rows, groups);
  }

  /**
   * The intra-op kernel of this model's trees, registered with the pool (undefined for gblinear or one thread).
   * A model keeps one and passes it to predictParallel.
   */
  async parallelKernel(settings: IntraOpSettings): Promise<ParallelKernel | undefined> {
    if (!this.#trees) return undefined;
    return ParallelKernel.create(
      { module: TREE_ENSEMBLE_MODULE, exportName: 'treeEnsembleKernel', state: this.#trees.state() },
      settings,
    );
  }

  /** Whether predictParallel would split a call of `rows` rows (else: predict, on this thread). */
  splits(kernel: ParallelKernel | undefined, rows: number, settings: PredictSettings): boolean {
    if (!kernel || !this.#trees) return false;
    const [begin, end] = this.#treeRange(settings.iterationRange);
    return kernel.splits(rows, this.#trees.steps(begin, end));
  }

  /** predict() with the rows split across the pool's threads; the same margins, bit for bit. */
  async predictParallel(
    kernel: ParallelKernel,
    x: Float32Array,
    rows: number,
    settings: PredictSettings,
  ): Promise<Prediction> {
    const [treeBegin, treeEnd] = this.#treeRange(settings.iterationRange);
    const groups = this.groups;
    // Per call, only the batch and its margins go to shared memory (the trees are there already).
    const shared = sharedFrom(Float32Array, withMissingAsNaN(x, settings.missing));
    const margins = sharedArray(Float32Array, rows * groups);
    this.#fillBase(margins);
    await kernel.run(
      { arrays: { x: shared, out: margins }, params: { nFeatures: this.numFeature, groups, treeBegin, treeEnd } },
      rows,
      ROW_BLOCK_PARALLEL,
    );
    return this.objective.transform(margins.slice(), rows, groups);
  }

  #fillBase(margins: Float32Array): void {
    const groups = this.groups;
    for (let i = 0; i < margins.length; i++) margins[i] = this.#baseMargin[i % groups]!;
  }

  #treeRange(range: readonly [number, number] | undefined): [number, number] {
    if (!range) return [0, this.#trees!.numTrees];
    const [begin, end] = range;
    const last = end === 0 ? this.rounds : end;
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && begin <= last && last <= this.rounds)) {
      throw new InferdError(
        'INVALID_INPUT',
        `iteration_range [${begin}, ${end}] is not within the model's ${this.rounds} boosting rounds`,
      );
    }
    return [begin * this.#treesPerRound, last * this.#treesPerRound];
  }
}

const TREE_ENSEMBLE_MODULE = new URL('./tree-ensemble.js', import.meta.url).href;
/** Rows per block handed to a thread: the walk's own block (64), so each thread walks whole blocks. */
const ROW_BLOCK_PARALLEL = 64;

/** `x` with the configured missing value turned into NaN (a copy; the caller's array may be a request's). */
function withMissingAsNaN(x: Float32Array, missing: number): Float32Array {
  if (Number.isNaN(missing) || !x.includes(missing)) return x;
  return x.map((v) => (v === missing ? Number.NaN : v));
}
