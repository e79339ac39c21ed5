// The level walk LightGBM ensembles of numerical splits take (node records, leaves looping on themselves, NaN
// read from an expanded copy of the rows per split's NaN side) scores exactly what Tree::Decision's walk
// scores: random trees with missing types None, Zero and NaN, either default side, NaN, zero and infinite inputs,
// infinite thresholds, several classes, rows not a multiple of 8 or of a block, and every fixture model.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type LgbTree, parseLgbTextModel } from '../../../src/runtimes/lightgbm/lgb-text-model.js';
import { LgbTreeEnsemble } from '../../../src/runtimes/lightgbm/lgb-tree-ensemble.js';
import { fixturesDir } from '../../helpers/paths.js';
import { caseNames } from './golden.js';

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
function randomTree(rand: () => number, maxDepth: number, nFeatures: number, zero = true): LgbTree {
  const split: { f: number; thr: number; dt: number; l: number; r: number }[] = [];
  const leafValue: number[] = [];
  const grow = (depth: number): number => {
    if (depth === maxDepth || (depth > 0 && rand() < 0.3)) {
      leafValue.push(rand() * 2 - 1);
      return ~(leafValue.length - 1);
    }
    const i = split.length;
    const missingType = zero ? Math.floor(rand() * 3) : rand() < 0.5 ? 0 : 2; // None, Zero, NaN
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
        const missing =
          (missingType === 2 && Number.isNaN(v)) || (missingType === 1 && Math.abs(v) <= Math.fround(1e-35));
        if (missing) n = t.decisionType[n]! & 2 ? t.leftChild[n]! : t.rightChild[n]!;
        else n = v <= t.threshold[n]! ? t.leftChild[n]! : t.rightChild[n]!;
      }
      out[r * k + (ti % k)]! += t.leafValue[~n]!;
    });
  }
  return out;
}

for (const { maxDepth, k, zero } of [
  { maxDepth: 6, k: 1, zero: true },
  { maxDepth: 6, k: 1, zero: false }, // no missing type Zero: 2 columns per feature
  { maxDepth: 8, k: 3, zero: true },
  { maxDepth: 22, k: 1, zero: true }, // past the level walk's depth bound: walked row by row
]) {
  const types = zero ? 'None, Zero, NaN' : 'None, NaN';
  test(`level walk equals Tree::Decision: depth ≤ ${maxDepth}, ${k} class(es), missing types ${types}`, () => {
    const rand = rng(maxDepth * 7 + k + (zero ? 0 : 1000));
    const nFeatures = 6;
    const iterations = 12;
    const trees = Array.from({ length: iterations * k }, () => randomTree(rand, maxDepth, nFeatures, zero));
    trees.push(...Array.from({ length: k }, () => randomTree(rand, 0, nFeatures))); // single-leaf trees too
    const ensemble = new LgbTreeEnsemble(trees);
    assert.equal(ensemble.levelWalkState()?.walk.columns, zero ? 4 : 2);
    for (const rows of [1, 5, 64, 131]) {
      const x = new Float64Array(rows * nFeatures);
      for (let i = 0; i < x.length; i++) {
        const u = rand();
        x[i] =
          u < 0.1
            ? Number.NaN
            : u < 0.15
              ? 0
              : u < 0.17
                ? 1e-36
                : u < 0.4
                  ? Math.round(rand() * 40 - 20) / 10
                  : rand() * 4 - 2;
      }
      const out = new Float64Array(rows * k);
      ensemble.addRawScores(x, rows, nFeatures, k, iterations + 1, out);
      assert.deepEqual(Array.from(out), Array.from(reference(trees, x, rows, nFeatures, k)), `${rows} rows`);
    }
  });
}

