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
// Ensembles of numerical splits (no categorical splits, no linear trees: what LightGBM trains on dense data)
// take a faster walk, addLevelWalk: 8 rows at once, level by level, over one 16-byte record per node (`node`:
// Int32 and Float64 views of one buffer), renumbered breadth-first so that a right child's record follows its
// left sibling's:
//
//   node[4i]          the column of the row's expanded copy (below) the split reads: columns × feature + kind
//   node[4i + 1]      offset (int32 units) of the left child's record; the right child's is 4 further on.
//                     A leaf points at itself behind a +Infinity threshold (x > +Infinity is false).
//   node[4i + 2..3]   threshold (float64): right when x > threshold
//
// Missing values cost nothing in the walk: each block of rows is copied once with 2 columns per feature (4 when
// a split has missing type Zero), where a missing value becomes -Infinity (goes left) or +Infinity (goes right):
//
//   kind 0, 1   NaN as -Infinity, +Infinity: missing type NaN (the default side), or None (NaN reads as 0, so
//               it goes where 0 goes)
//   kind 2, 3   NaN and |x| <= 1e-35 as -Infinity, +Infinity: missing type Zero (the default side)
//
// Other values are copied as they are, so every decision equals Tree::Decision's. A split whose missing values
// go right needs a threshold below +Infinity (else the ensemble keeps the Tree::Decision walk).

import { type KernelJob, type RowKernel, sharedArray } from '../intra-op/kernel.js';
import type { LgbTree } from './lgb-text-model.js';

/** kZeroThreshold: LightGBM's float literal 1e-35f, widened to double. */
const ZERO_THRESHOLD = Math.fround(1e-35);
const INT_LIMIT = 2147483648;
/** Rows walked through the trees together: their features stay in cache while every tree passes over them. */
const ROW_BLOCK = 64;
/** Deeper trees are walked row by row: the level walk costs the deepest path for every row. */
const MAX_LEVEL_WALK_DEPTH = 16;

/** int32 slots per node record of the level walk. */
const NODE_SLOTS = 4;

