// predict() behaviour on the fixture models: how request tensors are matched and converted, the refusals
// (INVALID_INPUT naming the input or output), output selection, dynamic batch sizes and unload.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import type { Model, PredictOptions, Tensor } from '../../../src/runtimes/model.js';
import { onnxRuntime, toFloat16Bits } from '../../../src/runtimes/onnx/index.js';
import { runError } from '../../../src/runtimes/onnx/onnx-model.js';
import { assertTensorEqual, fixtureDir, readExpected, toTensor } from './golden.js';

const models: Record<string, Model> = {};
const load = async (name: string) => {
  models[name] = await onnxRuntime.load({ name, modelDir: fixtureDir(name) });
};
before(() =>
  Promise.all(['mlp', 'two_io', 'fp16', 'int_bool', 'strings', 'fixed', 'sklearn_logistic', 'zipmap'].map(load)),
);
after(() => Promise.all(Object.values(models).map((m) => m.unload?.())));

/** Asserts an InferdError with `code` whose details name `key` = `value` and whose message matches. */
function rejectsWith(code: string, details: Record<string, unknown>, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof InferdError, `not an InferdError: ${err}`);
    assert.equal(err.code, code, err.message);
    for (const [k, v] of Object.entries(details)) assert.equal(err.details[k], v, `details.${k}`);
    if (message) assert.match(err.message, message);
    return true;
  };
}

/** predict() as a promise, whether the model answers synchronously or not. */
const predict = async (model: Model, inputs: Tensor[], opts?: PredictOptions) => model.predict(inputs, opts);

const t = (name: string, datatype: Tensor['datatype'], shape: number[], data: Tensor['data']): Tensor => ({
  name,
  datatype,
  shape,
  data,
});

describe('dynamic batch (mlp, batch dim "batch")', () => {
  const expected = readExpected('mlp');
  for (const c of expected.cases) {
    test(`${c.name}: output shape follows the batch`, async () => {
      const [out] = await predict(models.mlp!, c.inputs.map(toTensor));
      assert.deepEqual(out!.shape, c.outputs[0]!.shape);
      assertTensorEqual(out!, c.outputs[0]!, 1e-5, c.name);
    });
  }

  test('a single-input model takes one input under another name (KServe clients send input-0)', async () => {
    const c = expected.cases[1]!;
    const input = { ...toTensor(c.inputs[0]!), name: 'input-0' };
    const [out] = await predict(models.mlp!, [input]);
    assertTensorEqual(out!, c.outputs[0]!, 1e-5, 'renamed input');
  });

  test('FP64 data (what JSON clients send) is converted for a FP32 input', async () => {
    const c = expected.cases[1]!;
    const fp32 = toTensor(c.inputs[0]!);
    const fp64 = t('input', 'FP64', fp32.shape, Float64Array.from(fp32.data as Float32Array));
    const [out] = await predict(models.mlp!, [fp64]);
    assertTensorEqual(out!, c.outputs[0]!, 1e-5, 'FP64 input');
  });

  test('plain number[] data and integer datatypes are accepted for a float input', async () => {
    const [a] = await predict(models.mlp!, [t('input', 'FP32', [1, 4], [1, 2, 3, 4])]);
    const [b] = await predict(models.mlp!, [t('input', 'INT32', [1, 4], Int32Array.from([1, 2, 3, 4]))]);
    assert.deepEqual(Array.from(a!.data as Float32Array), Array.from(b!.data as Float32Array));
  });

  test('EXPECTED FAILURE - wrong feature count: INVALID_INPUT naming the input, expected and got shape', async () => {
    await assert.rejects(
      predict(models.mlp!, [t('input', 'FP32', [2, 3], new Float32Array(6))]),
      rejectsWith('INVALID_INPUT', { input: 'input' }, /input "input": expected shape \[-1,4\] .*got \[2,3\]/),
    );
  });

  test('EXPECTED FAILURE - wrong rank: INVALID_INPUT', async () => {
    await assert.rejects(
      predict(models.mlp!, [t('input', 'FP32', [4], new Float32Array(4))]),
      rejectsWith('INVALID_INPUT', { input: 'input' }, /expected shape \[-1,4\].*got \[4\]/),
    );
  });

  test('EXPECTED FAILURE - data does not fill the shape: INVALID_INPUT', async () => {
    await assert.rejects(
      predict(models.mlp!, [t('input', 'FP32', [2, 4], new Float32Array(4))]),
      rejectsWith('INVALID_INPUT', { input: 'input' }, /needs 8 values, got 4/),
    );
  });

  test('EXPECTED FAILURE - BYTES to a float input: INVALID_INPUT naming both datatypes', async () => {
    await assert.rejects(
      predict(models.mlp!, [t('input', 'BYTES', [1, 4], ['a', 'b', 'c', 'd'])]),
      rejectsWith('INVALID_INPUT', { input: 'input' }, /model expects FP32, got BYTES/),
    );
  });

  test('EXPECTED FAILURE - unknown output name: INVALID_INPUT listing the outputs', async () => {
    await assert.rejects(
      predict(models.mlp!, [t('input', 'FP32', [1, 4], new Float32Array(4))], { outputNames: ['label'] }),
      rejectsWith('INVALID_INPUT', { output: 'label' }, /no output named "label"; its outputs are: probabilities/),
    );
  });

  test('EXPECTED FAILURE - an aborted request does not run', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      predict(models.mlp!, [t('input', 'FP32', [1, 4], new Float32Array(4))], { signal: controller.signal }),
      { name: 'AbortError' },
    );
  });
});

