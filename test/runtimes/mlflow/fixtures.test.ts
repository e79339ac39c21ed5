// The committed MLflow fixtures (scripts/fixtures/gen_mlflow.py) served by the mlflow runtime: predictions equal
// what scikit-learn / xgboost / the ONNX graph computed, metadata is what MLServer derives from the signature,
// and outputs are shaped as MLServer's NumpyRequestCodec sends them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MlflowModel, mlflowRuntime } from '../../../src/runtimes/mlflow/index.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { assertClose, columnInputs, fixture, IRIS_COLUMNS, matrix, readExpected, values } from './helpers.js';

const load = (name: string): Promise<MlflowModel> => mlflowRuntime.load({ name, modelDir: fixture(name) });

interface IrisExpected {
  columns: string[];
  queries: { rows: number[][]; datatype: string; predictions: number[] };
  all: { rows: number[][]; datatype: string; predictions: number[] };
}

test('iris_model (seed 002): V2 metadata from the signature, as MLServer reports it', async () => {
  const model = await load('iris_model');
  assert.deepEqual(model.metadata(), {
    platform: '',
    inputs: IRIS_COLUMNS.map((name) => ({ name, datatype: 'FP64', shape: [-1, 1] })),
    outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1, 1] }],
  });
  assert.equal(model.flavor, 'sklearn');
});

test('iris_model: one named input per column → the classes sklearn predicts, as output-1 [n, 1] INT64', async () => {
  const model = await load('iris_model');
  const e = readExpected<IrisExpected>(fixture('iris_model'));
  const out = await model.predict(columnInputs(e.columns, e.all.rows));
  assert.equal(out.length, 1);
  const [o] = out as [Tensor];
  assert.equal(o.name, 'output-1');
  assert.equal(o.datatype, e.all.datatype);
  assert.deepEqual(o.shape, [150, 1]);
  assert.deepEqual(o.parameters, { content_type: 'np' });
  assert.deepEqual(values(o), e.all.predictions);
});

test('iris_model: columns in any order are put in signature order; extra inputs are ignored', async () => {
  const model = await load('iris_model');
  const e = readExpected<IrisExpected>(fixture('iris_model'));
  const inputs = columnInputs(e.columns, e.queries.rows).reverse();
  inputs.push({
    name: 'comment',
    datatype: 'BYTES',
    shape: [e.queries.rows.length],
    data: e.queries.rows.map(() => 'x'),
  });
  assert.deepEqual(values((await model.predict(inputs))[0]), e.queries.predictions);
});

test('iris_model: [n, 1] columns, FP32 and INT64 columns are accepted', async () => {
  const model = await load('iris_model');
  const e = readExpected<IrisExpected>(fixture('iris_model'));
  const rows = e.queries.rows;
  const inputs = columnInputs(e.columns, rows).map((t) => ({ ...t, shape: [rows.length, 1] }));
  assert.deepEqual(values((await model.predict(inputs))[0]), e.queries.predictions);
  const whole = [
    [7, 3, 6, 2],
    [5, 3, 1, 0],
  ];
  const asInt = columnInputs(e.columns, whole).map((t) => ({
    ...t,
    datatype: 'INT64' as const,
    data: BigInt64Array.from(values(t), BigInt),
  }));
  const asFloat = columnInputs(e.columns, whole);
  assert.deepEqual(values((await model.predict(asInt))[0]), values((await model.predict(asFloat))[0]));
});

test('iris_model: one unnamed [n, 4] matrix (a V1 instances body) is taken column by column', async () => {
  const model = await load('iris_model');
  const e = readExpected<IrisExpected>(fixture('iris_model'));
  assert.deepEqual(values((await model.predict([matrix(e.queries.rows)]))[0]), e.queries.predictions);
});

interface WineExpected {
  columns: string[];
  rows: number[][];
  predictions: number[];
  kserve_fp32_row: number[];
  kserve_fp32_prediction: number[];
}

test("wine_quality (KServe's MLflow example): ElasticNet predictions, tensor output metadata", async () => {
  const model = await load('wine_quality');
  const e = readExpected<WineExpected>(fixture('wine_quality'));
  assert.equal(model.metadata().inputs.length, 11);
  assert.deepEqual(model.metadata().outputs, [{ name: 'output-0', datatype: 'FP64', shape: [-1] }]);
  const [o] = (await model.predict(columnInputs(e.columns, e.rows))) as [Tensor];
  assert.equal(o.datatype, 'FP64');
  assert.deepEqual(o.shape, [e.rows.length, 1]);
  assertClose(values(o), e.predictions, 1e-12, 'wine rows');
});