/** The level walk's arrays (see the top of this file), all in SharedArrayBuffers. */
export interface LevelWalk {
  /** Columns per feature of a block's expanded rows: 2, or 4 when a split has missing type Zero. */
  columns: number;
  /** Node records, 4 int32 slots each. */
  node: Int32Array;
  /** Per record: the leaf's value (0 for a split). */
  leaf: Float64Array;
  /** Per tree: the root's record offset (int32 units). */
  root: Int32Array;
  depth: Int32Array;
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
  /** Present when every split is numerical and no tree is linear (see the top of this file). */
  readonly #walk: LevelWalk | null;
  /** The level walk's block of expanded rows, grown on demand. */
  readonly #scratch: Scratch = { xx: new Float64Array(0) };

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
    this.#leafValue = new Float64Array(leaves);
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
    // Per split: the kind of column it reads (see the top of this file).
    const kind = new Uint8Array(nodes);
    let columns = 2;
    for (let n = 0; n < nodes; n++) {
      const dt = this.#decision[n]!;
      if (dt & 1) return null; // categorical
      const thr = this.#threshold[n]!;
      const missingType = (dt >> 2) & 3;
      // Missing type None: NaN is read as 0, so it goes where 0 goes. NaN and Zero: the default side.
      const right = missingType === 0 ? +!(0 <= thr) : +!(dt & 2);
      kind[n] = missingType === 1 ? 2 + right : right;
      if (missingType === 1) columns = 4;
      // A missing value sent right is read as +Infinity, which must pass the split's test.
      if (right && !(thr < Number.POSITIVE_INFINITY)) return null;
    }
    const total = nodes + leaves;
    // Shared memory, so that intra-op worker threads walk the same arrays without a copy.
    const walk: LevelWalk = {
      columns,
      node: sharedArray(Int32Array, total * NODE_SLOTS),
      leaf: sharedArray(Float64Array, total),
      root: sharedArray(Int32Array, this.numTrees),
      depth: sharedArray(Int32Array, this.numTrees),
    };
    const node = walk.node;
    const threshold = new Float64Array(node.buffer);
    // Breadth-first per tree: a split's two children take consecutive records. Entries are node indices, or
    // ~leaf for leaves (as in #left / #right).
    let next = 0;
    for (let t = 0; t < this.numTrees; t++) {
      const base = next;
      const queue = [this.#root[t]!];
      const level = [0];
      let depth = 0;
      walk.root[t] = base * NODE_SLOTS;
      for (let q = 0; q < queue.length; q++) {
        const at = (base + q) * NODE_SLOTS;
        const n = queue[q]!;
        if (level[q]! > depth) depth = level[q]!;
        if (n < 0) {
          node[at + 1] = at;
          threshold[(at >> 1) + 1] = Number.POSITIVE_INFINITY;
          walk.leaf[at / NODE_SLOTS] = this.#leafValue[~n]!;
          continue;
        }
        node[at] = columns * this.#feature[n]! + kind[n]!;
        node[at + 1] = (base + queue.length) * NODE_SLOTS;
        threshold[(at >> 1) + 1] = this.#threshold[n]!;
        queue.push(this.#left[n]!, this.#right[n]!);
        level.push(level[q]! + 1, level[q]! + 1);
      }
      next = base + queue.length;
      walk.depth[t] = depth;
    }
    return walk;
  }

  /** The level walk's arrays and leaf values, for intra-op threads; null when this ensemble has no level walk. */
  levelWalkState(): LevelWalkState | null {
    return this.#walk ? { walk: this.#walk } : null;
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
      addLevelWalk(this.#walk, this.#scratch, x, rows, nFeatures, k, iterations, out);
      return;
    }
    this.addRawScoresTreeWalk(x, rows, nFeatures, k, iterations, out);
  }

  /**
   * addRawScores by Tree::Decision's walk, one row at a time: what ensembles without the level walk take, and
   * the reference the level walk is tested against.
   */
  addRawScoresTreeWalk(
    x: Float64Array,
    rows: number,
    nFeatures: number,
    k: number,
    iterations: number,
    out: Float64Array,
  ): void {
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

/** A thread's buffer for one block of expanded rows (two columns per feature). */
interface Scratch {
  xx: Float64Array;
}

/**
 * addRawScores for ensembles with a level walk (see the top of this file): blocks of rows, expanded once, then
 * tree by tree, 8 rows walking together; each row adds its trees' outputs in tree order, as Tree::Decision's
 * walk does. The single-thread call and every intra-op block run this same function.
 */
function addLevelWalk(
  walk: LevelWalk,
  scratch: Scratch,
  x: Float64Array,
  rows: number,
  nFeatures: number,
  k: number,
  iterations: number,
  out: Float64Array,
): void {
  const { columns, node, leaf, root, depth: depthOf } = walk;
  const threshold = new Float64Array(node.buffer, node.byteOffset, node.length >> 1);
  const trees = iterations * k;
  const stride = columns * nFeatures;
  // Sized by the rows at hand (up to a block), never by the model's feature count alone: a call of no rows to a
  // model declaring millions of features must not allocate gigabytes.
  const need = Math.min(rows, ROW_BLOCK) * stride;
  if (scratch.xx.length < need) scratch.xx = new Float64Array(need);
  const xx = scratch.xx;
  for (let blockStart = 0; blockStart < rows; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(rows, blockStart + ROW_BLOCK);
    const blockEnd8 = blockStart + ((blockEnd - blockStart) & ~7);
    expandRows(x, blockStart * nFeatures, blockEnd * nFeatures, columns, xx);
    for (let t = 0; t < trees; t++) {
      const start = root[t]!;
      const c = t % k;
      const depth = depthOf[t]!;
      let r = blockStart;
      if (depth <= MAX_LEVEL_WALK_DEPTH) {
        for (; r < blockEnd8; r += 8) {
          const a0 = (r - blockStart) * stride;
          const a1 = a0 + stride;
          const a2 = a1 + stride;
          const a3 = a2 + stride;
          const a4 = a3 + stride;
          const a5 = a4 + stride;
          const a6 = a5 + stride;
          const a7 = a6 + stride;
          let n0 = start;
          let n1 = start;
          let n2 = start;
          let n3 = start;
          let n4 = start;
          let n5 = start;
          let n6 = start;
          let n7 = start;
          for (let d = 0; d < depth; d++) {
            // The right child's record is 4 slots after the left one's: right when x > threshold.
            n0 = node[n0 + 1]! + (+(xx[a0 + node[n0]!]! > threshold[(n0 >> 1) + 1]!) << 2);
            n1 = node[n1 + 1]! + (+(xx[a1 + node[n1]!]! > threshold[(n1 >> 1) + 1]!) << 2);
            n2 = node[n2 + 1]! + (+(xx[a2 + node[n2]!]! > threshold[(n2 >> 1) + 1]!) << 2);
            n3 = node[n3 + 1]! + (+(xx[a3 + node[n3]!]! > threshold[(n3 >> 1) + 1]!) << 2);
            n4 = node[n4 + 1]! + (+(xx[a4 + node[n4]!]! > threshold[(n4 >> 1) + 1]!) << 2);
            n5 = node[n5 + 1]! + (+(xx[a5 + node[n5]!]! > threshold[(n5 >> 1) + 1]!) << 2);
            n6 = node[n6 + 1]! + (+(xx[a6 + node[n6]!]! > threshold[(n6 >> 1) + 1]!) << 2);
            n7 = node[n7 + 1]! + (+(xx[a7 + node[n7]!]! > threshold[(n7 >> 1) + 1]!) << 2);
          }
          const o = r * k + c;
          out[o]! += leaf[n0 >> 2]!;
          out[o + k]! += leaf[n1 >> 2]!;
          out[o + 2 * k]! += leaf[n2 >> 2]!;
          out[o + 3 * k]! += leaf[n3 >> 2]!;
          out[o + 4 * k]! += leaf[n4 >> 2]!;
          out[o + 5 * k]! += leaf[n5 >> 2]!;
          out[o + 6 * k]! += leaf[n6 >> 2]!;
          out[o + 7 * k]! += leaf[n7 >> 2]!;
        }
      }
      for (; r < blockEnd; r++) {
        const a = (r - blockStart) * stride;
        let n = start;
        for (let l = node[n + 1]!; l !== n; l = node[n + 1]!) {
          n = l + (+(xx[a + node[n]!]! > threshold[(n >> 1) + 1]!) << 2);
        }
        out[r * k + c]! += leaf[n >> 2]!;
      }
    }
  }
}

/**
 * x[begin, end) into `xx` with `columns` columns per value (see the top of this file): missing values as -Infinity
 * and +Infinity (NaN; with 4 columns also |x| <= 1e-35 in the last two), other values as they are.
 */
function expandRows(x: Float64Array, begin: number, end: number, columns: number, xx: Float64Array): void {
  const lo = Number.NEGATIVE_INFINITY;
  const hi = Number.POSITIVE_INFINITY;
  if (columns === 2) {
    for (let i = begin, j = 0; i < end; i++, j += 2) {
      const v = x[i]!;
      // biome-ignore lint/suspicious/noSelfCompare: the NaN test
      const nan = v !== v;
      xx[j] = nan ? lo : v;
      xx[j + 1] = nan ? hi : v;
    }
    return;
  }
  for (let i = begin, j = 0; i < end; i++, j += 4) {
    const v = x[i]!;
    // biome-ignore lint/suspicious/noSelfCompare: the NaN test
    const nan = v !== v;
    const zero = nan || (v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD);
    xx[j] = nan ? lo : v;
    xx[j + 1] = nan ? hi : v;
    xx[j + 2] = zero ? lo : v;
    xx[j + 3] = zero ? hi : v;
  }
}

export interface LevelWalkState {
  walk: LevelWalk;
}

/**
 * The intra-op kernel: job.arrays `x` (rows × nFeatures float64) and `out` (rows × k raw scores, zeroed),
 * job.params `nFeatures`, `k`, `iterations`.
 */
export function lgbLevelWalkKernel(state: LevelWalkState): RowKernel {
  const scratch: Scratch = { xx: new Float64Array(0) };
  return (job: KernelJob, begin: number, end: number) => {
    const { nFeatures, k, iterations } = job.params as Record<string, number>;
    const x = (job.arrays.x as Float64Array).subarray(begin * nFeatures!, end * nFeatures!);
    const out = (job.arrays.out as Float64Array).subarray(begin * k!, end * k!);
    addLevelWalk(state.walk, scratch, x, end - begin, nFeatures!, k!, iterations!, out);
  };
}