describe('several named inputs and outputs (two_io)', () => {
  const a = t('a', 'FP32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
  const b = t('b', 'FP32', [2, 3], Float32Array.from([10, 20, 30, 40, 50, 60]));

  test('inputs are matched by name, in any order; outputs come in model order', async () => {
    const out = await predict(models.two_io!, [b, a]);
    assert.deepEqual(
      out.map((o) => o.name),
      ['sum', 'product'],
    );
    assert.deepEqual(Array.from(out[0]!.data as Float32Array), [11, 22, 33, 44, 55, 66]);
    assert.deepEqual(Array.from(out[1]!.data as Float32Array), [10, 40, 90, 160, 250, 360]);
  });

  test('outputNames selects outputs, in the order asked', async () => {
    const out = await predict(models.two_io!, [a, b], { outputNames: ['product'] });
    assert.deepEqual(
      out.map((o) => o.name),
      ['product'],
    );
    const both = await predict(models.two_io!, [a, b], { outputNames: ['product', 'sum'] });
    assert.deepEqual(
      both.map((o) => o.name),
      ['product', 'sum'],
    );
  });

  test('EXPECTED FAILURE - missing required input: INVALID_INPUT naming it', async () => {
    await assert.rejects(
      predict(models.two_io!, [a]),
      rejectsWith('INVALID_INPUT', { input: 'b' }, /missing input "b"/),
    );
  });

  test('EXPECTED FAILURE - unknown input name: INVALID_INPUT naming it and the model inputs', async () => {
    await assert.rejects(
      predict(models.two_io!, [a, { ...b, name: 'input-1' }]),
      rejectsWith('INVALID_INPUT', { input: 'input-1' }, /no input named "input-1"; its inputs are: a, b/),
    );
  });

  test('EXPECTED FAILURE - the same input twice: INVALID_INPUT', async () => {
    await assert.rejects(predict(models.two_io!, [a, a, b]), rejectsWith('INVALID_INPUT', { input: 'a' }));
  });

  test('EXPECTED FAILURE - batch sizes that differ between inputs sharing "batch": INVALID_INPUT', async () => {
    // onnxruntime itself would broadcast the batch of 1 against 2 and answer.
    const b1 = t('b', 'FP32', [1, 3], Float32Array.from([1, 2, 3]));
    await assert.rejects(
      predict(models.two_io!, [a, b1]),
      rejectsWith('INVALID_INPUT', { input: 'b' }, /dimension 0 \("batch"\) is 1, but input "a" has "batch" = 2/),
    );
  });
});

describe('fixed shape (fixed: x [2,3] and scalar scale [] → [3,2])', () => {
  const x = t('x', 'FP32', [2, 3], new Float32Array(6));
  const scale = t('scale', 'FP32', [], [2]);

  test('metadata keeps the fixed dims and the scalar', () => {
    assert.deepEqual(models.fixed!.metadata().inputs, [
      { name: 'x', datatype: 'FP32', shape: [2, 3] },
      { name: 'scale', datatype: 'FP32', shape: [] },
    ]);
  });

  test('EXPECTED FAILURE - another batch size: INVALID_INPUT with expected and got shapes', async () => {
    await assert.rejects(
      predict(models.fixed!, [t('x', 'FP32', [3, 3], new Float32Array(9)), scale]),
      rejectsWith('INVALID_INPUT', { input: 'x' }, /expected shape \[2,3\].*got \[3,3\]/),
    );
  });

  test('a scalar input also takes shape [1], as onnxruntime broadcasts it', async () => {
    // onnxruntime reports a scalar and an unknown rank both as [], so inferd leaves [] inputs to onnxruntime,
    // which accepts [1] for a scalar.
    const [xt] = await predict(models.fixed!, [t('x', 'FP32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6])), scale]);
    const [same] = await predict(models.fixed!, [x, t('scale', 'FP32', [1], [2])]);
    assert.deepEqual(Array.from(xt!.data as Float32Array), [2, 8, 4, 10, 6, 12]);
    assert.deepEqual(same!.shape, [3, 2]);
  });
});

describe('runError', () => {
  test("onnxruntime's input validation messages become INVALID_INPUT", () => {
    const message = 'Got invalid dimensions for input: ids for the following indices\n index: 1 Got: 2 Expected: 3';
    const err = runError('m', new Error(message));
    assert.equal(err.code, 'INVALID_INPUT');
    assert.equal(err.message, message);
    assert.equal(runError('m', new Error('Invalid rank for input: x Got: 1 Expected: 2')).code, 'INVALID_INPUT');
  });

  test('any other run failure is INTERNAL naming the model', () => {
    const err = runError('m', new Error('Non-zero status code returned while running Add node.'));
    assert.equal(err.code, 'INTERNAL');
    assert.match(err.message, /^onnxruntime failed to run model m: Non-zero status/);
  });
});

describe('FP16 (fp16)', () => {
  test('round trip: values in, the same values out (x_copy), arithmetic in y', async () => {
    const values = [0.5, -1.25, 65504, 2 ** -24];
    const [y, copy] = await predict(models.fp16!, [t('x', 'FP16', [1, 4], Float32Array.from(values))]);
    assert.equal(copy!.datatype, 'FP16');
    assert.deepEqual(Array.from(copy!.data as Float32Array), values);
    assert.equal(y!.datatype, 'FP16');
    assert.deepEqual(Array.from(y!.data as Float32Array), [1.5, -2, Number.POSITIVE_INFINITY, 0.5]);
  });

  test('values that are not halves are rounded to the nearest half', async () => {
    const [, copy] = await predict(models.fp16!, [t('x', 'FP16', [1, 4], [0.1, 1 / 3, 1000.3, -7])]);
    assert.deepEqual(Array.from(copy!.data as Float32Array), [0.0999755859375, 0.333251953125, 1000.5, -7]);
  });

  test('a Uint16Array labelled FP16 is taken as raw half bits (binary tensor data)', async () => {
    const bits = Uint16Array.from([1, -2, 3, 0.25], toFloat16Bits);
    const [, copy] = await predict(models.fp16!, [t('x', 'FP16', [1, 4], bits)]);
    assert.deepEqual(Array.from(copy!.data as Float32Array), [1, -2, 3, 0.25]);
  });

  test('FP32 and FP64 data are accepted for a FP16 input', async () => {
    const [, copy] = await predict(models.fp16!, [t('x', 'FP64', [1, 4], Float64Array.from([1, 2, 3, 4]))]);
    assert.deepEqual(Array.from(copy!.data as Float32Array), [1, 2, 3, 4]);
  });
});

describe('INT64 and BOOL (int_bool)', () => {
  test('number[] for INT64 and 0/1 for BOOL are converted; small INT64 outputs come back as numbers', async () => {
    const out = await predict(models.int_bool!, [
      t('ids', 'INT64', [1, 3], [5, -6, 7]),
      t('mask', 'INT32', [1, 3], [1, 0, 1]),
    ]);
    const byName = Object.fromEntries(out.map((o) => [o.name, o]));
    assert.deepEqual(byName.masked!.data, [5, 0, 7]);
    assert.deepEqual(byName.row_sum, { name: 'row_sum', datatype: 'INT64', shape: [1], data: [6] });
    assert.deepEqual(byName.positive!.data, [true, false, true]);
    assert.deepEqual(byName.inverted, {
      name: 'inverted',
      datatype: 'BOOL',
      shape: [1, 3],
      data: [false, true, false],
    });
  });

  test('INT64 outputs past 2^53 stay a BigInt64Array, exactly', async () => {
    const big = BigInt64Array.from([2n ** 62n + 1n, -(2n ** 63n), 3n]);
    const [masked] = await predict(
      models.int_bool!,
      [t('ids', 'INT64', [1, 3], big), t('mask', 'BOOL', [1, 3], [true, true, true])],
      { outputNames: ['masked'] },
    );
    assert.ok(masked!.data instanceof BigInt64Array);
    assert.deepEqual(Array.from(masked!.data), [2n ** 62n + 1n, -(2n ** 63n), 3n]);
  });

  test('whole-number floats are accepted for INT64 (JSON clients that say FP64)', async () => {
    const [masked] = await predict(
      models.int_bool!,
      [t('ids', 'FP64', [1, 3], Float64Array.from([1, 2, 3])), t('mask', 'BOOL', [1, 3], [true, true, true])],
      { outputNames: ['masked'] },
    );
    assert.deepEqual(masked!.data, [1, 2, 3]);
  });

  test('EXPECTED FAILURE - a fraction for an INT64 input: INVALID_INPUT naming the input and element', async () => {
    await assert.rejects(
      predict(models.int_bool!, [t('ids', 'FP32', [1, 3], [1, 2.5, 3]), t('mask', 'BOOL', [1, 3], [true, true, true])]),
      rejectsWith('INVALID_INPUT', { input: 'ids' }, /element 1 \(2\.5\) is not an integer/),
    );
  });

  test('EXPECTED FAILURE - 2 for a BOOL input: INVALID_INPUT', async () => {
    await assert.rejects(
      predict(models.int_bool!, [t('ids', 'INT64', [1, 3], [1, 2, 3]), t('mask', 'INT32', [1, 3], [1, 2, 0])]),
      rejectsWith('INVALID_INPUT', { input: 'mask' }, /element 1 \(2\) is not 0 or 1/),
    );
  });
});

describe('STRING (strings)', () => {
  test('BYTES strings and UTF-8 Buffers both reach the string input', async () => {
    const [echo, id, label] = await predict(models.strings!, [
      t('text', 'BYTES', [3], [Buffer.from('naïve 🐍'), 'dog', Buffer.from('')] as unknown as Buffer[]),
    ]);
    assert.deepEqual(echo, { name: 'echo', datatype: 'BYTES', shape: [3], data: ['naïve 🐍', 'dog', ''] });
    assert.deepEqual(id!.data, [3, 1, -1]);
    assert.deepEqual(label!.data, ['SNAKE', 'DOG', 'unknown']);
  });

  test('EXPECTED FAILURE - numbers for a string input: INVALID_INPUT', async () => {
    await assert.rejects(
      predict(models.strings!, [t('text', 'FP32', [1], [1])]),
      rejectsWith('INVALID_INPUT', { input: 'text' }, /model expects BYTES, got FP32/),
    );
  });
});

describe('sklearn_logistic (skl2onnx-style names)', () => {
  test('metadata names the label and probabilities outputs; anonymous batch dim is -1', () => {
    assert.deepEqual(models.sklearn_logistic!.metadata(), {
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'float_input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
  });
});

describe("non-tensor outputs (zipmap: skl2onnx's ZipMap sequence of maps)", () => {
  test('are left out of metadata and of the default outputs', async () => {
    assert.deepEqual(
      models.zipmap!.metadata().outputs.map((o) => o.name),
      ['probabilities'],
    );
    const out = await predict(models.zipmap!, [t('scores', 'FP32', [1, 3], [0.2, 0.3, 0.5])]);
    assert.deepEqual(
      out.map((o) => o.name),
      ['probabilities'],
    );
  });

  test('EXPECTED FAILURE - asking for one by name: UNSUPPORTED naming it', async () => {
    await assert.rejects(
      predict(models.zipmap!, [t('scores', 'FP32', [1, 3], [0.2, 0.3, 0.5])], { outputNames: ['output_probability'] }),
      rejectsWith('UNSUPPORTED', { output: 'output_probability' }, /output "output_probability" .* is not a tensor/),
    );
  });
});

test('unload releases the session; later predicts are MODEL_NOT_READY', async () => {
  const model = await onnxRuntime.load({ name: 'gone', modelDir: fixtureDir('mlp') });
  await model.unload?.();
  await model.unload?.(); // twice is fine
  await assert.rejects(
    predict(model, [t('input', 'FP32', [1, 4], new Float32Array(4))]),
    rejectsWith('MODEL_NOT_READY', {}),
  );
});

test('metadata() returns copies: callers cannot change the model', () => {
  const meta = models.mlp!.metadata();
  meta.inputs[0]!.shape[1] = 99;
  assert.deepEqual(models.mlp!.metadata().inputs[0]!.shape, [-1, 4]);
});
