// Large batches split across threads (runtimes/intra-op): every xgboost fixture (categorical splits, DART, several
// classes, missing values, iteration ranges) gives bit for bit what the single-thread call gives on a batch
// of many blocks; a batch under the row threshold stays on the calling thread (a plain array, no pool call).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedPool } from '../../../src/runtimes/intra-op/settings.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { xgboostRuntime } from '../../../src/runtimes/xgboost/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { caseNames, inputRows, matrixTensor, readExpected } from './golden.js';

const root = join(fixturesDir, 'xgboost');
const THREADS = 3; // two workers and the caller, whatever the machine has

/** The fixture's rows repeated to at least `n` rows (many 64-row blocks, a ragged last one). */
function tiled(rows: (number | null)[][], n: number): (number | null)[][] {
  const out: (number | null)[][] = [];
  for (let i = 0; out.length < n; i++) out.push(rows[i % rows.length]!);
  return out;
}

test('every fixture predicts the same bits split across threads as on one thread', async () => {
  const pool = await sharedPool(THREADS);
  const blocksBefore = pool.stats.callerBlocks + pool.stats.workerBlocks;
  for (const name of caseNames(root)) {
    const expected = readExpected(root, name);
    const input = matrixTensor(tiled(inputRows(root, expected), 1000 + 37));
    const env: Record<string, string> = expected.missing === null ? {} : { XGBOOST_MISSING: String(expected.missing) };
    const dir = join(root, 'models', name, expected.formats[0]!);
    const single = await xgboostRuntime.load({ name, modelDir: dir, env });
    const split = await xgboostRuntime.load({
      name,
      modelDir: dir,
      env: { ...env, INFERD_INTRA_OP_THREADS: String(THREADS), INFERD_INTRA_OP_MIN_ROWS: '1' },
    });
    const options = expected.iteration_range
      ? [{}, { parameters: { iteration_range: expected.iteration_range } }]
      : [{}];
    for (const opts of options) {
      const jobs = pool.stats.jobs;
      const one = single.predict([input], opts) as Tensor[];
      assert.ok(Array.isArray(one), 'one thread answers synchronously');
      const pending = split.predict([input], opts);
      const isGbtree = expected.booster !== 'gblinear';
      assert.equal(pending instanceof Promise, isGbtree, `${name}: split only for trees`);
      const many = await pending;
      assert.equal(pool.stats.jobs, jobs + (isGbtree ? 1 : 0), name);
      assert.deepEqual(many[0]!.shape, one[0]!.shape, name);
      assert.deepEqual(Array.from(many[0]!.data as Float32Array), Array.from(one[0]!.data as Float32Array), name);
    }
    split.unload?.();
  }
  // Which thread claims a block depends on scheduling (under load the caller can claim them all before a worker
  // wakes): the pool's own tests check that workers compute blocks; here, that the calls ran as blocks.
  assert.ok(pool.stats.callerBlocks + pool.stats.workerBlocks - blocksBefore > 0, 'the split calls ran in blocks');
});

test('under the row threshold a call stays on the calling thread; at it, it is split', async () => {
  const name = 'multi_softprob_iris';
  const expected = readExpected(root, name);
  const model = await xgboostRuntime.load({
    name,
    modelDir: join(root, 'models', name, expected.formats[0]!),
    env: { INFERD_INTRA_OP_THREADS: '2', INFERD_INTRA_OP_MIN_ROWS: '300' },
  });
  const pool = await sharedPool(2);
  const rows = inputRows(root, expected);
  const jobs = pool.stats.jobs;
  const small = model.predict([matrixTensor(tiled(rows, 299))]);
  assert.ok(Array.isArray(small), '299 rows: a plain array, no thread hop');
  assert.equal(pool.stats.jobs, jobs);
  const big = model.predict([matrixTensor(tiled(rows, 300))]);
  assert.ok(big instanceof Promise, '300 rows: split');
  await big;
  assert.equal(pool.stats.jobs, jobs + 1);
  // Without a row threshold set, a small model's large batch is not worth a hop (rows × steps under the floor).
  const defaults = await xgboostRuntime.load({
    name,
    modelDir: join(root, 'models', name, expected.formats[0]!),
    env: { INFERD_INTRA_OP_THREADS: '2' },
  });
  assert.ok(Array.isArray(defaults.predict([matrixTensor(tiled(rows, 1000))])));
  model.unload?.();
  defaults.unload?.();
});
