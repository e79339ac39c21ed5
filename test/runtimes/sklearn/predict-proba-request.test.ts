// Asking for probabilities per request (V2): `parameters: {"predict_proba": true}` keeps KServe's output name,
// MLServer's `outputs: [{"name": "predict_proba"}]` names the outputs after the methods. PREDICT_PROBA=true (env)
// stays the default either way.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Tensor } from '../../../src/runtimes/model.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { fixturesDir } from '../../helpers/paths.js';

const models = join(fixturesDir, 'sklearn', 'models');
const load = (dir: string, env?: Record<string, string>) =>
  sklearnRuntime.load({ name: dir, modelDir: join(models, dir), ...(env ? { env } : {}) });
const iris: Tensor = {
  name: 'input-0',
  datatype: 'FP64',
  shape: [2, 4],
  data: Float64Array.of(6.8, 2.8, 4.8, 1.4, 5.1, 3.5, 1.4, 0.2),
};

describe('per-request predict_proba', async () => {
  const model = await load('gb_clf_iris');
  const withEnv = await load('gb_clf_iris', { PREDICT_PROBA: 'true' });
  const [labels] = await model.predict([iris]);
  const [proba] = await withEnv.predict([iris]);

  test('parameters.predict_proba=true answers probabilities as output-0', async () => {
    for (const flag of [true, 'true', 'True']) {
      const [out] = await model.predict([iris], { parameters: { predict_proba: flag } });
      assert.deepEqual(out, proba);
    }
  });

  test('parameters.predict_proba=false answers labels even with PREDICT_PROBA=true', async () => {
    const [out] = await withEnv.predict([iris], { parameters: { predict_proba: false } });
    assert.deepEqual(out, labels);
  });

  test('MLServer-style outputs name the methods, in the order asked', async () => {
    const out = await model.predict([iris], { outputNames: ['predict_proba', 'predict'] });
    assert.deepEqual(
      out.map((t) => t.name),
      ['predict_proba', 'predict'],
    );
    assert.deepEqual(out[0]?.data, proba?.data);
    assert.deepEqual(out[1]?.data, labels?.data);
    const [named] = await model.predict([iris], { outputNames: ['output-0'] });
    assert.deepEqual(named, labels);
  });

  test('works for a pipeline whose first step takes DataFrame columns', async () => {
    const ct = await load('ct_mixed_logreg_frame');
    const frame: Tensor[] = [
      { name: 'age', datatype: 'FP64', shape: [1], data: Float64Array.of(30) },
      { name: 'fare', datatype: 'FP64', shape: [1], data: Float64Array.of(12) },
      { name: 'pclass', datatype: 'FP64', shape: [1], data: Float64Array.of(3) },
      { name: 'sex', datatype: 'BYTES', shape: [1], data: ['female'] },
      { name: 'embarked', datatype: 'BYTES', shape: [1], data: ['Q'] },
    ];
    const [out] = await ct.predict(frame, { parameters: { content_type: 'pd', predict_proba: true } });
    assert.deepEqual(out?.shape, [1, 2]);
    const sum = (out?.data as Float64Array)[0]! + (out?.data as Float64Array)[1]!;
    assert.ok(Math.abs(sum - 1) < 1e-12);
  });

  test('EXPECTED FAILURE - probabilities from a model without predict_proba', async () => {
    const svc = await load('svc_rbf_iris');
    await assert.rejects(async () => svc.predict([iris], { parameters: { predict_proba: true } }), {
      code: 'INVALID_INPUT',
      message: 'This SVC model has no predict_proba',
    });
    await assert.rejects(async () => svc.predict([iris], { outputNames: ['predict_proba'] }), {
      code: 'INVALID_INPUT',
    });
  });

  test('EXPECTED FAILURE - an output name that is not a method', async () => {
    await assert.rejects(async () => model.predict([iris], { outputNames: ['transform'] }), {
      code: 'INVALID_INPUT',
      message: "Output 'transform' is not available; this model offers 'predict', 'predict_proba'",
    });
  });
});
