// LightGBM's trees compiled into flat typed arrays for prediction, with Tree::Decision's semantics:
//
//   decision_type bits:  1 categorical · 2 default left · (>> 2) & 3 missing type: 0 None, 1 Zero, 2 NaN
//   numerical split:     NaN becomes 0 unless the missing type is NaN; a "missing" value (|x| <= 1e-35f for Zero,
//                        NaN for NaN) takes the default side; otherwise x <= threshold goes left
//   categorical split:   NaN, negative codes and codes beyond int range go right; else the code (truncated)
//                        goes left when its bit is set in the split's bitset
//
// Node encoding: internal nodes of every tree share one index space; a child c < 0 is leaf ~c in one shared leaf
// space. Scores sum tree outputs in float64, iteration by iteration, as GBDT::PredictRaw does.
//
// Ensembles of numerical splits whose missing type is None or NaN (no categorical splits, no Zero missing type,
// no linear trees: what LightGBM trains on dense data by default) take a faster walk, #addLevelWalk: leaves
// join the node space looping on themselves, and each split becomes `right = x > threshold, or x is NaN and
// NaN goes right` -- the same decision as above with the missing handling folded into one per-node bit.

import { type KernelJob, type RowKernel, sharedArray } from '../intra-op/kernel.js';
import type { LgbTree } from './lgb-text-model.js';

/** kZeroThreshold: LightGBM's float literal 1e-35f, widened to double. */
const ZERO_THRESHOLD = Math.fround(1e-35);
const INT_LIMIT = 2147483648;
/** Rows walked through the trees together: their features stay in cache while every tree passes over them. */
const ROW_BLOCK = 64;
/** Deeper trees are walked row by row: the level walk costs the deepest path for every row. */
const MAX_LEVEL_WALK_DEPTH = 16;

/** The level walk's arrays: nodes then leaves in one space; child[2n], child[2n+1] are left and right. */
export interface LevelWalk {
  child: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  nanRight: Uint8Array;
  root: Int32Array;
  depth: Int32Array;
  /** Global node count: node n >= internal is leaf n - internal. */
  internal: number;
}

export class LgbTreeEnsemble {
  readonly numTrees: number;
  readonly #feature: Int32Array;
  readonly #threshold: Float64Array;
  readonly #decision: Uint8Array;
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  /** Categorical nodes: first bitset word in #bits and word count. */
  readonly #catAt: Int32Array;
  readonly #catWords: Int32Array;
  readonly #bits: Uint32Array;
  readonly #leafValue: Float64Array;
  /** Root per tree: an internal node index, or ~leaf for single-leaf trees. */
  readonly #root: Int32Array;
  /** Linear trees only, per global leaf: the leaf's model, or undefined for constant leaves. */
  readonly #linear: ({ constant: number; features: Int32Array; coeff: Float64Array } | undefined)[] | null;
  /** Present when every split is numerical with missing type None or NaN and no tree is linear. */
  readonly #walk: LevelWalk | null;

