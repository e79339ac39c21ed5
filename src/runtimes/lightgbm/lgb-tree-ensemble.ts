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

import type { LgbTree } from './lgb-text-model.js';

/** kZeroThreshold: LightGBM's float literal 1e-35f, widened to double. */
const ZERO_THRESHOLD = Math.fround(1e-35);
const INT_LIMIT = 2147483648;

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
          out[outAt + c] += linear === null ? leafValue[leaf]! : linearOutput(linear[leaf], leafValue[leaf]!, x, rowAt);
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
