// scikit-learn MLPs in onnxruntime (runtimes/sklearn/ort-kernel.ts): every MLP fixture (classifiers binary,
// multiclass and multilabel; regressors with one and two targets; relu/tanh/logistic/identity; no hidden layer;
// as a Pipeline's last step) answers through the compiled ONNX graph with sklearn's labels exactly and its values
// within the runtime's tolerance; small calls stay synchronous; a runtime that cannot load falls back, logged.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isInferdError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { intraOpSettings } from '../../../src/runtimes/intra-op/settings.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { type SklearnModel, sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import {
  DEFAULT_ORT_MIN_ROWS,
  MIN_ORT_WORK,
  ORT_MIN_ROWS_ENV,
  OrtKernel,
  ortThresholds,
} from '../../../src/runtimes/sklearn/ort-kernel.js';
import { fixturesDir } from '../../helpers/paths.js';
import {
  assertAllClose,
  caseInput,
  isClassifier,
  matrixTensor,
  modelDirs,
  predictedValues,
  readExpected,
} from './golden.js';

const root = join(fixturesDir, 'sklearn');
/** Every call with at least one row goes to onnxruntime. */
const ORT_ALWAYS = { [ORT_MIN_ROWS_ENV]: '1' };

const mlpCases = modelDirs(root).filter((d) => {
  const e = readExpected(join(root, 'models', d));
  return e.estimator.startsWith('MLP') || d.includes('_mlp');
});

describe('MLP fixtures through onnxruntime', () => {
  const covered = new Set<string>();
  for (const dirName of mlpCases) {
    const modelDir = join(root, 'models', dirName);
    const expected = readExpected(modelDir);
    const { inputs, options, rows } = caseInput(root, expected);
    test(`${dirName}: predict${expected.predict_proba ? ' and predict_proba' : ''} equal scikit-learn's`, async (t) => {
      const model = (await sklearnRuntime.load({ name: dirName, modelDir, env: ORT_ALWAYS })) as SklearnModel;
      t.after(() => model.unload());
      assert.ok(model.estimator.onnxOffload, `${dirName} compiles to ONNX`);
      const pending = model.predict(inputs, { ...options, outputNames: ['predict'] });
      assert.ok(pending instanceof Promise, 'the call went to onnxruntime (the TypeScript path answers synchronously)');
      const [out] = await pending;
      assert.equal(out!.datatype, expected.output_datatype);
      assert.equal(out!.shape[0], rows);
      const got = predictedValues(out!);
      const want = expected.predict.flat();
      if (isClassifier(expected)) assert.deepEqual(got, want, 'labels identical');
      else {
        const worst = assertAllClose(got as number[], want as number[], 'predict');
        t.diagnostic(`predict: worst relative difference ${worst.toExponential(2)}`);
      }
      if (expected.predict_proba) {
        const [proba] = await model.predict(inputs, { ...options, outputNames: ['predict_proba'] });
        assert.deepEqual(proba!.shape, [rows, expected.predict_proba[0]!.length]);
        const worst = assertAllClose(proba!.data as Float64Array, expected.predict_proba.flat(), 'predict_proba');
        t.diagnostic(`predict_proba: worst relative difference ${worst.toExponential(2)}`);
      }
      covered.add(dirName);
    });
  }

  test('the cases cover every kind of MLP', () => {
    for (const name of [
      'mlp_clf_iris', // relu, multiclass (softmax)
      'mlp_clf_tanh_breast_cancer', // tanh, binary (logistic on one column)
      'mlp_clf_logistic_strings_wine', // logistic hidden layer, string labels
      'mlp_clf_multilabel', // one logistic per label
      'mlp_clf_no_hidden_iris', // no hidden layer: one Gemm and the softmax
      'mlp_reg_diabetes', // relu regressor
      'mlp_reg_two_targets_diabetes', // identity, two targets
      'pipe_scaler_mlp_wine', // the scaler in TypeScript, the MLP in onnxruntime
      'pipe_scaler_mlp_reg_diabetes',
    ]) {
      assert.ok(covered.has(name), `${name} ran through onnxruntime`);
    }
  });
});

/** `n` rows of the iris data (tiled). */
function irisRows(n: number): Tensor {
  const { inputs } = caseInput(root, readExpected(join(root, 'models', 'mlp_clf_iris')));
  const src = inputs[0]!;
  const [rows, cols] = src.shape as [number, number];
  const data = src.data as Float64Array;
  const out: number[][] = [];
  for (let r = 0; r < n; r++) out.push(Array.from(data.subarray((r % rows) * cols, ((r % rows) + 1) * cols)));
  return matrixTensor(out);
}

test('with the default thresholds, one row and small iris batches stay synchronous; large batches go to onnxruntime', async (t) => {
  const modelDir = join(root, 'models', 'mlp_clf_iris');
  const model = (await sklearnRuntime.load({ name: 'iris-mlp', modelDir })) as SklearnModel;
  t.after(() => model.unload());
  const perRow = model.estimator.onnxOffload!.stepsPerRow;
  assert.equal(perRow, 4 * 16 + 16 * 8 + 8 * 3);
  for (const rows of [1, DEFAULT_ORT_MIN_ROWS, Math.floor(MIN_ORT_WORK / perRow) - 1]) {
    assert.ok(Array.isArray(model.predict([irisRows(rows)])), `${rows} rows: synchronous`);
  }
  const big = Math.ceil(MIN_ORT_WORK / perRow);
  const pending = model.predict([irisRows(big)]);
  assert.ok(pending instanceof Promise, `${big} rows: onnxruntime`);
  const sync = (await sklearnRuntime.load({
    name: 'js',
    modelDir,
    env: { [ORT_MIN_ROWS_ENV]: String(1e9) },
  })) as SklearnModel;
  t.after(() => sync.unload());
  const js = sync.predict([irisRows(big)]) as Tensor[];
  assert.deepEqual(
    Array.from((await pending)[0]!.data as ArrayLike<unknown>),
    Array.from(js[0]!.data as ArrayLike<unknown>),
  );
});