  constructor(trees: readonly LgbTree[]) {
    this.numTrees = trees.length;
    const nodes = trees.reduce((n, t) => n + t.numLeaves - 1, 0);
    const leaves = trees.reduce((n, t) => n + t.numLeaves, 0);
    const words = trees.reduce((n, t) => n + t.catThreshold.length, 0);
    this.#feature = new Int32Array(nodes);
    this.#threshold = new Float64Array(nodes);
    this.#decision = new Uint8Array(nodes);
    this.#left = new Int32Array(nodes);
    this.#right = new Int32Array(nodes);
    this.#catAt = new Int32Array(nodes);
    this.#catWords = new Int32Array(nodes);
    this.#bits = new Uint32Array(words);
    this.#leafValue = sharedArray(Float64Array, leaves); // shared with intra-op threads (the level walk)
    this.#root = new Int32Array(trees.length);
    this.#linear = trees.some((t) => t.isLinear) ? new Array(leaves).fill(undefined) : null;

    let nodeBase = 0;
    let leafBase = 0;
    let wordBase = 0;
    const global = (child: number) => (child >= 0 ? nodeBase + child : ~(leafBase + ~child));
    trees.forEach((tree, t) => {
      const n = tree.numLeaves - 1;
      this.#root[t] = n > 0 ? nodeBase : ~leafBase;
      for (let i = 0; i < n; i++) {
        const g = nodeBase + i;
        this.#feature[g] = tree.splitFeature[i]!;
        this.#threshold[g] = tree.threshold[i]!;
        this.#decision[g] = tree.decisionType[i]!;
        this.#left[g] = global(tree.leftChild[i]!);
        this.#right[g] = global(tree.rightChild[i]!);
        if (tree.decisionType[i]! & 1) {
          const cat = tree.threshold[i]!;
          this.#catAt[g] = wordBase + tree.catBoundaries[cat]!;
          this.#catWords[g] = tree.catBoundaries[cat + 1]! - tree.catBoundaries[cat]!;
        }
      }
      this.#bits.set(tree.catThreshold, wordBase);
      this.#leafValue.set(tree.leafValue, leafBase);
      if (tree.isLinear && this.#linear) {
        for (let leaf = 0; leaf < tree.numLeaves; leaf++) {
          this.#linear[leafBase + leaf] = {
            constant: tree.leafConst[leaf]!,
            features: tree.leafFeatures[leaf] ?? new Int32Array(0),
            coeff: tree.leafCoeff[leaf] ?? new Float64Array(0),
          };
        }
      }
      nodeBase += n;
      leafBase += tree.numLeaves;
      wordBase += tree.catThreshold.length;
    });
    this.#walk = this.#levelWalk(nodes, leaves);
  }

  #levelWalk(nodes: number, leaves: number): LevelWalk | null {
    if (this.#linear !== null) return null;
    for (let n = 0; n < nodes; n++) {
      const dt = this.#decision[n]!;
      if (dt & 1 || ((dt >> 2) & 3) === 1) return null; // categorical, or missing type Zero
    }
    const total = nodes + leaves;
    // Shared memory, so that intra-op worker threads walk the same arrays without a copy.
    const walk: LevelWalk = {
      child: sharedArray(Int32Array, 2 * total),
      feature: sharedArray(Int32Array, total),
      threshold: sharedArray(Float64Array, total),
      nanRight: sharedArray(Uint8Array, total),
      root: sharedArray(Int32Array, this.numTrees),
      depth: sharedArray(Int32Array, this.numTrees),
      internal: nodes,
    };
    const at = (c: number) => (c >= 0 ? c : nodes + ~c);
    for (let n = 0; n < nodes; n++) {
      const dt = this.#decision[n]!;
      const thr = this.#threshold[n]!;
      walk.child[2 * n] = at(this.#left[n]!);
      walk.child[2 * n + 1] = at(this.#right[n]!);
      walk.feature[n] = this.#feature[n]!;
      walk.threshold[n] = thr;
      // Missing type None: NaN is read as 0, so it goes where 0 goes. NaN: the default side.
      walk.nanRight[n] = ((dt >> 2) & 3) === 2 ? +!(dt & 2) : +!(0 <= thr);
    }
    for (let l = nodes; l < total; l++) {
      walk.child[2 * l] = l;
      walk.child[2 * l + 1] = l;
      walk.threshold[l] = Number.POSITIVE_INFINITY; // x > +inf is false and NaN stays left: the leaf keeps it
    }
    const level = new Int32Array(total);
    for (let t = 0; t < this.numTrees; t++) {
      const root = at(this.#root[t]!);
      walk.root[t] = root;
      const stack = [root];
      level[root] = 0;
      let depth = 0;
      while (stack.length) {
        const n = stack.pop()!;
        if (n >= nodes) {
          if (level[n]! > depth) depth = level[n]!;
          continue;
        }
        for (const c of [walk.child[2 * n]!, walk.child[2 * n + 1]!]) {
          level[c] = level[n]! + 1;
          stack.push(c);
        }
      }
      walk.depth[t] = depth;
    }
    return walk;
  }

  /** The level walk's arrays and leaf values, for intra-op threads; null when this ensemble has no level walk. */
  levelWalkState(): LevelWalkState | null {
    return this.#walk ? { walk: this.#walk, leafValue: this.#leafValue } : null;
  }

  /** Node steps per row of the first `trees` trees (the level walk's cost). */
  steps(trees: number): number {
    let n = 0;
    for (let t = 0; t < trees && this.#walk; t++) n += this.#walk.depth[t]!;
    return n;
  }

  /** Adds iterations [0, iterations) to `out` (rows × k raw scores, row-major, zeroed by the caller). */
  addRawScores(
    x: Float64Array,
    rows: number,
    nFeatures: number,
    k: number,
    iterations: number,
    out: Float64Array,
  ): void {
    if (this.#walk) {
      addLevelWalk(this.#walk, this.#leafValue, x, rows, nFeatures, k, iterations, out);
      return;
    }
    const feature = this.#feature;
    const threshold = this.#threshold;
    const decision = this.#decision;
    const left = this.#left;
    const right = this.#right;
    const catAt = this.#catAt;
    const catWords = this.#catWords;
    const bits = this.#bits;
    const leafValue = this.#leafValue;
    const root = this.#root;
    const linear = this.#linear;
    for (let r = 0; r < rows; r++) {
      const rowAt = r * nFeatures;
      const outAt = r * k;
      for (let it = 0; it < iterations; it++) {
        for (let c = 0; c < k; c++) {
          let n = root[it * k + c]!;
          while (n >= 0) {
            let v = x[rowAt + feature[n]!]!;
            const dt = decision[n]!;
            if (dt & 1) {
              // Categorical. (int)NaN and (int) of values beyond int range are INT_MIN on x86: right as well.
              if (Number.isNaN(v) || v <= -1 || v >= INT_LIMIT) {
                n = right[n]!;
              } else {
                const code = Math.trunc(v);
                const word = code >>> 5;
                n = word < catWords[n]! && (bits[catAt[n]! + word]! >>> (code & 31)) & 1 ? left[n]! : right[n]!;
              }
            } else {
              const missingType = (dt >> 2) & 3;
              if (Number.isNaN(v) && missingType !== 2) v = 0;
              if (
                (missingType === 1 && v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD) ||
                (missingType === 2 && Number.isNaN(v))
              ) {
                n = dt & 2 ? left[n]! : right[n]!;
              } else {
                n = v <= threshold[n]! ? left[n]! : right[n]!;
              }
            }
          }
          const leaf = ~n;
          out[outAt + c]! +=
            linear === null ? leafValue[leaf]! : linearOutput(linear[leaf], leafValue[leaf]!, x, rowAt);
        }
      }
    }
  }
}

/** Tree::Predict for linear trees: the leaf's linear model, or its constant value when a used feature is NaN. */
function linearOutput(
  model: { constant: number; features: Int32Array; coeff: Float64Array } | undefined,
  leafValue: number,
  x: Float64Array,
  rowAt: number,
): number {
  if (!model) return leafValue;
  let output = model.constant;
  for (let i = 0; i < model.features.length; i++) {
    const v = x[rowAt + model.features[i]!]!;
    if (Number.isNaN(v)) return leafValue;
    output += model.coeff[i]! * v;
  }
  return output;
}

/**
 * addRawScores for ensembles with a level walk: blocks of rows, tree by tree, 4 rows walking together. The
 * single-thread call and every intra-op block run this same function.
 */
function addLevelWalk(
  walk: LevelWalk,
  leafValue: Float64Array,
  x: Float64Array,
  rows: number,
  nFeatures: number,
  k: number,
  iterations: number,
  out: Float64Array,
): void {
  const { child, feature, threshold, nanRight, root, depth: depthOf, internal } = walk;
  const trees = iterations * k;
  for (let blockStart = 0; blockStart < rows; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(rows, blockStart + ROW_BLOCK);
    const blockEnd4 = blockEnd - ((blockEnd - blockStart) % 4);
    for (let t = 0; t < trees; t++) {
      const start = root[t]!;
      const c = t % k;
      const depth = depthOf[t]!;
      let r = blockStart;
      if (depth <= MAX_LEVEL_WALK_DEPTH) {
        for (; r < blockEnd4; r += 4) {
          const a0 = r * nFeatures;
          const a1 = a0 + nFeatures;
          const a2 = a1 + nFeatures;
          const a3 = a2 + nFeatures;
          let n0 = start;
          let n1 = start;
          let n2 = start;
          let n3 = start;
          for (let d = 0; d < depth; d++) {
            const v0 = x[a0 + feature[n0]!]!;
            const v1 = x[a1 + feature[n1]!]!;
            const v2 = x[a2 + feature[n2]!]!;
            const v3 = x[a3 + feature[n3]!]!;
            // biome-ignore lint/suspicious/noSelfCompare: the NaN test, branch-free
            n0 = child[2 * n0 + (+(v0 > threshold[n0]!) | (+(v0 !== v0) & nanRight[n0]!))]!;
            // biome-ignore lint/suspicious/noSelfCompare: as above
            n1 = child[2 * n1 + (+(v1 > threshold[n1]!) | (+(v1 !== v1) & nanRight[n1]!))]!;
            // biome-ignore lint/suspicious/noSelfCompare: as above
            n2 = child[2 * n2 + (+(v2 > threshold[n2]!) | (+(v2 !== v2) & nanRight[n2]!))]!;
            // biome-ignore lint/suspicious/noSelfCompare: as above
            n3 = child[2 * n3 + (+(v3 > threshold[n3]!) | (+(v3 !== v3) & nanRight[n3]!))]!;
          }
          const o = r * k + c;
          out[o]! += leafValue[n0 - internal]!;
          out[o + k]! += leafValue[n1 - internal]!;
          out[o + 2 * k]! += leafValue[n2 - internal]!;
          out[o + 3 * k]! += leafValue[n3 - internal]!;
        }
      }
      for (; r < blockEnd; r++) {
        const a = r * nFeatures;
        let n = start;
        while (n < internal) {
          const v = x[a + feature[n]!]!;
          // biome-ignore lint/suspicious/noSelfCompare: as above
          n = child[2 * n + (+(v > threshold[n]!) | (+(v !== v) & nanRight[n]!))]!;
        }
        out[r * k + c]! += leafValue[n - internal]!;
      }
    }
  }
}

export interface LevelWalkState {
  walk: LevelWalk;
  leafValue: Float64Array;
}

/**
 * The intra-op kernel: job.arrays `x` (rows × nFeatures float64) and `out` (rows × k raw scores, zeroed),
 * job.params `nFeatures`, `k`, `iterations`.
 */
export function lgbLevelWalkKernel(state: LevelWalkState): RowKernel {
  return (job: KernelJob, begin: number, end: number) => {
    const { nFeatures, k, iterations } = job.params as Record<string, number>;
    const x = (job.arrays.x as Float64Array).subarray(begin * nFeatures!, end * nFeatures!);
    const out = (job.arrays.out as Float64Array).subarray(begin * k!, end * k!);
    addLevelWalk(state.walk, state.leafValue, x, end - begin, nFeatures!, k!, iterations!, out);
  };
}
