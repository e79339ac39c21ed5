// Before/after of the tree walks on the heavy bench's XGBoost ensemble, interleaved in one process so that the
// shared machine's noise hits both alike: an ensemble with one extra categorical tree takes the previous,
// row-by-row walk (xgboost) or the general Tree::Decision walk (LightGBM); the same trees alone take the level
// walk. `node dist/bench/kernel-ab.js MODELS_DIR [ROUNDS]` prints the medians.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LgbTree } from '../src/runtimes/lightgbm/lgb-text-model.js';
import { LgbTreeEnsemble } from '../src/runtimes/lightgbm/lgb-tree-ensemble.js';
import { boosterFromBytes } from '../src/runtimes/xgboost/load-booster.js';
import { TreeEnsemble } from '../src/runtimes/xgboost/tree-ensemble.js';
import type { XgbTree } from '../src/runtimes/xgboost/xgb-booster.js';
import { HEAVY_FEATURES, HEAVY_ROWS, lgbTreeOf, readBatch } from './kernels.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node dist/bench/kernel-ab.js MODELS_DIR [ROUNDS]\n');
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 30);
const x = readBatch(dir);
const x64 = Float64Array.from(x);
const rows = HEAVY_ROWS;
const booster = await boosterFromBytes(readFileSync(join(dir, 'xgboost', 'model.bst')));
const trees = booster.trees;
// One split on feature 0, categorical: it turns the level walk off for the whole ensemble.
const catTree: XgbTree = {
  left: [1, -1, -1],
  right: [2, -1, -1],
  splitIndex: [0, 0, 0],
  splitCondition: [0, 0, 0],
  defaultLeft: [0, 0, 0],
  categories: new Map([[0, [1]]]),
};
const lgbCat: LgbTree = {
  ...lgbTreeOf(catTree),
  decisionType: Uint8Array.of(1),
  catBoundaries: Int32Array.of(0, 1),
  catThreshold: Uint32Array.of(2),
  numCat: 1,
};
lgbCat.threshold[0] = 0;
const groups = (n: number) => new Int32Array(n);
const xgbNew = new TreeEnsemble(trees, groups(trees.length), null);
const xgbOld = new TreeEnsemble([...trees, catTree], groups(trees.length + 1), null);
const lgbTrees = trees.map(lgbTreeOf);
const lgbNew = new LgbTreeEnsemble(lgbTrees);
const lgbOld = new LgbTreeEnsemble([...lgbTrees, lgbCat]);
const n = trees.length;
const cases: Record<string, () => void> = {
  'xgboost level walk': () => xgbNew.addMargins(x, rows, HEAVY_FEATURES, 1, 0, n, new Float32Array(rows)),
  'xgboost row walk (before)': () => xgbOld.addMargins(x, rows, HEAVY_FEATURES, 1, 0, n, new Float32Array(rows)),
  'lightgbm level walk': () => lgbNew.addRawScores(x64, rows, HEAVY_FEATURES, 1, n, new Float64Array(rows)),
  'lightgbm Tree::Decision walk (before)': () =>
    lgbOld.addRawScores(x64, rows, HEAVY_FEATURES, 1, n, new Float64Array(rows)),
};
const times: Record<string, number[]> = {};
for (const k of Object.keys(cases)) times[k] = [];
for (let r = 0; r < rounds + 2; r++) {
  for (const [k, fn] of Object.entries(cases)) {
    const t0 = performance.now();
    fn();
    if (r >= 2) times[k]!.push(performance.now() - t0);
  }
}
for (const [k, ts] of Object.entries(times)) {
  ts.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({ kernel: k, median_ms: Math.round(ts[(ts.length - 1) >> 1]! * 100) / 100, runs: ts.length })}\n`,
  );
}
