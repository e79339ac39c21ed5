// Every fixture model (trained and dumped by real scikit-learn, see scripts/fixtures/gen_sklearn.py) predicts
// what scikit-learn predicted, on every row, in every file format.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { assertAllClose, caseInput, isClassifier, modelDirs, predictedValues, readExpected } from './golden.js';

const root = join(fixturesDir, 'sklearn');

for (const dirName of modelDirs(root)) {
  const modelDir = join(root, 'models', dirName);
  const expected = readExpected(modelDir);
  const { inputs, options, rows } = caseInput(root, expected);

  describe(`${dirName} (${expected.estimator}, ${expected.format})`, () => {
    test('predict equals scikit-learn on every row', async (t) => {
      const model = await sklearnRuntime.load({ name: dirName, modelDir });
      const [output] = await model.predict(inputs, options);
      assert.ok(output);
      assert.equal(output.name, 'output-0');
      assert.equal(output.datatype, expected.output_datatype);
      assert.equal(output.shape[0], rows);
      const got = predictedValues(output);
      if (expected.output_datatype === 'FP64' && !isClassifier(expected)) {
        const worst = assertAllClose(got as number[], (expected.predict as unknown[]).flat() as number[], 'predict');
        t.diagnostic(`worst relative difference ${worst.toExponential(2)}`);
      } else {
        // labels exactly (a multilabel classifier's rows × labels indicator matrix, flattened)
        assert.deepEqual(got, expected.predict.flat());
      }
    });

    if (expected.predict_proba) {
      test('predict_proba (PREDICT_PROBA=true) equals scikit-learn', async (t) => {
        const model = await sklearnRuntime.load({ name: dirName, modelDir, env: { PREDICT_PROBA: 'TRUE' } });
        const [output] = await model.predict(inputs, options);
        assert.ok(output);
        const proba = expected.predict_proba!;
        assert.equal(output.datatype, 'FP64');
        assert.deepEqual(output.shape, [rows, proba[0]!.length]);
        const worst = assertAllClose(output.data as Float64Array, proba.flat(), 'predict_proba');
        t.diagnostic(`worst relative difference ${worst.toExponential(2)}`);
      });
    }
  });
}
