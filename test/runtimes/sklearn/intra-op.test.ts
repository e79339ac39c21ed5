// Large batches of forests, gradient boosting and MLPs split across threads (runtimes/intra-op): every such fixture
// (classifiers and regressors, binary, multi-class, exponential loss, zero init, string labels) answers
// predict and predict_proba with exactly what the single-thread call gives, on a batch of many blocks. MLPs are
// held on the TypeScript kernel here (their large batches go to onnxruntime otherwise: ort-kernel.test.ts); that
// kernel's split is what a replica uses where onnxruntime cannot load.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedPool } from '../../../src/runtimes/intra-op/settings.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { type SklearnModel, sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { caseInput, modelDirs, readExpected } from './golden.js';

const root = join(fixturesDir, 'sklearn');
const THREADS = 3;
/** Keeps MLP batches off onnxruntime, on the kernel this test is about. */
const NO_ORT = { INFERD_SKLEARN_ORT_MIN_ROWS: String(1e9) };

/** The case's matrix repeated to `n` rows. */
function tiled(t: Tensor, n: number): Tensor {
  const [rows, cols] = t.shape as [number, number];
  const src = t.data as Float64Array;
  const data = new Float64Array(n * cols);
  for (let r = 0; r < n; r++) data.set(src.subarray((r % rows) * cols, ((r % rows) + 1) * cols), r * cols);
  return { ...t, shape: [n, cols], data };
}

test('forests, gradient boosting and MLPs predict the same values split across threads as on one thread', async () => {
  const pool = await sharedPool(THREADS);
  const blocksBefore = pool.stats.callerBlocks + pool.stats.workerBlocks;
  const covered: string[] = [];
  for (const dirName of modelDirs(root)) {
    const modelDir = join(root, 'models', dirName);
    const expected = readExpected(modelDir);
    const single = (await sklearnRuntime.load({ name: dirName, modelDir, env: NO_ORT })) as SklearnModel;
    if (!single.estimator.rowParallel) continue;
    const { inputs, options } = caseInput(root, expected);
    assert.equal(inputs.length, 1, `${dirName}: a matrix input`);
    const input = tiled(inputs[0]!, 1000 + 13);
    const split = await sklearnRuntime.load({
      name: dirName,
      modelDir,
      env: { INFERD_INTRA_OP_THREADS: String(THREADS), INFERD_INTRA_OP_MIN_ROWS: '1', ...NO_ORT },
    });
    const methods = single.estimator.predictProba ? ['predict', 'predict_proba'] : ['predict'];
    for (const method of methods) {
      const opts = { ...options, outputNames: [method] };
      const one = single.predict([input], opts) as Tensor[];
      assert.ok(Array.isArray(one), 'one thread answers synchronously');
      const jobs = pool.stats.jobs;
      const pending = split.predict([input], opts);
      assert.ok(pending instanceof Promise, `${dirName}: split`);
      const many = await pending;
      assert.equal(pool.stats.jobs, jobs + 1);
      assert.deepEqual(many[0]!.shape, one[0]!.shape, `${dirName} ${method}`);
      assert.equal(many[0]!.datatype, one[0]!.datatype, `${dirName} ${method}`);
      assert.deepEqual(
        Array.from(many[0]!.data as ArrayLike<unknown>),
        Array.from(one[0]!.data as ArrayLike<unknown>),
        `${dirName} ${method}`,
      );
    }
    await split.unload?.();
    await single.unload?.();
    covered.push(expected.estimator);
  }
  for (const cls of [
    'RandomForestClassifier',
    'RandomForestRegressor',
    'ExtraTreesClassifier',
    'GradientBoostingClassifier',
    'GradientBoostingRegressor',
    'MLPClassifier',
    'MLPRegressor',
  ]) {
    assert.ok(
      covered.some((c) => c.endsWith(cls)),
      `a fixture covers ${cls}: ${covered.join(', ')}`,
    );
  }
  // Which thread claims a block depends on scheduling (under load the caller can claim them all before a worker
  // wakes): the pool's own tests check that workers compute blocks; here, that the calls ran as blocks.
  assert.ok(pool.stats.callerBlocks + pool.stats.workerBlocks - blocksBefore > 0, 'the split calls ran in blocks');
});
