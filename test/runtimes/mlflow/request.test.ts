// Signature-driven request decoding (request.ts, cast.ts) and signature parsing (signature.ts), without models.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRequest, parseSchema, parseSignature, schemaMetadata } from '../../../src/runtimes/mlflow/index.js';
import type { Schema } from '../../../src/runtimes/mlflow/signature.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { values } from './helpers.js';

const cols = (specs: [string, string][]): Schema =>
  parseSchema(JSON.stringify(specs.map(([name, type]) => ({ name, type }))), 'inputs')!;

const col = (name: string, data: number[] | string[], datatype: Tensor['datatype'] = 'FP64'): Tensor => ({
  name,
  datatype,
  shape: [data.length],
  data:
    datatype === 'BYTES'
      ? (data as string[])
      : datatype === 'FP32'
        ? Float32Array.from(data as number[])
        : Float64Array.from(data as number[]),
});

test('signature: MLflow column types map to V2 datatypes as MLServer maps them', () => {
  const schema = cols([
    ['d', 'double'],
    ['f', 'float'],
    ['l', 'long'],
    ['i', 'integer'],
    ['s', 'string'],
    ['b', 'boolean'],
    ['bin', 'binary'],
    ['t', 'datetime'],
  ]);
  assert.deepEqual(
    schemaMetadata(schema, 'input-').map((m) => [m.name, m.datatype, m.shape]),
    [
      ['d', 'FP64', [-1, 1]],
      ['f', 'FP32', [-1, 1]],
      ['l', 'INT64', [-1, 1]],
      ['i', 'INT32', [-1, 1]],
      ['s', 'BYTES', [-1, 1]],
      ['b', 'BOOL', [-1, 1]],
      ['bin', 'BYTES', [-1, 1]],
      ['t', 'BYTES', [-1, 1]],
    ],
  );
});

test('signature: tensor specs keep their shape; unnamed specs are input-<i> / output-<i>', () => {
  const sig = parseSignature({
    inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}}]',
    outputs:
      '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, {"name": "p", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 10]}}]',
  })!;
  assert.deepEqual(schemaMetadata(sig.inputs, 'input-'), [{ name: 'input-0', datatype: 'FP32', shape: [-1, 28, 28] }]);
  assert.deepEqual(schemaMetadata(sig.outputs, 'output-'), [
    { name: 'output-0', datatype: 'INT64', shape: [-1] },
    { name: 'p', datatype: 'FP64', shape: [-1, 10] },
  ]);
  assert.equal(parseSignature(null), null);
  assert.deepEqual(parseSignature({ inputs: '[{"type": "long"}]' }), {
    inputs: { kind: 'columns', specs: [{ kind: 'column', name: null, type: 'long', required: true }] },
    outputs: null,
  });
});

test('signature: EXPECTED FAILURE - bad JSON, mixed specs, array columns', () => {
  assert.throws(() => parseSchema('[{"type": "double"', 'inputs'), {
    code: 'MODEL_LOAD_FAILED',
    message: /^MLmodel signature\.inputs: not valid JSON/,
  });
  assert.throws(
    () =>
      parseSchema(
        '[{"type": "double", "name": "a"}, {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
        'inputs',
      ),
    { code: 'MODEL_LOAD_FAILED', message: 'MLmodel signature.inputs: mixes column specs and tensor specs' },
  );
  assert.throws(() => parseSchema('[{"type": "array", "items": {"type": "double"}, "name": "xs"}]', 'inputs'), {
    code: 'UNSUPPORTED',
    message: /column "xs" has type "array"/,
  });
  assert.throws(() => parseSchema('[{"type": "double", "name": "a"}, {"type": "double", "name": "a"}]', 'inputs'), {
    message: 'MLmodel signature.inputs: names column "a" twice',
  });
});

const IRIS = cols([
  ['sl', 'double'],
  ['sw', 'double'],
  ['pl', 'double'],
  ['pw', 'double'],
]);

test('columns: assembled into one [rows, columns] FP64 matrix in signature order', () => {
  const [m] = decodeRequest(
    [col('pw', [0.2, 1.4]), col('pl', [1.4, 4.8]), col('sw', [3.5, 2.8]), col('sl', [5.1, 6.8])],
    IRIS,
    [],
  );
  assert.equal(m!.datatype, 'FP64');
  assert.deepEqual(m!.shape, [2, 4]);
  assert.deepEqual(values(m), [5.1, 3.5, 1.4, 0.2, 6.8, 2.8, 4.8, 1.4]);
  assert.equal(m!.name, 'input-0');
});

test('columns: BAD CALL - a missing column is named (all missing ones, in signature order)', () => {
  assert.throws(() => decodeRequest([col('sl', [1]), col('pl', [1])], IRIS, []), {
    code: 'INVALID_INPUT',
    message: 'missing columns "sw", "pw": the model\'s signature needs one input per column ("sl", "sw", "pl", "pw")',
  });
  assert.throws(
    () => decodeRequest([col('sl', [1]), col('sw', [1]), col('pl', [1])], IRIS, []),
    (err: Error & { details?: { input?: string } }) => {
      assert.match(err.message, /^missing column "pw":/);
      assert.equal(err.details?.input, 'pw');
      return true;
    },
  );
});

test('columns: BAD CALL - a string for a double column is named', () => {
  const inputs = [col('sl', [1]), col('sw', ['wide'], 'BYTES'), col('pl', [1]), col('pw', [1])];
  assert.throws(() => decodeRequest(inputs, IRIS, []), {
    code: 'INVALID_INPUT',
    message: 'column "sw": expected double (FP64) values, got BYTES',
  });
  const bools: Tensor = { name: 'pw', datatype: 'BOOL', shape: [1], data: [true] };
  assert.throws(() => decodeRequest([col('sl', [1]), col('sw', [1]), col('pl', [1]), bools], IRIS, []), {
    message: 'column "pw": expected double (FP64) values, got BOOL',
  });
});

