// xgboost's trees compiled into flat typed arrays, one slot per node of every tree, so prediction walks numbers
// and never objects. Semantics follow xgboost's CPU predictor: inputs are float32, a split sends `x < threshold`
// left, a missing value (NaN or the configured `missing`) follows the node's default direction, a categorical split
// sends the listed categories right, and each leaf is added to the row's float32 margin in tree order.
//
//   node i (global):  left[i] right[i] dflt[i]   children as global indices; left[i] = -1 on leaves
//                     feature[i] value[i]        split feature and threshold, or the leaf value
//                     catAt[i] catWords[i]       categorical splits: where the node's bitset starts in `bits`
//   tree t:           root[t] group[t] weight[t] first node, output group, DART weight (1 for gbtree)

import type { XgbTree } from './xgb-booster.js';
import { badModel } from './xgb-booster.js';

/** xgboost's bound on category codes (16777216, the last float32 that counts integers exactly). */
const MAX_CATEGORY = 16777216;
/** Bitset words all categorical splits may take together (64 MiB); beyond this the model is refused. */
const MAX_CATEGORY_WORDS = 16 * 1024 * 1024;

export class TreeEnsemble {
  readonly numTrees: number;
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  readonly #dflt: Int32Array;
  readonly #feature: Int32Array;
  readonly #value: Float32Array;
  readonly #catAt: Int32Array;
  readonly #catWords: Int32Array;
  readonly #bits: Uint32Array;
  readonly #root: Int32Array;
  readonly #group: Int32Array;
  readonly #weight: Float32Array | null;

  /** Compiles validated trees (see validateBooster); `weights` are DART's per-tree weights. */
  constructor(trees: readonly XgbTree[], treeGroups: ArrayLike<number>, weights: ArrayLike<number> | null) {
    this.numTrees = trees.length;
    const total = trees.reduce((n, t) => n + t.left.length, 0);
    this.#left = new Int32Array(total);
    this.#right = new Int32Array(total);
    this.#dflt = new Int32Array(total);
    this.#feature = new Int32Array(total);
    this.#value = new Float32Array(total);
    this.#catAt = new Int32Array(total).fill(-1);
    this.#catWords = new Int32Array(total);
    this.#root = new Int32Array(trees.length);
    this.#group = Int32Array.from(treeGroups);
    this.#weight = weights ? Float32Array.from(weights) : null;

    const bitsets: Uint32Array[] = [];
    let bitWords = 0;
    let base = 0;
    trees.forEach((tree, t) => {
      this.#root[t] = base;
      const n = tree.left.length;
      for (let i = 0; i < n; i++) {
        const g = base + i;
        const l = tree.left[i]!;
        this.#value[g] = tree.splitCondition[i]!;
        if (l === -1) {
          this.#left[g] = -1;
          continue;
        }
        this.#left[g] = base + l;
        this.#right[g] = base + tree.right[i]!;
        this.#dflt[g] = tree.defaultLeft[i] ? base + l : base + tree.right[i]!;
        this.#feature[g] = tree.splitIndex[i]!;
        const categories = tree.categories.get(i);
        if (categories) {
          const bitset = categoryBitset(categories, t, i);
          this.#catAt[g] = bitWords;
          this.#catWords[g] = bitset.length;
          bitWords += bitset.length;
          if (bitWords > MAX_CATEGORY_WORDS) throw badModel('the categorical splits use too many categories');
          bitsets.push(bitset);
        }
      }
      base += n;
    });
    this.#bits = new Uint32Array(bitWords);
    let at = 0;
    for (const b of bitsets) {
      this.#bits.set(b, at);
      at += b.length;
    }
  }

  /**
   * Adds trees [treeBegin, treeEnd) to `out` (rows × groups margins, row-major, already holding the base margin).
   * `x` is rows × nFeatures float32 values; `missing` is the value that means missing besides NaN (NaN: none).
   */
  addMargins(
    x: Float32Array,
    rows: number,
    nFeatures: number,
    groups: number,
    missing: number,
    treeBegin: number,
    treeEnd: number,
    out: Float32Array,
  ): void {
    const left = this.#left;
    const right = this.#right;
    const dflt = this.#dflt;
    const feature = this.#feature;
    const value = this.#value;
    const catAt = this.#catAt;
    const catWords = this.#catWords;
    const bits = this.#bits;
    const root = this.#root;
    const group = this.#group;
    const weight = this.#weight;
    for (let r = 0; r < rows; r++) {
      const rowAt = r * nFeatures;
      const outAt = r * groups;
      for (let t = treeBegin; t < treeEnd; t++) {
        let n = root[t]!;
        let l = left[n]!;
        while (l >= 0) {
          const v = x[rowAt + feature[n]!]!;
          if (Number.isNaN(v) || v === missing) {
            n = dflt[n]!;
          } else {
            const c = catAt[n]!;
            if (c < 0) {
              n = v < value[n]! ? l : right[n]!;
            } else {
              n = goesRight(v, bits, c, catWords[n]!) ? right[n]! : l;
            }
          }
          l = left[n]!;
        }
        // out is a Float32Array: each += rounds to float32, as xgboost's float accumulator does.
        if (weight === null) out[outAt + group[t]!]! += value[n]!;
        else out[outAt + group[t]!]! += Math.fround(value[n]! * weight[t]!);
      }
    }
  }
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
