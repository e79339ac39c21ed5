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
// Numeric trees are walked level by level, 8 rows at once (see #addLevelWalk), on a second copy of the nodes
// interleaved in one 16-byte record each (`node`, read as Int32 and Float32 views of one buffer):
//
//   node[4i]       2 × feature + (1 when missing values go right): the column of the row's expanded copy below
//   node[4i + 1]   offset (in int32 units) of the left child's record; the right child's is 4 further on.
//                  A leaf points at itself behind a NaN threshold, so `depth[t]` steps land every row on its
//                  leaf without a per-row exit test, and the 8 rows' independent walks overlap in the CPU.
//   node[4i + 2]   threshold (float32 bits)
//   node[4i + 3]   leaf value (float32 bits), DART weight already applied
//
// Missing values cost nothing in that walk: each block of rows is copied once, two columns per feature, NaN
// becoming -Infinity in the first (x >= t is false: left) and +Infinity in the second (true: right), and a node
// reads the column of its default direction. Non-missing values are the same in both, so every decision equals
// xgboost's; this needs every threshold above -Infinity (else the ensemble keeps the row-by-row walk).

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
/** int32 slots per node record of the level walk. */
const NODE_SLOTS = 4;

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
  /** The level walk's node records (see above); null when the ensemble has none. */
  node: Int32Array | null;
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
  readonly #node: Int32Array | null;
  readonly #nodeF: Float32Array | null;
  readonly #depth: Int32Array;
  /** One block of rows expanded for the level walk (two columns per feature); grown on demand, per thread. */
  #expanded = new Float32Array(0);

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
      this.#node = st.node;
      this.#nodeF = st.node ? new Float32Array(st.node.buffer, st.node.byteOffset, st.node.length) : null;
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
          continue;
        }
        this.#left[g] = next;
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
    this.#node = this.#hasCategorical ? null : this.#levelWalkNodes();
    this.#nodeF = this.#node ? new Float32Array(this.#node.buffer) : null;
    this.#bits = sharedArray(Uint32Array, bitWords);
    let at = 0;
    for (const b of bitsets) {
      this.#bits.set(b, at);
      at += b.length;
    }
  }

  /** The level walk's records (see the top of this file), or null when a threshold is -Infinity or NaN. */
  #levelWalkNodes(): Int32Array | null {
    const total = this.#left.length;
    const left = this.#left;
    const value = this.#value;
    for (let g = 0; g < total; g++) {
      if (left[g]! >= 0 && !(value[g]! > Number.NEGATIVE_INFINITY)) return null;
    }
    const node = sharedArray(Int32Array, total * NODE_SLOTS);
    const nodeF = new Float32Array(node.buffer);
    for (let t = 0; t < this.numTrees; t++) {
      const w = this.#weight === null ? 1 : this.#weight[t]!;
      const end = t + 1 < this.numTrees ? this.#root[t + 1]! : total;
      for (let g = this.#root[t]!; g < end; g++) {
        const at = g * NODE_SLOTS;
        if (left[g] === -1) {
          node[at] = 0;
          node[at + 1] = at; // itself, behind a NaN threshold: x >= NaN is false for every x
          nodeF[at + 2] = Number.NaN;
          // What the row walk adds (DART: the product rounded to float32 first).
          nodeF[at + 3] = this.#weight === null ? value[g]! : Math.fround(value[g]! * w);
        } else {
          node[at] = 2 * this.#feature[g]! + this.#dright[g]!;
          node[at + 1] = left[g]! * NODE_SLOTS;
          nodeF[at + 2] = value[g]!;
        }
      }
    }
    return node;
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
      node: this.#node,
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
    if (this.#node) {
      this.#addLevelWalk(x, rows, nFeatures, groups, treeBegin, treeEnd, out);
      return;
    }
    this.addMarginsRowWalk(x, rows, nFeatures, groups, treeBegin, treeEnd, out);
  }

  /**
   * addMargins by the plain root-to-leaf walk, one row at a time: what ensembles with categorical splits (or a
   * threshold of -Infinity) take, and the reference the level walk is tested against.
   */
  addMarginsRowWalk(
    x: Float32Array,
    rows: number,
    nFeatures: number,
    groups: number,
    treeBegin: number,
    treeEnd: number,
    out: Float32Array,
  ): void {
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
   * The level walk (see the top of this file). Blocks of rows, expanded once; per tree, 8 rows walk down
   * together for the tree's depth (a tree deeper than MAX_LEVEL_WALK_DEPTH is walked row by row to its leaf
   * instead). Each row still adds its leaves in tree order into its float32 margin, as the row walk does.
   */
  #addLevelWalk(
    x: Float32Array,
    rows: number,
    nFeatures: number,
    groups: number,
    treeBegin: number,
    treeEnd: number,
    out: Float32Array,
  ): void {
    const node = this.#node!;
    const nodeF = this.#nodeF!;
    const root = this.#root;
    const group = this.#group;
    const depthOf = this.#depth;
    const stride = 2 * nFeatures;
    // Sized by the rows at hand (up to a block), never by the model's feature count alone: a call of no rows to a
    // model declaring millions of features must not allocate gigabytes.
    const need = Math.min(rows, ROW_BLOCK) * stride;
    if (this.#expanded.length < need) this.#expanded = new Float32Array(need);
    const xx = this.#expanded;
    for (let blockStart = 0; blockStart < rows; blockStart += ROW_BLOCK) {
      const blockEnd = Math.min(rows, blockStart + ROW_BLOCK);
      const blockEnd8 = blockStart + ((blockEnd - blockStart) & ~7);
      for (let i = blockStart * nFeatures, j = 0, e = blockEnd * nFeatures; i < e; i++, j += 2) {
        const v = x[i]!;
        // biome-ignore lint/suspicious/noSelfCompare: the NaN test
        if (v !== v) {
          xx[j] = Number.NEGATIVE_INFINITY;
          xx[j + 1] = Number.POSITIVE_INFINITY;
        } else {
          xx[j] = v;
          xx[j + 1] = v;
        }
      }
      for (let t = treeBegin; t < treeEnd; t++) {
        const start = root[t]! * NODE_SLOTS;
        const g = group[t]!;
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
              // The right child's record is 4 slots after the left one's: right when x >= threshold.
              n0 = node[n0 + 1]! + (+(xx[a0 + node[n0]!]! >= nodeF[n0 + 2]!) << 2);
              n1 = node[n1 + 1]! + (+(xx[a1 + node[n1]!]! >= nodeF[n1 + 2]!) << 2);
              n2 = node[n2 + 1]! + (+(xx[a2 + node[n2]!]! >= nodeF[n2 + 2]!) << 2);
              n3 = node[n3 + 1]! + (+(xx[a3 + node[n3]!]! >= nodeF[n3 + 2]!) << 2);
              n4 = node[n4 + 1]! + (+(xx[a4 + node[n4]!]! >= nodeF[n4 + 2]!) << 2);
              n5 = node[n5 + 1]! + (+(xx[a5 + node[n5]!]! >= nodeF[n5 + 2]!) << 2);
              n6 = node[n6 + 1]! + (+(xx[a6 + node[n6]!]! >= nodeF[n6 + 2]!) << 2);
              n7 = node[n7 + 1]! + (+(xx[a7 + node[n7]!]! >= nodeF[n7 + 2]!) << 2);
            }
            // out is a Float32Array: each += rounds to float32, as xgboost's float accumulator does.
            const o = r * groups + g;
            out[o]! += nodeF[n0 + 3]!;
            out[o + groups]! += nodeF[n1 + 3]!;
            out[o + 2 * groups]! += nodeF[n2 + 3]!;
            out[o + 3 * groups]! += nodeF[n3 + 3]!;
            out[o + 4 * groups]! += nodeF[n4 + 3]!;
            out[o + 5 * groups]! += nodeF[n5 + 3]!;
            out[o + 6 * groups]! += nodeF[n6 + 3]!;
            out[o + 7 * groups]! += nodeF[n7 + 3]!;
          }
        }
        for (; r < blockEnd; r++) {
          const a = (r - blockStart) * stride;
          let n = start;
          for (let l = node[n + 1]!; l !== n; l = node[n + 1]!) {
            n = l + (+(xx[a + node[n]!]! >= nodeF[n + 2]!) << 2);
          }
          out[r * groups + g]! += nodeF[n + 3]!;
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