test('columns: BAD CALL - columns of different lengths, a [rows, 2] column, a duplicate input', () => {
  assert.throws(
    () => decodeRequest([col('sl', [1, 2]), col('sw', [1]), col('pl', [1, 2]), col('pw', [1, 2])], IRIS, []),
    {
      message: 'column "sw" has 1 rows, column "sl" has 2; every column needs one value per row',
    },
  );
  const wide: Tensor = { name: 'sl', datatype: 'FP64', shape: [1, 2], data: Float64Array.of(1, 2) };
  assert.throws(() => decodeRequest([wide, col('sw', [1]), col('pl', [1]), col('pw', [1])], IRIS, []), {
    message: 'column "sl": expected shape [rows] or [rows, 1], got [1, 2]',
  });
  assert.throws(() => decodeRequest([col('sl', [1]), col('sl', [2])], IRIS, []), {
    message: 'input "sl" is given more than once',
  });
  assert.throws(() => decodeRequest([], IRIS, []), { message: 'Expected at least one tensor in "inputs"' });
});

test('columns: float columns are rounded to float32, long columns take whole floats and refuse 2.5', () => {
  const schema = cols([
    ['f', 'float'],
    ['l', 'long'],
    ['i', 'integer'],
    ['b', 'boolean'],
  ]);
  const [m] = decodeRequest([col('f', [0.1]), col('l', [3]), col('i', [-4]), col('b', [1])], schema, []);
  assert.deepEqual(values(m), [Math.fround(0.1), 3, -4, 1]);
  assert.throws(() => decodeRequest([col('f', [0.1]), col('l', [2.5]), col('i', [1]), col('b', [0])], schema, []), {
    message: 'column "l": element 0 (2.5) is not a whole number; expected long (INT64)',
  });
  assert.throws(() => decodeRequest([col('f', [0.1]), col('l', [1]), col('i', [2 ** 31]), col('b', [0])], schema, []), {
    message: 'column "i": element 0 (2147483648) is out of range for integer (INT32)',
  });
  assert.throws(() => decodeRequest([col('f', [0.1]), col('l', [1]), col('i', [1]), col('b', [2])], schema, []), {
    message: 'column "b": element 0 (2) is not a boolean (BOOL) value',
  });
});

test('columns: a string column makes a BYTES matrix (sklearn then parses or refuses the strings)', () => {
  const schema = cols([
    ['x', 'double'],
    ['s', 'string'],
  ]);
  const [m] = decodeRequest([col('x', [1.5, Number.NaN]), col('s', ['a', 'b'], 'BYTES')], schema, []);
  assert.equal(m!.datatype, 'BYTES');
  assert.deepEqual(m!.data, ['1.5', 'a', 'nan', 'b']);
  assert.throws(() => decodeRequest([col('x', [1]), col('s', [1])], schema, []), {
    message: 'column "s": expected string (BYTES) values, got FP64',
  });
});

test('columns: a model with one input per feature (ONNX) gets each column as [rows, 1] under its name', () => {
  const inner = ['sl', 'sw', 'pl', 'pw'].map((name) => ({ name, datatype: 'FP32' as const, shape: [-1, 1] }));
  const out = decodeRequest([col('pw', [4]), col('pl', [3]), col('sw', [2]), col('sl', [1])], IRIS, inner);
  assert.deepEqual(
    out.map((t) => [t.name, t.shape, values(t)]),
    [
      ['sl', [1, 1], [1]],
      ['sw', [1, 1], [2]],
      ['pl', [1, 1], [3]],
      ['pw', [1, 1], [4]],
    ],
  );
});

test("columns: one unnamed matrix is positional only when it has exactly the signature's column count", () => {
  const m: Tensor = { name: 'input-0', datatype: 'FP64', shape: [1, 4], data: Float64Array.of(1, 2, 3, 4) };
  assert.deepEqual(values(decodeRequest([m], IRIS, [])[0]), [1, 2, 3, 4]);
  const three: Tensor = { name: 'input-0', datatype: 'FP64', shape: [1, 3], data: Float64Array.of(1, 2, 3) };
  assert.throws(() => decodeRequest([three], IRIS, []), { message: /^missing columns "sl", "sw", "pl", "pw"/ });
});

test('tensors: named specs are matched by name, cast and shape-checked', () => {
  const schema = parseSchema(
    JSON.stringify([
      { name: 'a', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 2] } },
      { name: 'b', type: 'tensor', 'tensor-spec': { dtype: 'int64', shape: [-1] } },
    ]),
    'inputs',
  );
  const a: Tensor = { name: 'a', datatype: 'FP64', shape: [1, 2], data: Float64Array.of(0.1, 2) };
  const b: Tensor = { name: 'b', datatype: 'FP64', shape: [1], data: Float64Array.of(7) };
  const out = decodeRequest([b, a], schema, []);
  assert.deepEqual(
    out.map((t) => [t.name, t.datatype, t.data.constructor.name]),
    [
      ['a', 'FP32', 'Float32Array'],
      ['b', 'INT64', 'BigInt64Array'],
    ],
  );
  assert.throws(() => decodeRequest([a], schema, []), {
    message: 'missing input "b": the model\'s signature needs "a", "b"',
  });
  assert.throws(() => decodeRequest([{ ...a, shape: [2, 1] }, b], schema, []), {
    message: 'input "a": expected shape [-1, 2] (-1: any size), got [2, 1]',
  });
});

test('no signature: the inputs pass through unchanged', () => {
  const t = col('anything', [1, 2]);
  assert.deepEqual(decodeRequest([t], null, []), [t]);
});
