// GradientBoosting's stage walk (node records, 8 rows at once, level by level; see gradient-boosting.ts) adds
// exactly what each tree's own root-to-leaf walk adds, in the same order: every gradient-boosting fixture on
// random rows with values on its thresholds, next to them, NaN and ±Infinity, and trees deeper than the level
// walk's bound (walked row by row).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  addStages,
  addStagesTreeWalk,
  type StagesState,
  stageWalk,
} from '../../../src/runtimes/sklearn/estimators/gradient-boosting.js';
import { FlatTree, type FlatTreeState } from '../../../src/runtimes/sklearn/estimators/tree.js';
import { estimatorFromBytes } from '../../../src/runtimes/sklearn/load-estimator.js';
import { fixturesDir } from '../../helpers/paths.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

/** Random float32 rows: thresholds (ties), values next to them, far off, NaN, ±Infinity. */
function randomRows(rand: () => number, rows: number, nFeatures: number, thresholds: number[]): Float32Array {
  const x = new Float32Array(rows * nFeatures);
  for (let i = 0; i < x.length; i++) {
    const u = rand();
    const th = thresholds[Math.floor(rand() * thresholds.length)] ?? 0;
    x[i] =
      u < 0.1
        ? Number.NaN
        : u < 0.15
          ? (rand() < 0.5 ? 1 : -1) * Number.POSITIVE_INFINITY
          : u < 0.45
            ? th
            : u < 0.7
              ? th + (rand() - 0.5) * 1e-3
              : (rand() - 0.5) * 2 * Math.max(1, Math.abs(th) * 3);
  }
  return x;
}

function assertSameSums(
  trees: FlatTree[],
  nStages: number,
  k: number,
  nFeatures: number,
  x: Float32Array,
  rows: number,
  what: string,
): void {
  const walk = stageWalk(trees);
  const got = new Float64Array(rows * k).fill(0.25);
  const want = new Float64Array(rows * k).fill(0.25);
  addStages(walk, nStages, k, 0.1, nFeatures, x, rows, got);
  addStagesTreeWalk(trees, nStages, k, 0.1, nFeatures, x, rows, want);
  assert.deepEqual(Array.from(got), Array.from(want), what);
}

test('every gradient-boosting fixture: the stage walk equals each tree walked on its own', async () => {
  const root = join(fixturesDir, 'sklearn', 'models');
  const rand = rng(31);
  const names = readdirSync(root).filter((n) => n.startsWith('gb_'));
  assert.ok(names.length >= 6, names.join(', '));
  for (const name of names) {
    const file = readdirSync(join(root, name)).find((f) => f.startsWith('model.'))!;
    const est = await estimatorFromBytes(readFileSync(join(root, name, file)), file);
    const state = est.rowParallel!.kernelSpec().state as StagesState;
    const trees = state.trees.map((s) => new FlatTree(s, state.nFeatures));
    const thresholds = state.trees.flatMap((t) => Array.from(t.threshold).filter((_, i) => t.left[i] !== -1));
    for (const rows of [1, 7, 8, 300 + 13]) {
      const x = randomRows(rand, rows, state.nFeatures, thresholds);
      assertSameSums(trees, state.nStages, state.k, state.nFeatures, x, rows, `${name}, ${rows} rows`);
    }
  }
});

/** A random sklearn tree (children numbered after their parent, depth-first) as a FlatTree. */
function randomTree(rand: () => number, maxDepth: number, nFeatures: number): FlatTree {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const threshold: number[] = [];
  const values: number[] = [];
  let depth = 0;
  const grow = (d: number): number => {
    const i = left.length;
    left.push(-1);
    right.push(-1);
    feature.push(-2);
    threshold.push(-2);
    values.push(rand() * 2 - 1);
    if (d > depth) depth = d;
    if (d === maxDepth || (d > 0 && rand() < 0.2)) return i;
    feature[i] = Math.floor(rand() * nFeatures);
    threshold[i] = Math.round(rand() * 40 - 20) / 10;
    left[i] = grow(d + 1);
    right[i] = grow(d + 1);
    return i;
  };
  grow(0);
  const state: FlatTreeState = {
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    values: Float64Array.from(values),
    nOutputs: 1,
    maxClasses: 1,
    depth,
    child: new Int32Array(0),
    walkFeature: new Int32Array(0),
  };
  return new FlatTree(state, nFeatures);
}

test('random trees, shallow and past the level walk bound, several outputs per stage', () => {
  const rand = rng(5);
  const nFeatures = 6;
  for (const [maxDepth, k] of [
    [4, 1],
    [7, 3],
    [26, 1],
  ] as const) {
    const nStages = 15;
    const trees = Array.from({ length: nStages * k }, () => randomTree(rand, maxDepth, nFeatures));
    const grid = Array.from({ length: 41 }, (_, i) => (i - 20) / 10);
    for (const rows of [5, 64, 517]) {
      const x = randomRows(rand, rows, nFeatures, grid);
      assertSameSums(trees, nStages, k, nFeatures, x, rows, `depth ≤ ${maxDepth}, k ${k}, ${rows} rows`);
    }
  }
});
