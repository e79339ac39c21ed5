// What an xgboost model file holds once parsed, independent of its format (JSON, UBJSON, legacy binary): the
// learner parameters, the objective's name, and the trees or linear weights as flat arrays. The JSON and legacy
// readers build this; compile-booster.ts turns it into something that predicts.

import { InferdError } from '../../errors.js';

/** One regression tree in xgboost's node-array layout (node 0 is the root). */
export interface XgbTree {
  /** Left child per node; -1 marks a leaf. */
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  /** Feature index each split tests. */
  splitIndex: ArrayLike<number>;
  /** Split threshold for internal nodes (go left when `x < threshold`), the leaf value for leaves (float32). */
  splitCondition: ArrayLike<number>;
  /** Nonzero where missing values go left. */
  defaultLeft: ArrayLike<number>;
  /** Per node: the categories that go right, for categorical splits (xgboost ≥ 1.5); absent for numerical ones. */
  categories: Map<number, ArrayLike<number>>;
}

export type BoosterKind = 'gbtree' | 'dart' | 'gblinear';

export interface XgbBooster {
  booster: BoosterKind;
  /** Objective name as xgboost spells it, e.g. `binary:logistic`. */
  objective: string;
  /** `base_score` as stored: in probability space for logistic objectives (xgboost 1.x), one per output group. */
  baseScore: number[];
  numFeature: number;
  numClass: number;
  numTarget: number;
  trees: XgbTree[];
  /** Output group (class or target) of each tree. */
  treeInfo: ArrayLike<number>;
  /** Trees per output group per boosting round (random forests set it above 1). */
  numParallelTree: number;
  /** DART tree weights, one per tree. */
  weightDrop: ArrayLike<number> | null;
  /** gblinear: (numFeature + 1) × groups weights, feature-major, the bias row last. */
  linearWeights: ArrayLike<number> | null;
  /** Booster attributes such as `best_iteration`. */
  attributes: Record<string, string>;
  featureNames: string[];
  /** Where the model came from, for messages: `json`, `ubj` or `legacy binary`. */
  format: string;
}

/** Number of output groups: classes for multi-class models, targets for multi-output regression, else 1. */
export function outputGroups(b: Pick<XgbBooster, 'numClass' | 'numTarget'>): number {
  return Math.max(b.numClass, b.numTarget, 1);
}

/** A MODEL_LOAD_FAILED error for a file that does not hold what an xgboost model must. */
export function badModel(message: string, cause?: unknown): InferdError {
  return new InferdError('MODEL_LOAD_FAILED', message, { reason: 'ModelLoadFailed', cause });
}

/** Output groups a model may declare beyond what its trees or weights hold (a model saved before any round). */
const MAX_GROUPS_WITHOUT_TREES = 1024;

/** Checks the cross-references a corrupt or hand-edited file could break, so prediction can trust the arrays. */
export function validateBooster(b: XgbBooster): void {
  const groups = outputGroups(b);
  if (!Number.isSafeInteger(b.numFeature) || b.numFeature <= 0) throw badModel(`invalid num_feature ${b.numFeature}`);
  // Every output group gets a base margin and a column per row, allocated before any tree is read: a count the
  // trees (each round has one per group) or the linear weights do not back is a corrupt header (a 332-byte
  // legacy file saying num_class 2^31-1 took 8.6 GB and 82 s to load).
  const backing = b.booster === 'gblinear' ? (b.linearWeights?.length ?? 0) : b.trees.length;
  if (groups > Math.max(backing, MAX_GROUPS_WITHOUT_TREES)) {
    throw badModel(
      `${groups} output groups (num_class ${b.numClass}, num_target ${b.numTarget}) but only ${backing} ${b.booster === 'gblinear' ? 'linear weights' : 'trees'} to fill them`,
    );
  }
  if (b.treeInfo.length !== b.trees.length) {
    throw badModel(`tree_info has ${b.treeInfo.length} entries for ${b.trees.length} trees`);
  }
  for (let t = 0; t < b.trees.length; t++) {
    const g = b.treeInfo[t]!;
    if (!Number.isInteger(g) || g < 0 || g >= groups) {
      throw badModel(`tree ${t} belongs to output group ${g}, but the model has ${groups}`);
    }
    validateTree(b.trees[t]!, t, b.numFeature);
  }
  if (b.weightDrop && b.weightDrop.length !== b.trees.length) {
    throw badModel(`dart weight_drop has ${b.weightDrop.length} weights for ${b.trees.length} trees`);
  }
  if (b.linearWeights && b.linearWeights.length !== (b.numFeature + 1) * groups) {
    throw badModel(
      `gblinear has ${b.linearWeights.length} weights; expected (num_feature + 1) × groups = ${(b.numFeature + 1) * groups}`,
    );
  }
  if (b.baseScore.length !== 1 && b.baseScore.length !== groups) {
    throw badModel(`base_score has ${b.baseScore.length} values for ${groups} output groups`);
  }
}

function validateTree(tree: XgbTree, t: number, numFeature: number): void {
  const n = tree.left.length;
  if (n === 0) throw badModel(`tree ${t} has no nodes`);
  for (const [name, a] of [
    ['right_children', tree.right],
    ['split_indices', tree.splitIndex],
    ['split_conditions', tree.splitCondition],
    ['default_left', tree.defaultLeft],
  ] as const) {
    if (a.length !== n) throw badModel(`tree ${t}: ${name} has ${a.length} entries for ${n} nodes`);
  }
  // Walk from the root: every reachable child must be a node index reached once, so prediction cannot loop.
  // (Children usually follow their parent, but xgboost may reuse pruned slots, so order is not assumed.)
  const seen = new Uint8Array(n);
  const stack = [0];
  seen[0] = 1;
  while (stack.length > 0) {
    const i = stack.pop()!;
    const l = tree.left[i]!;
    if (l === -1) continue;
    const f = tree.splitIndex[i]!;
    if (!Number.isInteger(f) || f < 0 || f >= numFeature) {
      throw badModel(`tree ${t} node ${i} splits on feature ${f}, but the model has ${numFeature} features`);
    }
    for (const c of [l, tree.right[i]!]) {
      if (!Number.isInteger(c) || c < 0 || c >= n || seen[c]) {
        throw badModel(`tree ${t} node ${i}: child ${c} is not a node of the tree or is reached twice`);
      }
      seen[c] = 1;
      stack.push(c);
    }
  }
}
