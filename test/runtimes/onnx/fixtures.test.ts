// Every ONNX fixture (scripts/fixtures/gen_onnx.py) through the runtime: metadata equals the model's declared
// inputs/outputs, and each request gives the outputs numpy or scikit-learn computed (see golden.ts for bounds).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Model } from '../../../src/runtimes/model.js';
import { onnxRuntime } from '../../../src/runtimes/onnx/index.js';
import { assertTensorEqual, fixtureDir, fixtureNames, readExpected, toTensor } from './golden.js';

const EXPECTED_FIXTURES = [
  'fixed',
  'fp16',
  'int_bool',
  'mlp',
  'sklearn_linear',
  'sklearn_logistic',
  'strings',
  'two_io',
  'zipmap',
];

test('the fixture set is complete (regenerate with scripts/fixtures/gen_onnx.py)', () => {
  assert.deepEqual(fixtureNames(), EXPECTED_FIXTURES);
});

for (const name of EXPECTED_FIXTURES) {
  const expected = readExpected(name);
  describe(`${name}: ${expected.note}`, () => {
    let model: Model;
    before(async () => {
      model = await onnxRuntime.load({ name, modelDir: fixtureDir(name) });
    });
    after(() => model.unload?.());

    test('metadata reports the model inputs and outputs with V2 datatypes and -1 for dynamic dims', () => {
      assert.deepEqual(model.metadata(), {
        platform: 'onnxruntime_onnx',
        inputs: expected.inputs,
        outputs: expected.outputs,
      });
    });

    for (const c of expected.cases) {
      test(`${c.name}: outputs equal the expectation`, async () => {
        const outputNames = c.select_outputs ? c.outputs.map((t) => t.name) : [];
        const got = await model.predict(c.inputs.map(toTensor), { outputNames });
        assert.deepEqual(
          got.map((t) => t.name),
          c.outputs.map((t) => t.name),
        );
        for (const [i, want] of c.outputs.entries()) {
          assertTensorEqual(got[i]!, want, expected.tolerance ?? 0, c.name);
        }
      });
    }
  });
}
