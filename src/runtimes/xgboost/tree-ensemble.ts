// xgboost's trees compiled into flat typed arrays, one slot per node of every tree, so prediction walks numbers
// and never objects. Semantics follow xgboost's CPU predictor: inputs are float32, a split sends `x < threshold`
// left, a missing value (NaN; callers turn the configured `missing` into NaN first) follows the node's default
// direction, a categorical split sends the listed categories right, and each leaf is added to the row's float32
// margin in tree order.
//
// Nodes are renumbered breadth-first so that every right child sits right after its left child:
//
//   node i (global):  left[i]        left child (global); the right child is left[i] + 1; -1 marks a leaf
//                     feature[i]     split feature, or ~feature for a categorical split
//                     value[i]       threshold (float32), or the leaf value
//                     dright[i]      1 when missing values go right
//                     catAt[i] catWords[i]   categorical splits: where the node's bitset starts in `bits`
//   tree t:           root[t] group[t] weight[t]   first node, output group, DART weight
//                     depth[t]       edges on the longest root-to-leaf path
//
// Numeric trees are walked level by level, several rows at once (see #addNumeric): a leaf points at itself
// (selfLeft[i] = i) behind a NaN threshold (thresh[i]), so `depth[t]` steps land every row on its leaf
// without a per-row exit test, and the rows' independent walks overlap in the CPU.

import { type KernelJob, type RowKernel, sharedArray, sharedFrom } from '../intra-op/kernel.js';
import type { XgbTree } from './xgb-booster.js';
import { badModel } from './xgb-booster.js';

/** xgboost's bound on category codes (16777216, the last float32 that counts integers exactly). */
const MAX_CATEGORY = 16777216;
/** Rows walked through the trees together (xgboost's CPU predictor uses blocks of 64 too). */
const ROW_BLOCK = 64;
/** Bitset words all categorical splits may take together (64 MiB); beyond this the model is refused. */
const MAX_CATEGORY_WORDS = 16 * 1024 * 1024;
/**
 * Deeper trees are walked row by row to their leaf: the level walk costs the deepest path for every row, which
 * only pays while trees are shallow and balanced (xgboost's default max_depth is 6; lossguide trees may not be).
 */
const MAX_LEVEL_WALK_DEPTH = 16;

/** A compiled ensemble's arrays, all in SharedArrayBuffers: what intra-op worker threads rebuild it from. */
export interface TreeEnsembleState {
  left: Int32Array;
  feature: Int32Array;
  value: Float32Array;
  dright: Uint8Array;
  catAt: Int32Array;
  catWords: Int32Array;
  bits: Uint32Array;
  root: Int32Array;
  group: Int32Array;
  weight: Float32Array | null;
  selfLeft: Int32Array;
  thresh: Float32Array;
  depth: Int32Array;
  hasCategorical: boolean;
}

export class TreeEnsemble {
  readonly numTrees: number;
  readonly #left: Int32Array;
  readonly #feature: Int32Array;
  readonly #value: Float32Array;
  readonly #dright: Uint8Array;
  readonly #catAt: Int32Array;
  readonly #catWords: Int32Array;
  readonly #bits: Uint32Array;
  readonly #root: Int32Array;
  readonly #group: Int32Array;
  readonly #weight: Float32Array | null;
  readonly #hasCategorical: boolean;
  readonly #selfLeft: Int32Array;
  readonly #thresh: Float32Array;
  readonly #depth: Int32Array;

