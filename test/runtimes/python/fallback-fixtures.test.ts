// The Python fallback answers what scikit-learn answers, for every fallback fixture (its own file: one worker
// start per fixture makes it the slowest runtime test, and a file is the unit of node --test's timeout).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Model, Tensor } from '../../../src/runtimes/model.js';
import { PythonModel, withPythonFallback } from '../../../src/runtimes/python/index.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import {
  assertAllClose,
  caseInput,
  modelCases,
  modelDir,
  readExpected,
  requirePython,
  sklearnVersion,
} from './helpers.js';

// Native int64 labels are a BigInt64Array, the fallback's plain numbers: compared as numbers.
const valuesOf = (tensor: Tensor) =>
  Array.from(tensor.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));

async function withModel<T>(model: Model, use: (m: Model) => Promise<T>): Promise<T> {
  try {
    return await use(model);
  } finally {
    await model.unload?.();
  }
}

test('fallback predictions equal scikit-learn for every fixture (predict, predict_proba, datatype)', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  // preferPython: the Python path even for an estimator the native runtime has learned since.
  const runtime = withPythonFallback(sklearnRuntime, { python, preferPython: true });
  for (const name of modelCases()) {
    const dir = modelDir(name);
    const expected = readExpected(dir);
    if (expected.sklearn_version !== sklearnVersion()) t.diagnostic(`${name}: written by ${expected.sklearn_version}`);
    const { inputs, options } = caseInput(expected);
    await withModel(await runtime.load({ name, modelDir: dir }), async (model) => {
      assert.ok(model instanceof PythonModel, name);
      const [out] = await model.predict(inputs, options);
      assert.equal(out!.name, 'output-0');
      assert.equal(out!.datatype, expected.output_datatype, name);
      assert.equal(out!.shape[0], expected.predict.length, name);
      if (expected.is_classifier || expected.output_datatype !== 'FP64') {
        assert.deepEqual(valuesOf(out!), expected.predict, name);
      } else {
        assertAllClose(out!.data as Float64Array, expected.predict as number[], name);
      }
      if (expected.predict_proba) {
        const [proba] = await model.predict(inputs, {
          ...options,
          parameters: { ...options.parameters, predict_proba: true },
        });
        assert.equal(proba!.datatype, 'FP64');
        assert.deepEqual(proba!.shape, [expected.predict_proba.length, expected.predict_proba[0]!.length]);
        assertAllClose(proba!.data as Float64Array, expected.predict_proba.flat(), `${name} proba`);
      }
    });
  }
});
