// Large batches of LightGBM ensembles with the level walk split across threads (runtimes/intra-op): the same
// scores, bit for bit, as the single-thread call on a batch of many blocks; ensembles without the level walk
// (categorical splits, missing type Zero, linear trees) stay on the calling thread.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { lgbTreeOf } from '../../../bench/kernels.js';
import { sharedArray, sharedFrom } from '../../../src/runtimes/intra-op/kernel.js';
import { IntraOpPool } from '../../../src/runtimes/intra-op/pool.js';
import { sharedPool } from '../../../src/runtimes/intra-op/settings.js';
import { lightgbmRuntime } from '../../../src/runtimes/lightgbm/index.js';
import { LgbTreeEnsemble } from '../../../src/runtimes/lightgbm/lgb-tree-ensemble.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { loadBoosterFile } from '../../../src/runtimes/xgboost/load-booster.js';
import { fixturesDir } from '../../helpers/paths.js';
import { caseNames, type Expected, matrix, readJson } from './golden.js';

const root = join(fixturesDir, 'lightgbm');
const THREADS = 3;

test('level-walk ensembles give the same scores split across threads; the others stay on the caller', async () => {
  const pool = await sharedPool(THREADS);
  const split: string[] = [];
  const stayed: string[] = [];
  for (const name of caseNames(root).filter((n) => n !== 'hand_checked_stumps')) {
    const dir = join(root, 'models', name);
    const expected = readJson<Expected>(join(dir, 'expected.json'));
    const rows: (number | null)[][] = [];
    for (let i = 0; rows.length < 1000 + 5; i++) rows.push(expected.rows[i % expected.rows.length]!);
    const { tensor } = matrix(rows);
    const single = await lightgbmRuntime.load({ name, modelDir: dir });
    const many = await lightgbmRuntime.load({
      name,
      modelDir: dir,
      env: { INFERD_INTRA_OP_THREADS: String(THREADS), INFERD_INTRA_OP_MIN_ROWS: '1' },
    });
    const one = single.predict([tensor]) as Tensor[];
    const jobs = pool.stats.jobs;
    const pending = many.predict([tensor]);
    if (pending instanceof Promise) split.push(name);
    else stayed.push(name);
    const got = await pending;
    assert.equal(pool.stats.jobs, jobs + (pending instanceof Promise ? 1 : 0));
    assert.deepEqual(got[0]!.shape, one[0]!.shape, name);
    assert.deepEqual(Array.from(got[0]!.data as Float64Array), Array.from(one[0]!.data as Float64Array), name);
    many.unload?.();
  }
  assert.ok(split.includes('leaves_rf_iris') && split.includes('single_leaf_trees'), split.join(', '));
  assert.ok(stayed.includes('linear_tree') && stayed.includes('binary_categorical'), stayed.join(', '));
});

test('a deeper numeric ensemble (xgboost fixture trees as LightGBM trees): the level walk split across workers', async (t) => {
  const booster = await loadBoosterFile(
    join(fixturesDir, 'xgboost', 'models', 'multi_softprob_iris', 'json', 'model.json'),
  );
  const ensemble = new LgbTreeEnsemble(booster.trees.map(lgbTreeOf));
  const state = ensemble.levelWalkState();
  assert.ok(state, 'numeric trees have the level walk');
  const k = 3;
  const iterations = booster.trees.length / k;
  const rows = 1000 + 7;
  const x = sharedArray(Float64Array, rows * 4);
  for (let i = 0; i < x.length; i++) x[i] = i % 13 === 0 ? Number.NaN : ((i * 7919) % 80) / 10;
  const one = new Float64Array(rows * k);
  ensemble.addRawScores(x, rows, 4, k, iterations, one);
  const pool = new IntraOpPool({ threads: 2, callerRuns: false });
  t.after(() => pool.close());
  const h = await pool.register({
    module: new URL('../../../src/runtimes/lightgbm/lgb-tree-ensemble.js', import.meta.url).href,
    exportName: 'lgbLevelWalkKernel',
    state,
  });
  const out = sharedArray(Float64Array, rows * k);
  await pool.run(
    h,
    { arrays: { x: sharedFrom(Float64Array, x), out }, params: { nFeatures: 4, k, iterations } },
    rows,
    64,
  );
  assert.deepEqual(Array.from(out), Array.from(one));
  assert.equal(pool.stats.workerBlocks, Math.ceil(rows / 64));
});