test('infinite inputs and thresholds: the level walk equals Tree::Decision, or the ensemble keeps that walk', () => {
  const rand = rng(4242);
  const nFeatures = 5;
  const trees = Array.from({ length: 10 }, () => randomTree(rand, 5, nFeatures));
  // Missing type NaN, default left (NaN read as -Infinity): a -Infinity threshold is fine.
  trees[2]!.threshold[0] = Number.NEGATIVE_INFINITY;
  trees[2]!.decisionType[0] = (2 << 2) | 2;
  const kept = new LgbTreeEnsemble(trees);
  assert.ok(kept.levelWalkState(), '-Infinity thresholds keep the level walk');
  // Missing type NaN, default right (NaN read as +Infinity): a +Infinity threshold would send it left.
  const plusInf = trees.map((t) => ({ ...t, threshold: Float64Array.from(t.threshold) }));
  plusInf[6]!.threshold[0] = Number.POSITIVE_INFINITY;
  plusInf[6]!.decisionType = Uint8Array.from(plusInf[6]!.decisionType);
  plusInf[6]!.decisionType[0] = 2 << 2;
  const treeWalk = new LgbTreeEnsemble(plusInf);
  assert.equal(treeWalk.levelWalkState(), null, 'a +Infinity threshold on a NaN-right split: no level walk');
  for (const [name, ensemble, source] of [
    ['-Infinity threshold', kept, trees],
    ['+Infinity threshold', treeWalk, plusInf],
  ] as const) {
    const rows = 203;
    const x = new Float64Array(rows * nFeatures);
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];
    for (let i = 0; i < x.length; i++) {
      const u = rand();
      x[i] = u < 0.3 ? specials[Math.floor(rand() * specials.length)]! : Math.round(rand() * 40 - 20) / 10;
    }
    const out = new Float64Array(rows);
    ensemble.addRawScores(x, rows, nFeatures, 1, source.length, out);
    assert.deepEqual(Array.from(out), Array.from(reference(source, x, rows, nFeatures, 1)), name);
  }
});

test('every fixture: the level walk equals Tree::Decision on random rows with missing and infinite values', () => {
  const root = join(fixturesDir, 'lightgbm');
  const rand = rng(77);
  let levelWalks = 0;
  const files = caseNames(root).flatMap((c) =>
    readdirSync(join(root, 'models', c))
      .filter((f) => /\.(txt|bst)$/.test(f))
      .map((f) => join(root, 'models', c, f)),
  );
  for (const name of files) {
    const model = parseLgbTextModel(readFileSync(name, 'utf8'));
    const ensemble = new LgbTreeEnsemble(model.trees);
    if (ensemble.levelWalkState()) levelWalks++;
    const nFeatures = model.maxFeatureIdx + 1;
    const k = model.numTreePerIteration;
    const iterations = model.trees.length / k;
    const thresholds = model.trees.flatMap((t) => Array.from(t.threshold));
    const rows = 1000 + 13;
    const x = new Float64Array(rows * nFeatures);
    for (let i = 0; i < x.length; i++) {
      const u = rand();
      const th = thresholds[Math.floor(rand() * thresholds.length)] ?? 0;
      x[i] =
        u < 0.15
          ? Number.NaN
          : u < 0.2
            ? (rand() < 0.5 ? 1 : -1) * Number.POSITIVE_INFINITY
            : u < 0.25
              ? 0
              : u < 0.5
                ? th
                : u < 0.7
                  ? th + (rand() - 0.5) * 1e-3
                  : (rand() - 0.5) * 2 * Math.max(1, Math.abs(th) * 3);
    }
    const got = new Float64Array(rows * k);
    const want = new Float64Array(rows * k);
    ensemble.addRawScores(x, rows, nFeatures, k, iterations, got);
    ensemble.addRawScoresTreeWalk(x, rows, nFeatures, k, iterations, want);
    assert.deepEqual(Array.from(got), Array.from(want), name);
  }
  // Fixtures of numerical splits take the level walk: the comparison above is not vacuous.
  assert.ok(levelWalks >= 8, `${levelWalks} fixtures with the level walk`);
});
