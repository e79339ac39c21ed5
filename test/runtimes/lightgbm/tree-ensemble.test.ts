// The level walk LightGBM ensembles of numerical splits take (leaves in the node space, missing handling folded
// into one bit per node) scores exactly what Tree::Decision's walk scores: random trees with missing types
// None and NaN, either default side, NaN and zero inputs, several classes, rows not a multiple of 4 or of a block.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LgbTree } from '../../../src/runtimes/lightgbm/lgb-text-model.js';
import { LgbTreeEnsemble } from '../../../src/runtimes/lightgbm/lgb-tree-ensemble.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

/** A random tree in LightGBM's encoding: internal nodes 0.., a child < 0 is leaf ~child. */
function randomTree(rand: () => number, maxDepth: number, nFeatures: number): LgbTree {
  const split: { f: number; thr: number; dt: number; l: number; r: number }[] = [];
  const leafValue: number[] = [];
  const grow = (depth: number): number => {
    if (depth === maxDepth || (depth > 0 && rand() < 0.3)) {
      leafValue.push(rand() * 2 - 1);
      return ~(leafValue.length - 1);
    }
    const i = split.length;
    const missingType = rand() < 0.5 ? 0 : 2;
    split.push({
      f: Math.floor(rand() * nFeatures),
      thr: Math.round(rand() * 40 - 20) / 10,
      dt: (missingType << 2) | (rand() < 0.5 ? 2 : 0),
      l: 0,
      r: 0,
    });
    split[i]!.l = grow(depth + 1);
    split[i]!.r = grow(depth + 1);
    return i;
  };
  grow(0);
  return {
    numLeaves: leafValue.length,
    numCat: 0,
    splitFeature: Int32Array.from(split, (s) => s.f),
    threshold: Float64Array.from(split, (s) => s.thr),
    decisionType: Uint8Array.from(split, (s) => s.dt),
    leftChild: Int32Array.from(split, (s) => s.l),
    rightChild: Int32Array.from(split, (s) => s.r),
    leafValue: Float64Array.from(leafValue),
    catBoundaries: new Int32Array(0),
    catThreshold: new Uint32Array(0),
    isLinear: false,
    leafConst: new Float64Array(0),
    leafFeatures: [],
    leafCoeff: [],
  };
}

/** Tree::Decision for numerical splits, row by row. */
function reference(trees: LgbTree[], x: Float64Array, rows: number, nFeatures: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    trees.forEach((t, ti) => {
      let n = t.numLeaves > 1 ? 0 : -1;
      while (n >= 0) {
        let v = x[r * nFeatures + t.splitFeature[n]!]!;
        const missingType = (t.decisionType[n]! >> 2) & 3;
        if (Number.isNaN(v) && missingType !== 2) v = 0;
        if (missingType === 2 && Number.isNaN(v)) n = t.decisionType[n]! & 2 ? t.leftChild[n]! : t.rightChild[n]!;
        else n = v <= t.threshold[n]! ? t.leftChild[n]! : t.rightChild[n]!;
      }
      out[r * k + (ti % k)]! += t.leafValue[~n]!;
    });
  }
  return out;
}

for (const { maxDepth, k } of [
  { maxDepth: 6, k: 1 },
  { maxDepth: 8, k: 3 },
  { maxDepth: 22, k: 1 }, // past the level walk's depth bound: walked row by row
]) {
  test(`level walk equals Tree::Decision: depth ≤ ${maxDepth}, ${k} class(es)`, () => {
    const rand = rng(maxDepth * 7 + k);
    const nFeatures = 6;
    const iterations = 12;
    const trees = Array.from({ length: iterations * k }, () => randomTree(rand, maxDepth, nFeatures));
    trees.push(...Array.from({ length: k }, () => randomTree(rand, 0, nFeatures))); // single-leaf trees too
    const ensemble = new LgbTreeEnsemble(trees);
    for (const rows of [1, 5, 64, 131]) {
      const x = new Float64Array(rows * nFeatures);
      for (let i = 0; i < x.length; i++) {
        const u = rand();
        x[i] = u < 0.1 ? Number.NaN : u < 0.15 ? 0 : u < 0.4 ? Math.round(rand() * 40 - 20) / 10 : rand() * 4 - 2;
      }
      const out = new Float64Array(rows * k);
      ensemble.addRawScores(x, rows, nFeatures, k, iterations + 1, out);
      assert.deepEqual(Array.from(out), Array.from(reference(trees, x, rows, nFeatures, k)), `${rows} rows`);
    }
  });
}
