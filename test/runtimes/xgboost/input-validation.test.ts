// What the xgboost runtime accepts as input and what it refuses with INVALID_INPUT (a client's mistake, 400):
// rank, feature count, datatypes, infinities; and the per-request `missing` / `iteration_range` parameters.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import type { Model, Tensor } from '../../../src/runtimes/model.js';
import { xgboostRuntime } from '../../../src/runtimes/xgboost/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { assertClose, inputRows, matrixTensor, readExpected } from './golden.js';

const root = join(fixturesDir, 'xgboost');
const load = (name: string, format = 'json', env: Record<string, string> = {}) =>
  xgboostRuntime.load({ name, modelDir: join(root, 'models', name, format), env });

async function assertInvalid(model: Model, inputs: Tensor[], message: RegExp, parameters?: Record<string, unknown>) {
  await assert.rejects(
    async () => model.predict(inputs, parameters ? { parameters } : undefined),
    (err: unknown) => {
      assert.ok(err instanceof InferdError, String(err));
      assert.equal(err.code, 'INVALID_INPUT');
      assert.equal(err.httpStatus, 400);
      assert.match(err.message, message);
      return true;
    },
  );
}

const iris = (rows: number[][], datatype: Tensor['datatype'] = 'FP64'): Tensor => ({
  name: 'input-0',
  datatype,
  shape: [rows.length, rows[0]!.length],
  data: rows.flat(),
});

test('BAD CALL - wrong feature count names what the model expects and what came', async () => {
  const model = await load('multi_softprob_iris');
  await assertInvalid(model, [iris([[1, 2, 3]])], /expects 4 features per row, got 3 \(shape \[1,3\]\)/);
  await assertInvalid(model, [iris([[1, 2, 3, 4, 5]])], /expects 4 features per row, got 5/);
});

test('BAD CALL - rank, size and missing tensors', async () => {
  const model = await load('multi_softprob_iris');
  await assertInvalid(model, [], /expects one input tensor of shape \[rows, 4\]/);
  await assertInvalid(model, [{ name: 'x', datatype: 'FP32', shape: [4], data: [1, 2, 3, 4] }], /rank-2 tensor/);
  await assertInvalid(model, [{ name: 'x', datatype: 'FP32', shape: [1, 1, 4], data: [1, 2, 3, 4] }], /rank-2/);
  await assertInvalid(
    model,
    [{ name: 'x', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4] }],
    /needs 8 values, got 4/,
  );
});

test('BAD CALL - strings are refused, as a DMatrix refuses them', async () => {
  const model = await load('multi_softprob_iris');
  await assertInvalid(
    model,
    [{ name: 'x', datatype: 'BYTES', shape: [1, 4], data: ['1', '2', '3', '4'] }],
    /got BYTES/,
  );
  await assertInvalid(
    model,
    [{ name: 'x', datatype: 'FP64', shape: [1, 4], data: [1, 'two', 3, 4] as unknown as number[] }],
    /takes numbers, got "two" at index 1/,
  );
});

test('BAD CALL - infinity is refused (xgboost: "Input data contains `inf`"), unless it is the missing value', async () => {
  const model = await load('multi_softprob_iris');
  await assertInvalid(model, [iris([[1, 2, Number.POSITIVE_INFINITY, 4]])], /contains `inf` at index 2/);
  const infMissing = await load('multi_softprob_iris', 'json', { XGBOOST_MISSING: 'Infinity' });
  const nanRow = await model.predict([iris([[1, 2, Number.NaN, 4]])]);
  const infRow = await infMissing.predict([iris([[1, 2, Number.POSITIVE_INFINITY, 4]])]);
  assert.deepEqual(Array.from(infRow[0]!.data as Float32Array), Array.from(nanRow[0]!.data as Float32Array));
});

test('null (JSON has no NaN) is a missing value, like NaN', async () => {
  const model = await load('multi_softprob_iris');
  const withNull = await model.predict([
    { name: 'x', datatype: 'FP64', shape: [1, 4], data: [5.1, null, 1.4, null] as unknown as number[] },
  ]);
  const withNaN = await model.predict([iris([[5.1, Number.NaN, 1.4, Number.NaN]])]);
  assert.deepEqual(Array.from(withNull[0]!.data as Float32Array), Array.from(withNaN[0]!.data as Float32Array));
});

test('FP32, INT64 (BigInt) and BOOL tensors and plain number lists all predict the same', async () => {
  const model = await load('multi_softmax_iris');
  const rows = [
    [6, 3, 5, 2],
    [5, 3, 1, 0],
  ];
  const reference = Array.from((await model.predict([iris(rows)]))[0]!.data as Float32Array);
  const variants: Tensor[] = [
    { name: 'x', datatype: 'FP32', shape: [2, 4], data: Float32Array.from(rows.flat()) },
    { name: 'x', datatype: 'INT64', shape: [2, 4], data: BigInt64Array.from(rows.flat().map(BigInt)) },
    { name: 'x', datatype: 'INT32', shape: [2, 4], data: Int32Array.from(rows.flat()) },
  ];
  for (const v of variants) {
    assert.deepEqual(Array.from((await model.predict([v]))[0]!.data as Float32Array), reference, v.datatype);
  }
  const bools = await model.predict([{ name: 'x', datatype: 'BOOL', shape: [1, 4], data: [true, false, true, true] }]);
  const ones = await model.predict([iris([[1, 0, 1, 1]])]);
  assert.deepEqual(Array.from(bools[0]!.data as Float32Array), Array.from(ones[0]!.data as Float32Array));
});