test("wine_quality: KServe's request (every column FP32) predicts on the float32 values, as MLServer decodes them", async () => {
  const model = await load('wine_quality');
  const e = readExpected<WineExpected>(fixture('wine_quality'));
  const out = await model.predict(columnInputs(e.columns, [e.kserve_fp32_row], 'FP32'));
  assertClose(values(out[0]), e.kserve_fp32_prediction, 1e-12, 'KServe wine row');
});

test('iris_tensor: a tensor signature takes one [n, 4] input under any name', async () => {
  const model = await load('iris_tensor');
  const e = readExpected<{ rows: number[][]; predictions: number[] }>(fixture('iris_tensor'));
  assert.deepEqual(model.metadata(), {
    platform: '',
    inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, 4] }],
    outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1] }],
  });
  const out = await model.predict([matrix(e.rows, 'predict')]);
  assert.deepEqual(values(out[0]), e.predictions);
  assert.deepEqual(out[0]!.shape, [150, 1]);
});

test('iris_tensor: BAD CALL - a wrong shape or datatype is a 400 naming the input', async () => {
  const model = await load('iris_tensor');
  await assert.rejects(model.predict([matrix([[1, 2, 3]])]), {
    code: 'INVALID_INPUT',
    message: 'input "input-0": expected shape [-1, 4] (-1: any size), got [1, 3]',
  });
  const strings: Tensor = { name: 'input-0', datatype: 'BYTES', shape: [1, 4], data: ['a', 'b', 'c', 'd'] };
  await assert.rejects(model.predict([strings]), {
    code: 'INVALID_INPUT',
    message: 'input "input-0": expected float64 (FP64) values, got BYTES',
  });
});

test('iris_proba: no signature, predict_fn predict_proba → probabilities [n, 3]', async () => {
  const model = await load('iris_proba');
  const e = readExpected<{ rows: number[][]; shape: number[]; probabilities: number[] }>(fixture('iris_proba'));
  assert.deepEqual(model.metadata(), { platform: '', inputs: [], outputs: [] });
  const [o] = (await model.predict([matrix(e.rows)])) as [Tensor];
  assert.equal(o.name, 'output-1');
  assert.deepEqual(o.shape, e.shape);
  assertClose(values(o), e.probabilities, 1e-9, 'predict_proba');
  // Without a signature, several [n] inputs are DataFrame columns in request order.
  const [byColumns] = (await model.predict(columnInputs(['a', 'b', 'c', 'd'], e.rows))) as [Tensor];
  assertClose(values(byColumns), e.probabilities, 1e-9, 'predict_proba by columns');
});

test('wine_onnx: the onnx flavor through onnxruntime, columns assembled into its one input', async () => {
  const model = await load('wine_onnx');
  const e = readExpected<{ columns: string[]; rows: number[][]; predictions: number[] }>(fixture('wine_onnx'));
  assert.equal(model.flavor, 'onnx');
  assert.deepEqual(model.metadata().outputs, [{ name: 'variable', datatype: 'FP64', shape: [-1, 1] }]);
  const [o] = (await model.predict(columnInputs(e.columns, e.rows))) as [Tensor];
  assert.equal(o.name, 'variable', 'mlflow.onnx returns outputs by name');
  assert.deepEqual(o.shape, [e.rows.length, 1]);
  assertClose(values(o), e.predictions, 1e-12, 'onnx wine');
  await model.unload();
});

test('iris_xgboost: an XGBClassifier (model.xgb, legacy binary) answers class labels like its pyfunc', async () => {
  const model = await load('iris_xgboost');
  const e = readExpected<{ columns: string[]; rows: number[][]; predictions: number[] }>(fixture('iris_xgboost'));
  const [o] = (await model.predict(columnInputs(e.columns, e.rows))) as [Tensor];
  assert.equal(o.name, 'output-1');
  assert.equal(o.datatype, 'INT64');
  assert.deepEqual(o.shape, [150, 1]);
  assert.deepEqual(values(o), e.predictions);
});
