// The level-by-level tree walk (8 rows at once over node records, leaves looping on themselves, missing values
// read from an expanded copy of the rows) lands every row on the leaf the plain root-to-leaf walk finds: random
// numeric trees of every depth (past the level walk's bound too), missing values both ways, infinite values and
// thresholds, several output groups, DART weights, row counts that are not multiples of 8 or of a block, and
// every fixture model on random rows.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadBoosterFile } from '../../../src/runtimes/xgboost/load-booster.js';
import { TreeEnsemble } from '../../../src/runtimes/xgboost/tree-ensemble.js';
import { outputGroups, type XgbTree } from '../../../src/runtimes/xgboost/xgb-booster.js';
import { fixturesDir } from '../../helpers/paths.js';
import { caseNames, readExpected } from './golden.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

/** A random tree in xgboost's own numbering (depth-first here, as the parsers may hand it over). */
function randomTree(rand: () => number, maxDepth: number, nFeatures: number, fullDepth: boolean): XgbTree {
  const left: number[] = [];
  const right: number[] = [];
  const splitIndex: number[] = [];
  const splitCondition: number[] = [];
  const defaultLeft: number[] = [];
  const grow = (depth: number): number => {
    const i = left.length;
    left.push(-1);
    right.push(-1);
    splitIndex.push(0);
    defaultLeft.push(0);
    const leaf = depth === maxDepth || (!fullDepth && depth > 0 && rand() < 0.25);
    splitCondition.push(Math.fround(leaf ? rand() * 2 - 1 : Math.round(rand() * 40 - 20) / 10));
    if (leaf) return i;
    splitIndex[i] = Math.floor(rand() * nFeatures);
    defaultLeft[i] = rand() < 0.5 ? 1 : 0;
    const l = grow(depth + 1);
    const r = grow(depth + 1);
    left[i] = l;
    right[i] = r;
    return i;
  };
  grow(0);
  return { left, right, splitIndex, splitCondition, defaultLeft, categories: new Map() };
}

/** xgboost's walk, row by row: x < threshold goes left, NaN takes the default side. */
function referenceMargins(
  trees: XgbTree[],
  groups: number[],
  weights: number[] | null,
  x: Float32Array,
  rows: number,
  nFeatures: number,
  nGroups: number,
): Float32Array {
  const out = new Float32Array(rows * nGroups);
  for (let r = 0; r < rows; r++) {
    trees.forEach((t, ti) => {
      let n = 0;
      while (t.left[n] !== -1) {
        const v = x[r * nFeatures + t.splitIndex[n]!]!;
        if (Number.isNaN(v)) n = t.defaultLeft[n] ? t.left[n]! : t.right[n]!;
        else n = v < t.splitCondition[n]! ? t.left[n]! : t.right[n]!;
      }
      const leaf = t.splitCondition[n]!;
      out[r * nGroups + groups[ti]!]! += weights ? Math.fround(leaf * weights[ti]!) : leaf;
    });
  }
  return out;
}

for (const { name, maxDepth, fullDepth, nGroups, dart } of [
  { name: 'full depth-6 trees, one group', maxDepth: 6, fullDepth: true, nGroups: 1, dart: false },
  { name: 'ragged depth-9 trees, three groups', maxDepth: 9, fullDepth: false, nGroups: 3, dart: false },
  {
    name: 'ragged trees deeper than the level walk bound (24)',
    maxDepth: 24,
    fullDepth: false,
    nGroups: 1,
    dart: false,
  },
  { name: 'DART weights', maxDepth: 5, fullDepth: false, nGroups: 2, dart: true },
]) {
  test(`level walk equals the row-by-row walk: ${name}`, () => {
    const rand = rng(maxDepth * 131 + nGroups);
    const nFeatures = 7;
    const nTrees = 30;
    const trees = Array.from({ length: nTrees }, () => randomTree(rand, maxDepth, nFeatures, fullDepth));
    const groups = trees.map((_, i) => i % nGroups);
    const weights = dart ? trees.map(() => Math.fround(rand() * 2)) : null; // DART weights are float32
    const ensemble = new TreeEnsemble(trees, groups, weights);
    for (const rows of [1, 3, 4, 67, 130]) {
      const x = new Float32Array(rows * nFeatures);
      for (let i = 0; i < x.length; i++) {
        const u = rand();
        // Values on the thresholds' grid hit ties; some are missing.
        x[i] = u < 0.1 ? Number.NaN : u < 0.4 ? Math.round(rand() * 40 - 20) / 10 : rand() * 4 - 2;
      }
      const out = new Float32Array(rows * nGroups);
      ensemble.addMargins(x, rows, nFeatures, nGroups, 0, nTrees, out);
      const want = referenceMargins(trees, groups, weights, x, rows, nFeatures, nGroups);
      assert.deepEqual(Array.from(out), Array.from(want), `${rows} rows`);
      // A tree range (iteration_range) adds only those trees.
      const part = new Float32Array(rows * nGroups);
      ensemble.addMargins(x, rows, nFeatures, nGroups, 5, 11, part);
      const wantPart = referenceMargins(
        trees.slice(5, 11),
        groups.slice(5, 11),
        weights ? weights.slice(5, 11) : null,
        x,
        rows,
        nFeatures,
        nGroups,
      );
      assert.deepEqual(Array.from(part), Array.from(wantPart), `${rows} rows, trees [5, 11)`);
    }
  });
}

