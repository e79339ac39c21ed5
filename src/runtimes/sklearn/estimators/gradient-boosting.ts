// GradientBoostingClassifier/Regressor (sklearn/ensemble/_gb.py, _gb_losses.py, _gradient_boosting.pyx): the
// init estimator's raw prediction, then for every stage and output `raw += learning_rate * leaf value` in that
// order (predict_stages), on X cast to float32 like the trees. Classifiers turn raw scores into probabilities by
// their loss (log-loss binary: expit; multinomial: exp(raw - logsumexp); exponential: expit(2 raw)).

import { type KernelJob, type RowKernel, sharedArray, sharedFrom } from '../../intra-op/kernel.js';
import { OpaqueObject, PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import type { Estimator, FeatureData, Prediction, PredictMethod, RowParallel } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { valuesOf } from './prediction-values.js';
import type { BuildContext } from './registry-types.js';
import { argmax, expit, logSumExp } from './special.js';
import { type FlatTree, type FlatTreeState, treeOf } from './tree.js';

/** Rows a thread takes at a time when a large batch is split (runtimes/intra-op). */
const BLOCK_ROWS = 64;

/**
 * The stages' trees as one array of 32-byte node records (Int32 and Float64 views of one buffer) for a walk of 8
 * rows at once, level by level (addStages):
 *
 *   node[8i]          split feature (0 for a leaf)
 *   node[8i + 1, 2]   offsets (int32 units) of the records of the left (x <= threshold) and right children; a
 *                     leaf points at itself both ways, so `depth` steps land every row on its leaf
 *   node[8i + 4..5]   threshold (float64); +Infinity for a leaf (any test stays on it)
 *   node[8i + 6..7]   the leaf's value (values[node × stride], float64)
 */
export interface StageWalk {
  node: Int32Array;
  /** Per tree (stage-major, trees[i * k + c]): the root's record offset and the tree's depth. */
  root: Int32Array;
  depth: Int32Array;
}

const NODE_SLOTS = 8;
/** Deeper trees are walked row by row: the level walk costs the deepest path for every row. */
const MAX_LEVEL_WALK_DEPTH = 20;
/** Rows walked through every tree together (x stays in cache while the trees pass over it). */
const ROW_BLOCK = 256;

/** The stage walk of `trees` (in SharedArrayBuffers, for intra-op threads). */
export function stageWalk(trees: readonly FlatTree[]): StageWalk {
  const total = trees.reduce((n, t) => n + t.nodeCount, 0);
  const walk: StageWalk = {
    node: sharedArray(Int32Array, total * NODE_SLOTS),
    root: sharedArray(Int32Array, trees.length),
    depth: sharedArray(Int32Array, trees.length),
  };
  const node = walk.node;
  const f64 = new Float64Array(node.buffer);
  let base = 0;
  trees.forEach((tree, t) => {
    const stride = tree.nOutputs * tree.maxClasses;
    walk.root[t] = base * NODE_SLOTS;
    walk.depth[t] = tree.depth;
    for (let i = 0; i < tree.nodeCount; i++) {
      const at = (base + i) * NODE_SLOTS;
      if (tree.left[i] === -1) {
        node[at + 1] = at;
        node[at + 2] = at;
        f64[(at >> 1) + 2] = Number.POSITIVE_INFINITY;
      } else {
        node[at] = tree.feature[i]!;
        node[at + 1] = (base + tree.left[i]!) * NODE_SLOTS;
        node[at + 2] = (base + tree.right[i]!) * NODE_SLOTS;
        f64[(at >> 1) + 2] = tree.threshold[i]!;
      }
      f64[(at >> 1) + 3] = tree.values[i * stride]!;
    }
    base += tree.nodeCount;
  });
  return walk;
}

/**
 * raw[r * k + c] += learning_rate × the stage tree's leaf value, stage by stage in order (sklearn's
 * predict_stages): blocks of rows, and per tree 8 rows walking down together (a tree deeper than
 * MAX_LEVEL_WALK_DEPTH row by row); each row still adds its stages in order, so the float64 sums are the same.
 * The single-thread predict and every intra-op block run this same function.
 */
export function addStages(
  walk: StageWalk,
  nStages: number,
  k: number,
  scale: number,
  nFeatures: number,
  x: Float32Array,
  rows: number,
  raw: Float64Array,
): void {
  const { node, root, depth: depthOf } = walk;
  const f64 = new Float64Array(node.buffer, node.byteOffset, node.length >> 1);
  const nf = nFeatures;
  const trees = nStages * k;
  for (let blockStart = 0; blockStart < rows; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(rows, blockStart + ROW_BLOCK);
    const blockEnd8 = blockStart + ((blockEnd - blockStart) & ~7);
    for (let t = 0; t < trees; t++) {
      const c = t % k;
      const start = root[t]!;
      const depth = depthOf[t]!;
      let r = blockStart;
      if (depth <= MAX_LEVEL_WALK_DEPTH) {
        for (; r < blockEnd8; r += 8) {
          const a0 = r * nf;
          let n0 = start;
          let n1 = start;
          let n2 = start;
          let n3 = start;
          let n4 = start;
          let n5 = start;
          let n6 = start;
          let n7 = start;
          for (let d = 0; d < depth; d++) {
            // x <= threshold: slot 1 (left), else slot 2 (right, NaN included)
            n0 = node[n0 + 2 - +(x[a0 + node[n0]!]! <= f64[(n0 >> 1) + 2]!)]!;
            n1 = node[n1 + 2 - +(x[a0 + nf + node[n1]!]! <= f64[(n1 >> 1) + 2]!)]!;
            n2 = node[n2 + 2 - +(x[a0 + 2 * nf + node[n2]!]! <= f64[(n2 >> 1) + 2]!)]!;
            n3 = node[n3 + 2 - +(x[a0 + 3 * nf + node[n3]!]! <= f64[(n3 >> 1) + 2]!)]!;
            n4 = node[n4 + 2 - +(x[a0 + 4 * nf + node[n4]!]! <= f64[(n4 >> 1) + 2]!)]!;
            n5 = node[n5 + 2 - +(x[a0 + 5 * nf + node[n5]!]! <= f64[(n5 >> 1) + 2]!)]!;
            n6 = node[n6 + 2 - +(x[a0 + 6 * nf + node[n6]!]! <= f64[(n6 >> 1) + 2]!)]!;
            n7 = node[n7 + 2 - +(x[a0 + 7 * nf + node[n7]!]! <= f64[(n7 >> 1) + 2]!)]!;
          }
          const o = r * k + c;
          raw[o] = raw[o]! + scale * f64[(n0 >> 1) + 3]!;
          raw[o + k] = raw[o + k]! + scale * f64[(n1 >> 1) + 3]!;
          raw[o + 2 * k] = raw[o + 2 * k]! + scale * f64[(n2 >> 1) + 3]!;
          raw[o + 3 * k] = raw[o + 3 * k]! + scale * f64[(n3 >> 1) + 3]!;
          raw[o + 4 * k] = raw[o + 4 * k]! + scale * f64[(n4 >> 1) + 3]!;
          raw[o + 5 * k] = raw[o + 5 * k]! + scale * f64[(n5 >> 1) + 3]!;
          raw[o + 6 * k] = raw[o + 6 * k]! + scale * f64[(n6 >> 1) + 3]!;
          raw[o + 7 * k] = raw[o + 7 * k]! + scale * f64[(n7 >> 1) + 3]!;
        }
      }
      for (; r < blockEnd; r++) {
        const a = r * nf;
        let n = start;
        for (let l = node[n + 1]!; l !== n; l = node[n + 1]!) {
          n = node[n + 2 - +(x[a + node[n]!]! <= f64[(n >> 1) + 2]!)]!;
        }
        raw[r * k + c] = raw[r * k + c]! + scale * f64[(n >> 1) + 3]!;
      }
    }
  }
}

/** addStages by each tree's own root-to-leaf walk (FlatTree.leaf): the reference the stage walk is tested against. */
export function addStagesTreeWalk(
  trees: readonly FlatTree[],
  nStages: number,
  k: number,
  scale: number,
  nFeatures: number,
  x: Float32Array,
  rows: number,
  raw: Float64Array,
): void {
  for (let i = 0; i < nStages; i++) {
    for (let c = 0; c < k; c++) {
      const tree = trees[i * k + c]!;
      const stride = tree.nOutputs * tree.maxClasses;
      for (let r = 0; r < rows; r++) {
        raw[r * k + c] = raw[r * k + c]! + scale * tree.values[tree.leaf(x, r * nFeatures) * stride]!;
      }
    }
  }
}

export interface StagesState {
  walk: StageWalk;
  /** The trees themselves (shared arrays; the kernel uses only `walk`). */
  trees: FlatTreeState[];
  nStages: number;
  k: number;
  scale: number;
  nFeatures: number;
}

/** The intra-op kernel: job.arrays `x` (float32 rows) and `raw` (rows × k, holding the init predictions). */
export function stagesKernel(state: StagesState): RowKernel {
  const { walk, nStages, k, scale, nFeatures } = state;
  return (job: KernelJob, begin: number, end: number) => {
    const x = (job.arrays.x as Float32Array).subarray(begin * nFeatures, end * nFeatures);
    const raw = (job.arrays.raw as Float64Array).subarray(begin * k, end * k);
    addStages(walk, nStages, k, scale, nFeatures, x, end - begin, raw);
  };
}

const FLOAT32_EPS = 2 ** -23;

type Loss = 'binomial' | 'multinomial' | 'exponential' | 'regression';

function lossOf(state: EstimatorState): Loss {
  const loss = state.get(state.firstOf('_loss', 'loss_'));
  const name = loss instanceof PyObject ? loss.className.slice(loss.className.lastIndexOf('.') + 1) : String(loss);
  switch (name) {
    case 'BinomialDeviance':
      return 'binomial';
    case 'MultinomialDeviance':
      return 'multinomial';
    case 'ExponentialLoss':
      return 'exponential';
    case 'LeastSquaresError':
    case 'LeastAbsoluteError':
    case 'HuberLossFunction':
    case 'QuantileLossFunction':
      return 'regression';
    default:
      throw state.unsupported(`loss ${name}`);
  }
}

/** The stages' trees, [stage][output], and the init estimator. */
class Stages {
  readonly trees: FlatTree[]; // stage-major: trees[i * K + k]
  readonly walk: StageWalk;
  readonly nStages: number;
  readonly k: number;
  readonly learningRate: number;
  readonly init: Estimator | null; // null: init='zero'

  constructor(state: EstimatorState, nFeatures: number, context: BuildContext) {
    const estimators = state.array('estimators_');
    if (estimators.shape.length !== 2) throw state.invalid('has estimators_ that is not a 2-D array of trees');
    const [nStages, k] = estimators.shape as [number, number];
    this.nStages = nStages;
    this.k = k;
    this.learningRate = state.number('learning_rate');
    this.trees = (estimators.data as unknown[]).map((tree) => {
      if (!(tree instanceof PyObject)) throw state.invalid('has an estimators_ entry that is not a tree');
      return treeOf(new EstimatorState(tree), nFeatures);
    });
    this.walk = stageWalk(this.trees);
    const init = state.get('init_');
    if (init === 'zero') {
      this.init = null;
    } else if (
      init instanceof PyObject &&
      !(init instanceof OpaqueObject) &&
      /\.Dummy(Classifier|Regressor)$/.test(init.className)
    ) {
      this.init = context.estimator(init, state);
    } else {
      throw state.unsupported('an init estimator other than the default (DummyClassifier/DummyRegressor) or "zero"');
    }
  }

  /** raw[r * K + k] for every row: init, then every stage in order. */
  raw(x: Float32Array, rows: number, nFeatures: number, loss: Loss): Float64Array {
    const k = this.k;
    const raw = new Float64Array(rows * k);
    if (this.init) this.#initRaw(x, rows, loss, raw);
    addStages(this.walk, this.nStages, k, this.learningRate, nFeatures, x, rows, raw);
    return raw;
  }

  /** raw() with the stages' part computed by `run` on the intra-op threads (stagesKernel): the same numbers. */
  async rawWith(
    x: Float32Array,
    rows: number,
    loss: Loss,
    run: (job: KernelJob) => Promise<void>,
  ): Promise<Float64Array> {
    const raw = sharedArray(Float64Array, rows * this.k);
    if (this.init) this.#initRaw(x, rows, loss, raw);
    await run({ arrays: { x: sharedFrom(Float32Array, x), raw }, params: {} });
    return raw.slice();
  }

  parallel(
    nFeatures: number,
    answer: (method: PredictMethod, raw: Float64Array, rows: number) => Prediction,
    loss: Loss,
  ): RowParallel {
    return {
      kernelSpec: () => ({
        module: import.meta.url,
        exportName: 'stagesKernel',
        state: {
          walk: this.walk,
          trees: this.trees.map((t) => t.state()),
          nStages: this.nStages,
          k: this.k,
          scale: this.learningRate,
          nFeatures,
        } satisfies StagesState,
      }),
      stepsPerRow: this.trees.reduce((n, t) => n + t.depth, 0),
      blockRows: BLOCK_ROWS,
      predictWith: async (method, x, rows, run) =>
        answer(method, await this.rawWith(x as Float32Array, rows, loss, run), rows),
    };
  }

  /** The loss's get_init_raw_predictions from the init estimator. */
  #initRaw(x: Float32Array, rows: number, loss: Loss, raw: Float64Array): void {
    const init = this.init!;
    const x64 = Float64Array.from(x);
    if (loss === 'regression') {
      raw.set(valuesOf(init.predict(x64, rows)));
      return;
    }
    const proba = valuesOf(init.predictProba!(x64, rows));
    const clip = (p: number) => (p < FLOAT32_EPS ? FLOAT32_EPS : p > 1 - FLOAT32_EPS ? 1 - FLOAT32_EPS : p);
    if (loss === 'multinomial') {
      for (let i = 0; i < raw.length; i++) raw[i] = Math.log(clip(proba[i]!));
      return;
    }
    for (let r = 0; r < rows; r++) {
      const p = clip(proba[r * 2 + 1]!);
      const logOdds = Math.log(p / (1 - p));
      raw[r] = loss === 'exponential' ? 0.5 * logOdds : logOdds;
    }
  }
}

class GradientBoostingClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float32' as const;
  readonly predictProba: (x: FeatureData, rows: number) => Prediction;
  readonly decisionFunction: (x: FeatureData, rows: number) => Prediction;
  readonly rowParallel: RowParallel;
  readonly #stages: Stages;
  readonly #loss: Loss;
  readonly #labels: ClassLabels;
  readonly #scratch: Float64Array;

  constructor(state: EstimatorState, context: BuildContext) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    this.#loss = lossOf(state);
    this.#labels = new ClassLabels(state.array('classes_'), state);
    this.#stages = new Stages(state, this.nFeatures, context);
    const k = this.#labels.count;
    if (this.#stages.k !== (this.#loss === 'multinomial' ? k : 1) || this.#loss === 'regression') {
      throw state.invalid('has trees per stage that do not match its classes');
    }
    this.#scratch = new Float64Array(k);
    this.predictProba = (x, rows) => ({
      datatype: 'FP64',
      shape: [rows, k],
      data: this.#proba(x as Float32Array, rows),
    });
    this.decisionFunction = (x, rows) => {
      const raw = this.#stages.raw(x as Float32Array, rows, this.nFeatures, this.#loss);
      return { datatype: 'FP64', shape: this.#stages.k === 1 ? [rows] : [rows, this.#stages.k], data: raw };
    };
    this.rowParallel = this.#stages.parallel(
      this.nFeatures,
      (method, raw, rows) =>
        method === 'predict_proba'
          ? { datatype: 'FP64', shape: [rows, k], data: this.#probaOf(raw, rows) }
          : this.#predictOf(raw, rows),
      this.#loss,
    );
  }

  #proba(x: Float32Array, rows: number): Float64Array {
    return this.#probaOf(this.#stages.raw(x, rows, this.nFeatures, this.#loss), rows);
  }

  /** predict_proba from the raw predictions (the loss's link). */
  #probaOf(raw: Float64Array, rows: number): Float64Array {
    const k = this.#labels.count;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      if (this.#loss === 'multinomial') {
        const lse = logSumExp(raw, r * k, k, this.#scratch);
        for (let c = 0; c < k; c++) {
          const p = Math.exp(raw[r * k + c]! - lse);
          out[r * k + c] = Number.isNaN(p) ? 0 : p; // np.nan_to_num
        }
      } else {
        const p = expit(this.#loss === 'exponential' ? 2.0 * raw[r]! : raw[r]!);
        out[2 * r] = 1 - p;
        out[2 * r + 1] = p;
      }
    }
    return out;
  }

  predict(x: FeatureData, rows: number): Prediction {
    return this.#predictOf(this.#stages.raw(x as Float32Array, rows, this.nFeatures, this.#loss), rows);
  }

  /** predict from the raw predictions: the sign (exponential loss), else the argmax of predict_proba. */
  #predictOf(raw: Float64Array, rows: number): Prediction {
    const k = this.#labels.count;
    const indices = new Int32Array(rows);
    if (this.#loss === 'exponential') {
      for (let r = 0; r < rows; r++) indices[r] = raw[r]! >= 0 ? 1 : 0;
    } else {
      const proba = this.#probaOf(raw, rows);
      for (let r = 0; r < rows; r++) indices[r] = argmax(proba, r * k, k);
    }
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }
}

class GradientBoostingRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float32' as const;
  readonly rowParallel: RowParallel;
  readonly #stages: Stages;

  constructor(state: EstimatorState, context: BuildContext) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('n_features_'));
    this.featureNames = state.featureNames();
    if (lossOf(state) !== 'regression') throw state.invalid('has a classification loss');
    this.#stages = new Stages(state, this.nFeatures, context);
    if (this.#stages.k !== 1) throw state.invalid('has more than one tree per stage');
    this.rowParallel = this.#stages.parallel(
      this.nFeatures,
      (_method, raw, rows) => ({ datatype: 'FP64', shape: [rows], data: raw }),
      'regression',
    );
  }

  predict(x: FeatureData, rows: number): Prediction {
    return {
      datatype: 'FP64',
      shape: [rows],
      data: this.#stages.raw(x as Float32Array, rows, this.nFeatures, 'regression'),
    };
  }
}

export const buildGradientBoostingClassifier = (state: EstimatorState, context: BuildContext): Estimator =>
  new GradientBoostingClassifier(state, context);
export const buildGradientBoostingRegressor = (state: EstimatorState, context: BuildContext): Estimator =>
  new GradientBoostingRegressor(state, context);