  /**
   * Compiles validated trees (see validateBooster); `weights` are DART's per-tree weights. Given a `state` (see
   * `state()`) instead, rebuilds the ensemble on the same arrays (an intra-op worker thread).
   */
  constructor(
    trees: readonly XgbTree[] | TreeEnsembleState,
    treeGroups: ArrayLike<number> = [],
    weights: ArrayLike<number> | null = null,
  ) {
    if (!Array.isArray(trees)) {
      const st = trees as TreeEnsembleState;
      this.numTrees = st.root.length;
      this.#left = st.left;
      this.#feature = st.feature;
      this.#value = st.value;
      this.#dright = st.dright;
      this.#catAt = st.catAt;
      this.#catWords = st.catWords;
      this.#bits = st.bits;
      this.#root = st.root;
      this.#group = st.group;
      this.#weight = st.weight;
      this.#hasCategorical = st.hasCategorical;
      this.#selfLeft = st.selfLeft;
      this.#thresh = st.thresh;
      this.#depth = st.depth;
      return;
    }
    // Shared memory, so that intra-op worker threads walk the same arrays without a copy.
    this.numTrees = trees.length;
    const total = trees.reduce((n, t) => n + t.left.length, 0);
    this.#left = sharedArray(Int32Array, total);
    this.#feature = sharedArray(Int32Array, total);
    this.#value = sharedArray(Float32Array, total);
    this.#dright = sharedArray(Uint8Array, total);
    this.#catAt = sharedArray(Int32Array, total);
    this.#catWords = sharedArray(Int32Array, total);
    this.#root = sharedArray(Int32Array, trees.length);
    this.#selfLeft = sharedArray(Int32Array, total);
    this.#thresh = sharedArray(Float32Array, total);
    this.#depth = sharedArray(Int32Array, trees.length);
    this.#group = sharedFrom(Int32Array, treeGroups);
    this.#weight = weights ? sharedFrom(Float32Array, weights) : null;

    const bitsets: Uint32Array[] = [];
    let bitWords = 0;
    let next = 0;
    trees.forEach((tree, t) => {
      // Breadth-first from the root; unreachable (deleted) nodes are dropped.
      this.#root[t] = next;
      const queue = [0];
      const level = [0];
      next++;
      for (let q = 0; q < queue.length; q++) {
        const i = queue[q]!;
        const g = this.#root[t]! + q;
        const l = tree.left[i]!;
        this.#value[g] = tree.splitCondition[i]!;
        if (level[q]! > this.#depth[t]!) this.#depth[t] = level[q]!;
        if (l === -1) {
          this.#left[g] = -1;
          this.#selfLeft[g] = g;
          this.#thresh[g] = Number.NaN; // x >= NaN is false and dright is 0: the walk stays on the leaf
          continue;
        }
        this.#left[g] = next;
        this.#selfLeft[g] = next;
        this.#thresh[g] = tree.splitCondition[i]!;
        level.push(level[q]! + 1, level[q]! + 1);
        next += 2;
        queue.push(l, tree.right[i]!);
        this.#dright[g] = tree.defaultLeft[i] ? 0 : 1;
        const categories = tree.categories.get(i);
        if (categories) {
          this.#feature[g] = ~tree.splitIndex[i]!;
          const bitset = categoryBitset(categories, t, i);
          this.#catAt[g] = bitWords;
          this.#catWords[g] = bitset.length;
          bitWords += bitset.length;
          if (bitWords > MAX_CATEGORY_WORDS) throw badModel('the categorical splits use too many categories');
          bitsets.push(bitset);
        } else {
          this.#feature[g] = tree.splitIndex[i]!;
        }
      }
    });
    this.#hasCategorical = bitsets.length > 0;
    this.#bits = sharedArray(Uint32Array, bitWords);
    let at = 0;
    for (const b of bitsets) {
      this.#bits.set(b, at);
      at += b.length;
    }
  }

  /** The arrays, for intra-op worker threads (treeEnsembleKernel). */
  state(): TreeEnsembleState {
    return {
      left: this.#left,
      feature: this.#feature,
      value: this.#value,
      dright: this.#dright,
      catAt: this.#catAt,
      catWords: this.#catWords,
      bits: this.#bits,
      root: this.#root,
      group: this.#group,
      weight: this.#weight,
      selfLeft: this.#selfLeft,
      thresh: this.#thresh,
      depth: this.#depth,
      hasCategorical: this.#hasCategorical,
    };
  }

  /** Node steps a row takes through trees [begin, end) at most (the level walk's cost): the split threshold's unit. */
  steps(treeBegin: number, treeEnd: number): number {
    let n = 0;
    for (let t = treeBegin; t < treeEnd; t++) n += this.#depth[t]!;
    return n;
  }

  /**
   * Adds trees [treeBegin, treeEnd) to `out` (rows × groups margins, row-major, already holding the base margin).
   * `x` is rows × nFeatures float32 values where NaN, and only NaN, means missing.
   */
  addMargins(
    x: Float32Array,
    rows: number,
    nFeatures: number,
    groups: number,
    treeBegin: number,
    treeEnd: number,
    out: Float32Array,
  ): void {
    if (!this.#hasCategorical) {
      this.#addNumeric(x, rows, nFeatures, groups, treeBegin, treeEnd, out);
      return;
    }
    const left = this.#left;
    const feature = this.#feature;
    const value = this.#value;
    const dright = this.#dright;
    const root = this.#root;
    const group = this.#group;
    const weight = this.#weight;
    // Blocks of rows, each walked through every tree in order: a tree's nodes stay in cache across the block,
    // and each row still adds its leaves in tree order (the float32 sum depends on that order).
    const numericOnly = !this.#hasCategorical;
    for (let blockStart = 0; blockStart < rows; blockStart += ROW_BLOCK) {
      const blockEnd = Math.min(rows, blockStart + ROW_BLOCK);
      for (let t = treeBegin; t < treeEnd; t++) {
        const start = root[t]!;
        const outGroup = group[t]!;
        const w = weight === null ? 1 : weight[t]!;
        for (let r = blockStart; r < blockEnd; r++) {
          const rowAt = r * nFeatures;
          let n = start;
          let l = left[n]!;
          if (numericOnly) {
            while (l >= 0) {
              const v = x[rowAt + feature[n]!]!;
              // Branch-free: right when v >= threshold; NaN fails that test and takes the default side instead.
              // biome-ignore lint/suspicious/noSelfCompare: the NaN test; measurably faster here than Number.isNaN
              n = l + (+(v >= value[n]!) | (dright[n]! & +(v !== v)));
              l = left[n]!;
            }
          } else {
            while (l >= 0) {
              const f = feature[n]!;
              if (f >= 0) {
                const v = x[rowAt + f]!;
                // biome-ignore lint/suspicious/noSelfCompare: the NaN test, as above
                n = l + (+(v >= value[n]!) | (dright[n]! & +(v !== v)));
              } else {
                const v = x[rowAt + ~f]!;
                n = Number.isNaN(v) ? l + dright[n]! : this.#categoryBranch(v, n, l);
              }
              l = left[n]!;
            }
          }
          // out is a Float32Array: each += rounds to float32, as xgboost's float accumulator does.
          if (weight === null) out[r * groups + outGroup]! += value[n]!;
          else out[r * groups + outGroup]! += Math.fround(value[n]! * w);
        }
      }
    }
  }

  /**
   * Numeric splits only. Blocks of rows; per tree, 4 rows walk down together, level by level, for the tree's
   * depth (a tree deeper than MAX_LEVEL_WALK_DEPTH is walked row by row to its leaf instead). Each row still
   * adds its leaves in tree order into its float32 margin.
   */
  #addNumeric(
    x: Float32Array,
    rows: number,
    nFeatures: number,
    groups: number,
    treeBegin: number,
    treeEnd: number,
    out: Float32Array,
  ): void {
    const left = this.#selfLeft;
    const thresh = this.#thresh;
    const feature = this.#feature;
    const value = this.#value;
    const dright = this.#dright;
    const root = this.#root;
    const group = this.#group;
    const weight = this.#weight;
    const depthOf = this.#depth;
    for (let blockStart = 0; blockStart < rows; blockStart += ROW_BLOCK) {
      const blockEnd = Math.min(rows, blockStart + ROW_BLOCK);
      const blockEnd4 = blockEnd - ((blockEnd - blockStart) % 4);
      for (let t = treeBegin; t < treeEnd; t++) {
        const start = root[t]!;
        const g = group[t]!;
        const w = weight === null ? 1 : weight[t]!;
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
              // Right when v >= threshold; NaN fails that test and takes the default side instead.
              const v0 = x[a0 + feature[n0]!]!;
              const v1 = x[a1 + feature[n1]!]!;
              const v2 = x[a2 + feature[n2]!]!;
              const v3 = x[a3 + feature[n3]!]!;
              // biome-ignore lint/suspicious/noSelfCompare: the NaN test; measurably faster here than Number.isNaN
              n0 = left[n0]! + (+(v0 >= thresh[n0]!) | (dright[n0]! & +(v0 !== v0)));
              // biome-ignore lint/suspicious/noSelfCompare: as above
              n1 = left[n1]! + (+(v1 >= thresh[n1]!) | (dright[n1]! & +(v1 !== v1)));
              // biome-ignore lint/suspicious/noSelfCompare: as above
              n2 = left[n2]! + (+(v2 >= thresh[n2]!) | (dright[n2]! & +(v2 !== v2)));
              // biome-ignore lint/suspicious/noSelfCompare: as above
              n3 = left[n3]! + (+(v3 >= thresh[n3]!) | (dright[n3]! & +(v3 !== v3)));
            }
            const o = r * groups + g;
            if (weight === null) {
              out[o]! += value[n0]!;
              out[o + groups]! += value[n1]!;
              out[o + 2 * groups]! += value[n2]!;
              out[o + 3 * groups]! += value[n3]!;
            } else {
              out[o]! += Math.fround(value[n0]! * w);
              out[o + groups]! += Math.fround(value[n1]! * w);
              out[o + 2 * groups]! += Math.fround(value[n2]! * w);
              out[o + 3 * groups]! += Math.fround(value[n3]! * w);
            }
          }
        }
        const treeLeft = this.#left;
        for (; r < blockEnd; r++) {
          const rowAt = r * nFeatures;
          let n = start;
          let l = treeLeft[n]!;
          while (l >= 0) {
            const v = x[rowAt + feature[n]!]!;
            // biome-ignore lint/suspicious/noSelfCompare: the NaN test, as above
            n = l + (+(v >= value[n]!) | (dright[n]! & +(v !== v)));
            l = treeLeft[n]!;
          }
          if (weight === null) out[r * groups + g]! += value[n]!;
          else out[r * groups + g]! += Math.fround(value[n]! * w);
        }
      }
    }
  }

  #categoryBranch(v: number, n: number, l: number): number {
    return goesRight(v, this.#bits, this.#catAt[n]!, this.#catWords[n]!) ? l + 1 : l;
  }
}