test('a bad threshold is INVALID_CONFIG naming the variable', () => {
  assert.deepEqual(ortThresholds({}), { minRows: DEFAULT_ORT_MIN_ROWS, minWork: MIN_ORT_WORK });
  assert.deepEqual(ortThresholds({ [ORT_MIN_ROWS_ENV]: '64' }), { minRows: 64, minWork: 0 });
  for (const bad of ['0', '-3', 'many', '1.5']) {
    assert.throws(
      () => ortThresholds({ [ORT_MIN_ROWS_ENV]: bad }),
      (err: unknown) => isInferdError(err) && err.code === 'INVALID_CONFIG' && err.details.path === ORT_MIN_ROWS_ENV,
    );
  }
});

/** A logger that keeps its JSON lines. */
function recordingLogger(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }), lines };
}

test('EXPECTED FAILURE - onnxruntime-node cannot be imported: no kernel, one warning, the TypeScript kernel answers', async () => {
  const modelDir = join(root, 'models', 'mlp_clf_iris');
  const model = (await sklearnRuntime.load({ name: 'iris-mlp', modelDir, env: ORT_ALWAYS })) as SklearnModel;
  const { log, lines } = recordingLogger();
  const kernel = await OrtKernel.create(model.estimator.onnxOffload!, {
    threads: 1,
    env: ORT_ALWAYS,
    log,
    name: 'iris-mlp',
    importOrt: () => Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file')),
  });
  await model.unload();
  assert.equal(kernel, undefined);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'warn');
  assert.equal(lines[0]!.model, 'iris-mlp');
  assert.match(String(lines[0]!.error), /cannot open shared object/);
});

test('EXPECTED FAILURE - a graph onnxruntime refuses: no kernel, one warning', async () => {
  const modelDir = join(root, 'models', 'mlp_reg_diabetes');
  const model = (await sklearnRuntime.load({ name: 'reg', modelDir })) as SklearnModel;
  const real = model.estimator.onnxOffload!;
  const { log, lines } = recordingLogger();
  const kernel = await OrtKernel.create({ ...real, graph: () => new Uint8Array([8, 8, 0xff]) }, { threads: 1, log });
  await model.unload();
  assert.equal(kernel, undefined);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'warn');
});

test('a replica without onnxruntime answers large MLP batches with the TypeScript kernel', async () => {
  const { inputs } = caseInput(root, readExpected(join(root, 'models', 'mlp_reg_diabetes')));
  const modelDir = join(root, 'models', 'mlp_reg_diabetes');
  const withOrt = (await sklearnRuntime.load({ name: 'reg', modelDir, env: ORT_ALWAYS })) as SklearnModel;
  const { SklearnModel: Ctor } = await import('../../../src/runtimes/sklearn/index.js');
  // What load() builds when OrtKernel.create gave nothing: no `ort` option.
  const fallback = new Ctor('reg', withOrt.estimator, { predictProba: false });
  const js = fallback.predict(inputs);
  assert.ok(Array.isArray(js));
  const viaOrt = await withOrt.predict(inputs);
  await withOrt.unload();
  assertAllClose(viaOrt[0]!.data as Float64Array, Array.from(js[0]!.data as Float64Array), 'ort vs ts');
});

test('with two intra-op threads an MLP batch runs in onnxruntime on two threads', async (t) => {
  const modelDir = join(root, 'models', 'mlp_clf_tanh_breast_cancer');
  const expected = readExpected(modelDir);
  const { inputs, options } = caseInput(root, expected);
  const model = (await sklearnRuntime.load({
    name: 'bc',
    modelDir,
    env: { INFERD_INTRA_OP_THREADS: '2', INFERD_INTRA_OP_MIN_ROWS: '1', ...ORT_ALWAYS },
  })) as SklearnModel;
  t.after(() => model.unload());
  const pending = model.predict(inputs, { ...options, outputNames: ['predict_proba'] });
  assert.ok(pending instanceof Promise);
  assertAllClose((await pending)[0]!.data as Float64Array, expected.predict_proba!.flat(), 'predict_proba');
});

test('onnxruntime covers the intra-op split only when its thresholds are at or below the split thresholds', async (t) => {
  const model = (await sklearnRuntime.load({
    name: 'iris',
    modelDir: join(root, 'models', 'mlp_clf_iris'),
  })) as SklearnModel;
  t.after(() => model.unload());
  const offload = model.estimator.onnxOffload!;
  const byDefault = (await OrtKernel.create(offload, { threads: 1 }))!;
  const held = (await OrtKernel.create(offload, { threads: 1, env: { [ORT_MIN_ROWS_ENV]: '100000' } }))!;
  t.after(() => Promise.all([byDefault.close(), held.close()]));
  const split = intraOpSettings({ INFERD_INTRA_OP_THREADS: '2' });
  assert.equal(byDefault.covers(split), true);
  assert.equal(held.covers(split), false);
  assert.equal(byDefault.covers(intraOpSettings({ INFERD_INTRA_OP_MIN_ROWS: '1' })), false);
});