test('infinite inputs and thresholds: the level walk still equals the row walk, or the ensemble keeps the row walk', () => {
  const rand = rng(2027);
  const nFeatures = 5;
  const trees = Array.from({ length: 12 }, () => randomTree(rand, 5, nFeatures, false));
  // A threshold of +Infinity is kept by the level walk (a NaN read as +Infinity passes it: right, as asked).
  (trees[3]!.splitCondition as number[])[0] = Number.POSITIVE_INFINITY;
  (trees[3]!.defaultLeft as number[])[0] = 0;
  const withPlusInf = new TreeEnsemble(trees, new Int32Array(trees.length), null);
  assert.notEqual(withPlusInf.state().node, null, '+Infinity thresholds keep the level walk');
  // -Infinity (or NaN) would turn a missing value read as -Infinity to the right: such an ensemble walks rows.
  const minusInf = trees.map((t) => ({ ...t, splitCondition: Array.from(t.splitCondition) }));
  minusInf[7]!.splitCondition[0] = Number.NEGATIVE_INFINITY;
  const withMinusInf = new TreeEnsemble(minusInf, new Int32Array(trees.length), null);
  assert.equal(withMinusInf.state().node, null, 'a -Infinity threshold: no level walk');
  for (const [name, ensemble, source] of [
    ['+Infinity threshold', withPlusInf, trees],
    ['-Infinity threshold', withMinusInf, minusInf],
  ] as const) {
    const rows = 203;
    const x = new Float32Array(rows * nFeatures);
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];
    for (let i = 0; i < x.length; i++) {
      const u = rand();
      x[i] = u < 0.3 ? specials[Math.floor(rand() * specials.length)]! : Math.round(rand() * 40 - 20) / 10;
    }
    const out = new Float32Array(rows);
    ensemble.addMargins(x, rows, nFeatures, 1, 0, source.length, out);
    const want = referenceMargins(source, new Array(source.length).fill(0), null, x, rows, nFeatures, 1);
    assert.deepEqual(Array.from(out), Array.from(want), name);
  }
});

test('every fixture: the level walk equals the row-by-row walk on random rows with missing and infinite values', async () => {
  const root = join(fixturesDir, 'xgboost');
  const rand = rng(99);
  let levelWalks = 0;
  for (const name of caseNames(root)) {
    const expected = readExpected(root, name);
    if (expected.booster === 'gblinear') continue;
    const b = await loadBoosterFile(join(root, 'models', name, expected.formats[0]!, `model.${expected.formats[0]}`));
    const groups = outputGroups(b);
    const ensemble = new TreeEnsemble(b.trees, b.treeInfo, b.booster === 'dart' ? b.weightDrop : null);
    if (ensemble.state().node) levelWalks++;
    // Values drawn from the model's own thresholds (ties), next to them, far off, missing or infinite.
    const thresholds = b.trees.flatMap((t) => Array.from(t.splitCondition).filter((_, i) => t.left[i] !== -1));
    const rows = 1000 + 13;
    const x = new Float32Array(rows * b.numFeature);
    for (let i = 0; i < x.length; i++) {
      const u = rand();
      const th = thresholds[Math.floor(rand() * thresholds.length)] ?? 0;
      x[i] =
        u < 0.15
          ? Number.NaN
          : u < 0.2
            ? (rand() < 0.5 ? 1 : -1) * Number.POSITIVE_INFINITY
            : u < 0.5
              ? th
              : u < 0.7
                ? th + (rand() - 0.5) * 1e-3
                : (rand() - 0.5) * 2 * Math.max(1, Math.abs(th) * 3);
    }
    const got = new Float32Array(rows * groups);
    const want = new Float32Array(rows * groups);
    ensemble.addMargins(x, rows, b.numFeature, groups, 0, ensemble.numTrees, got);
    ensemble.addMarginsRowWalk(x, rows, b.numFeature, groups, 0, ensemble.numTrees, want);
    assert.deepEqual(Array.from(got), Array.from(want), name);
  }
  // Every fixture without categorical splits takes the level walk: the comparison above is not vacuous.
  assert.ok(levelWalks >= 20, `${levelWalks} fixtures with the level walk`);
});
