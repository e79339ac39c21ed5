// Every committed xgboost fixture, in every format it was saved in, predicts what xgboost 1.7 predicted.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { xgboostRuntime } from '../../../src/runtimes/xgboost/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { assertClose, caseNames, inputRows, matrixTensor, readExpected } from './golden.js';

const root = join(fixturesDir, 'xgboost');

test('the fixture set covers every objective and booster the issue lists', () => {
  const objectives = new Set(caseNames(root).map((n) => readExpected(root, n).objective));
  for (const o of [
    'reg:squarederror',
    'reg:logistic',
    'binary:logistic',
    'binary:logitraw',
    'multi:softprob',
    'multi:softmax',
    'count:poisson',
    'rank:pairwise',
  ]) {
    assert.ok(objectives.has(o), `a fixture trains ${o}`);
  }
  const boosters = new Set(caseNames(root).map((n) => readExpected(root, n).booster));
  assert.deepEqual([...boosters].sort(), ['dart', 'gblinear', 'gbtree']);
});

for (const name of caseNames(root)) {
  const expected = readExpected(root, name);
  test(`${name} matches xgboost ${expected.xgboost_version} in ${expected.formats.join(', ')}`, async () => {
    const input = matrixTensor(inputRows(root, expected));
    const env = expected.missing === null ? {} : { XGBOOST_MISSING: String(expected.missing) };
    for (const format of expected.formats) {
      const model = await xgboostRuntime.load({ name, modelDir: join(root, 'models', name, format), env });
      const [out] = await model.predict([input]);
      assert.equal(out!.name, 'output-0');
      assert.equal(out!.datatype, 'FP32');
      assert.deepEqual(out!.shape, expected.output_shape, `${format}: shape`);
      assertClose(out!.data as Float32Array, expected.predict, `${name}/${format}`);
      if (expected.iteration_range) {
        const [ranged] = await model.predict([input], { parameters: { iteration_range: expected.iteration_range } });
        assertClose(ranged!.data as Float32Array, expected.predict_iteration_range!, `${name}/${format} range`);
      }
    }
  });
}