test('zero rows answer an empty output of the right shape', async () => {
  const model = await load('multi_softprob_iris');
  const [out] = await model.predict([{ name: 'x', datatype: 'FP32', shape: [0, 4], data: new Float32Array(0) }]);
  assert.deepEqual(out!.shape, [0, 3]);
  assert.equal(out!.data.length, 0);
});

test('BAD CALL - no rows to a model declaring 100 million features allocates nothing for them', async (t) => {
  // The level walk's block of expanded rows was sized by num_feature alone: 64 × 2 × 1e8 floats asked for by a
  // request of no data (a RangeError; 10 million features took 5 GB, kept for the next call).
  const doc = JSON.parse(readFileSync(join(root, 'models', 'multi_softprob_iris', 'json', 'model.json'), 'utf8'));
  doc.learner.learner_model_param.num_feature = '100000000';
  const dir = mkdtempSync(join(tmpdir(), 'inferd-xgb-features-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
  const model = await xgboostRuntime.load({ name: 'm', modelDir: dir });
  const before = process.memoryUsage().arrayBuffers;
  const [out] = await model.predict([{ name: 'x', datatype: 'FP32', shape: [0, 1e8], data: new Float32Array(0) }]);
  assert.deepEqual(out!.shape, [0, 3]);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no block sized by the feature count');
});

test('the `missing` request parameter overrides the configured one', async () => {
  const name = 'missing_value_iris';
  const expected = readExpected(root, name);
  const input = matrixTensor(inputRows(root, expected));
  const model = await load(name); // no XGBOOST_MISSING: -999 is a value
  const [plain] = await model.predict([input]);
  assert.throws(() => assertClose(plain!.data as Float32Array, expected.predict, name));
  const [asked] = await model.predict([input], { parameters: { missing: -999 } });
  assertClose(asked!.data as Float32Array, expected.predict, name);
  const [asString] = await model.predict([input], { parameters: { missing: '-999' } });
  assertClose(asString!.data as Float32Array, expected.predict, name);
  await assertInvalid(model, [input], /parameter missing: expected a number/, { missing: 'many' });
});

test('iteration_range selects boosting rounds; out-of-range and malformed ranges are client errors', async () => {
  const model = await load('early_stopping_breast_cancer', 'bst');
  const input = matrixTensor([inputRows(root, readExpected(root, 'early_stopping_breast_cancer'))[0]!]);
  const all = (await model.predict([input]))[0]!.data as Float32Array;
  const zero = (await model.predict([input], { parameters: { iteration_range: [0, 0] } }))[0]!.data as Float32Array;
  assert.deepEqual(Array.from(zero), Array.from(all), '[0, 0] means every round, as in xgboost');
  await assertInvalid(model, [input], /not within the model's \d+ boosting rounds/, { iteration_range: [0, 1000] });
  await assertInvalid(model, [input], /not within/, { iteration_range: [5, 2] });
  await assertInvalid(model, [input], /expected \[begin, end\]/, { iteration_range: 'all' });
  const linear = await load('gblinear_diabetes');
  await assertInvalid(linear, [matrixTensor([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])], /not supported by the gblinear/, {
    iteration_range: [0, 2],
  });
});

test('XGBOOST_USE_BEST_ITERATION=true predicts with the trees up to best_iteration', async () => {
  const name = 'early_stopping_breast_cancer';
  const expected = readExpected(root, name);
  assert.ok(expected.best_iteration! + 1 < expected.num_boosted_rounds!, 'the fixture stopped early');
  const input = matrixTensor(inputRows(root, expected));
  const model = await load(name, 'ubj', { XGBOOST_USE_BEST_ITERATION: 'true' });
  assertClose((await model.predict([input]))[0]!.data as Float32Array, expected.predict_iteration_range!, name);
});

test('metadata: platform by file format, input and output tensors', async () => {
  assert.deepEqual((await load('multi_softprob_iris', 'json')).metadata(), {
    platform: 'xgboost_json',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'output-0', datatype: 'FP32', shape: [-1, 3] }],
  });
  assert.equal((await load('multi_softprob_iris', 'ubj')).metadata().platform, 'xgboost_ubj');
  assert.equal((await load('multi_softmax_iris', 'bst')).metadata().platform, 'xgboost');
  assert.deepEqual((await load('multi_softmax_iris', 'bst')).metadata().outputs[0]!.shape, [-1]);
});
