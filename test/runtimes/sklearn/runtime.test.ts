// The sklearn RuntimeFactory as the model server uses it: finding the model file like KServe's sklearnserver,
// the demo model, PREDICT_PROBA, and metadata.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isInferdError } from '../../../src/errors.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { fixturesDir, repoRoot } from '../../helpers/paths.js';

const models = join(fixturesDir, 'sklearn', 'models');
const irisRows: Tensor = {
  name: 'input-0',
  datatype: 'FP64',
  shape: [2, 4],
  data: Float64Array.of(6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6),
};

describe('sklearnRuntime', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'inferd-sklearn-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('is the factory for modelFormat sklearn', () => {
    assert.equal(sklearnRuntime.name, 'sklearn');
    assert.deepEqual(sklearnRuntime.formats, ['sklearn']);
  });

  test("serves the demo model (KServe's iris SVC): [[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]] → [1,1]", async () => {
    const model = await sklearnRuntime.load({
      name: 'sklearn-iris',
      modelDir: join(repoRoot, 'models', 'sklearn-iris'),
    });
    assert.equal(model.name, 'sklearn-iris');
    assert.deepEqual(await model.predict([irisRows]), [
      { name: 'output-0', datatype: 'INT64', shape: [2], data: BigInt64Array.of(1n, 1n) },
    ]);
    assert.deepEqual(model.metadata(), { platform: '', inputs: [], outputs: [] });
  });

  test('accepts a path to the model file itself', async () => {
    const model = await sklearnRuntime.load({ name: 'm', modelDir: join(models, 'svc_rbf_iris', 'model.joblib') });
    assert.deepEqual((await model.predict([irisRows]))[0]?.data, BigInt64Array.of(1n, 1n));
  });

  test('finds .pkl and .pickle files too', async () => {
    for (const dir of ['svc_rbf_iris-p2', 'svc_rbf_iris-p5']) {
      const model = await sklearnRuntime.load({ name: dir, modelDir: join(models, dir) });
      assert.deepEqual((await model.predict([irisRows]))[0]?.data, BigInt64Array.of(1n, 1n));
    }
  });

  test('EXPECTED FAILURE - no model file: ModelMissing, naming the directory and the extensions', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(join(empty, 'model.pkl'), { recursive: true }); // a directory with a model-like name does not count
    await assert.rejects(sklearnRuntime.load({ name: 'm', modelDir: empty }), (err: unknown) => {
      assert.ok(isInferdError(err));
      assert.equal(err.code, 'MODEL_LOAD_FAILED');
      assert.equal(err.details.reason, 'ModelMissing');
      assert.equal(err.message, `no model found in ${empty}: expected a file ending in .joblib, .pkl, .pickle`);
      return true;
    });
    await assert.rejects(sklearnRuntime.load({ name: 'm', modelDir: join(scratch, 'nope') }), (err: unknown) => {
      assert.ok(isInferdError(err));
      assert.equal(err.details.reason, 'ModelMissing');
      assert.equal(err.message, `model directory ${join(scratch, 'nope')} does not exist`);
      return true;
    });
  });

  test('EXPECTED FAILURE - more than one model file', async () => {
    const two = join(scratch, 'two');
    mkdirSync(two);
    copyFileSync(join(models, 'svc_rbf_iris', 'model.joblib'), join(two, 'a.joblib'));
    copyFileSync(join(models, 'svc_rbf_iris-p2', 'model.pkl'), join(two, 'b.pkl'));
    await assert.rejects(sklearnRuntime.load({ name: 'm', modelDir: two }), {
      code: 'MODEL_LOAD_FAILED',
      message: /^More than one model file is detected, Only one is allowed within model_dir: .*a\.joblib, .*b\.pkl$/,
    });
  });

  test('PREDICT_PROBA=true switches to predict_proba where the model has it', async () => {
    const proba = await sklearnRuntime.load({
      name: 'm',
      modelDir: join(models, 'svc_proba_iris'),
      env: { PREDICT_PROBA: 'True' },
    });
    const [out] = await proba.predict([irisRows]);
    assert.equal(out?.datatype, 'FP64');
    assert.deepEqual(out?.shape, [2, 3]);
  });

  test('PREDICT_PROBA=true on a model without predict_proba (SVC(probability=False)) still predicts', async () => {
    const model = await sklearnRuntime.load({
      name: 'm',
      modelDir: join(models, 'svc_rbf_iris'),
      env: { PREDICT_PROBA: 'true' },
    });
    assert.deepEqual((await model.predict([irisRows]))[0]?.data, BigInt64Array.of(1n, 1n));
  });

  test('string class labels come back as BYTES', async () => {
    const model = await sklearnRuntime.load({ name: 'm', modelDir: join(models, 'svc_strings_iris') });
    assert.deepEqual(await model.predict([irisRows]), [
      { name: 'output-0', datatype: 'BYTES', shape: [2], data: ['versicolor', 'versicolor'] },
    ]);
  });
});