/**
 * The intra-op kernel (runtimes/intra-op): job.arrays `x` (rows × nFeatures float32) and `out` (rows × groups
 * margins), job.params `nFeatures`, `groups`, `treeBegin`, `treeEnd`; each call adds a range of rows' margins
 * with the same addMargins as a single-thread call, so the split result equals it exactly.
 */
export function treeEnsembleKernel(state: TreeEnsembleState): RowKernel {
  const ensemble = new TreeEnsemble(state);
  return (job: KernelJob, rowBegin: number, rowEnd: number) => {
    const { nFeatures, groups, treeBegin, treeEnd } = job.params as Record<string, number>;
    const x = job.arrays.x as Float32Array;
    const out = job.arrays.out as Float32Array;
    ensemble.addMargins(
      x.subarray(rowBegin * nFeatures!, rowEnd * nFeatures!),
      rowEnd - rowBegin,
      nFeatures!,
      groups!,
      treeBegin!,
      treeEnd!,
      out.subarray(rowBegin * groups!, rowEnd * groups!),
    );
  };
}

/**
 * common::Decision: a category in the split's set goes right; anything else -- not in the set, beyond the bitset,
 * negative or at least 2^24 (xgboost's "invalid category") -- goes left. Fractional codes are truncated.
 */
function goesRight(v: number, bits: Uint32Array, at: number, words: number): boolean {
  if (v < 0 || v >= MAX_CATEGORY) return false;
  const c = Math.trunc(v);
  const word = c >>> 5;
  if (word >= words) return false;
  return ((bits[at + word]! >>> (c & 31)) & 1) === 1;
}

function categoryBitset(categories: ArrayLike<number>, tree: number, node: number): Uint32Array {
  let max = -1;
  for (let i = 0; i < categories.length; i++) {
    const c = categories[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= MAX_CATEGORY) {
      throw badModel(`tree ${tree} node ${node}: category ${c} is not an integer in [0, ${MAX_CATEGORY})`);
    }
    if (c > max) max = c;
  }
  const bitset = new Uint32Array(Math.ceil((max + 1) / 32));
  for (let i = 0; i < categories.length; i++) {
    const c = categories[i]!;
    bitset[c >>> 5]! |= 1 << (c & 31);
  }
  return bitset;
}
