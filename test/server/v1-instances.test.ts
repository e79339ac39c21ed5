// V1 `instances` → tensors, as KServe's get_predict_input builds numpy arrays.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeV1Request } from '../../src/server/v1-instances.js';

test('rows of numbers → FP64 [n, f]; a flat list → [n]', () => {
  const rows = decodeV1Request({
    instances: [
      [6.8, 2.8, 4.8, 1.4],
      [6, 3.4, 4.5, 1.6],
    ],
  }).inputs[0]!;
  assert.deepEqual(rows, {
    name: 'input-0',
    datatype: 'FP64',
    shape: [2, 4],
    data: new Float64Array([6.8, 2.8, 4.8, 1.4, 6, 3.4, 4.5, 1.6]),
  });
  const flat = decodeV1Request({ inputs: [1, 2, 3] }).inputs[0]!;
  assert.deepEqual([flat.datatype, flat.shape, flat.data], ['FP64', [3], new Float64Array([1, 2, 3])]);
  const cube = decodeV1Request({
    instances: [
      [[1], [2]],
      [[3], [4]],
    ],
  }).inputs[0]!;
  assert.deepEqual(cube.shape, [2, 2, 1]);
});

test('strings → BYTES; booleans → BOOL; null among numbers → NaN; mixed strings and numbers → BYTES as str()', () => {
  const s = decodeV1Request({ instances: [['a', 'b']] }).inputs[0]!;
  assert.deepEqual([s.datatype, s.shape, s.data], ['BYTES', [1, 2], ['a', 'b']]);
  const b = decodeV1Request({ instances: [true, false] }).inputs[0]!;
  assert.deepEqual([b.datatype, b.data], ['BOOL', [true, false]]);
  const n = decodeV1Request({ instances: [[1, null]] }).inputs[0]!;
  assert.equal(n.datatype, 'FP64');
  assert.ok(Number.isNaN((n.data as Float64Array)[1]));
  const mixed = decodeV1Request({ instances: [['x', 1.5, true, null]] }).inputs[0]!;
  assert.deepEqual(mixed.data, ['x', '1.5', 'True', 'None']);
});

test('records → one column tensor per key, flagged content_type "pd"', () => {
  const r = decodeV1Request({
    instances: [
      { a: 1, b: 'x' },
      { a: 2, c: true },
    ],
  });
  assert.deepEqual(r.options.parameters, { content_type: 'pd' });
  // A missing key is null: the bool column with a gap becomes FP64 (true → 1, null → NaN), as in pandas.
  assert.deepEqual(
    r.inputs.map((t) => [t.name, t.datatype, t.shape]),
    [
      ['a', 'FP64', [2]],
      ['b', 'BYTES', [2]],
      ['c', 'FP64', [2]],
    ],
  );
  const nested = decodeV1Request({ instances: [[{ a: 1 }, { a: 2 }]] });
  assert.deepEqual(nested.inputs[0]!.data, new Float64Array([1, 2]));
});

test('an instance given as columns is one row per list element, as pd.DataFrame(instance) reads it', () => {
  const r = decodeV1Request({
    instances: [
      { col_a: [1, 2], col_b: [3, 4], k: 'x' },
      { col_a: 5, col_b: 6, k: 'y' },
    ],
  });
  assert.deepEqual(r.options.parameters, { content_type: 'pd' });
  assert.deepEqual(
    r.inputs.map((t) => [t.name, t.datatype, t.shape, Array.from(t.data as ArrayLike<unknown>)]),
    [
      ['col_a', 'FP64', [3], [1, 2, 5]],
      ['col_b', 'FP64', [3], [3, 4, 6]],
      ['k', 'BYTES', [3], ['x', 'x', 'y']], // a scalar beside lists is repeated, as pandas broadcasts it
    ],
  );
  assert.throws(() => decodeV1Request({ instances: [{ a: [1, 2], b: [3] }] }), {
    code: 'INVALID_INPUT',
    message: /All arrays must be of the same length/,
  });
});

test('body keys other than instances/inputs reach the model as parameters', () => {
  const r = decodeV1Request({ instances: [[1]], signature_name: 'serving_default' });
  assert.deepEqual(r.options.parameters, { signature_name: 'serving_default' });
});

test('BAD CALL - client mistakes are INVALID_INPUT with a message that says what to send', () => {
  const bad: [unknown, string][] = [
    [[[1, 2]], 'Expected a JSON object with "instances" or "inputs", got a JSON array'],
    [null, 'Expected a JSON object with "instances" or "inputs", got null'],
    ['x', 'Expected a JSON object with "instances" or "inputs", got a string'],
    [{ foo: 1 }, 'Expected "instances" or "inputs" in the request body'],
    [{ instances: 5 }, 'Expected "instances" to be a list'],
    [{ inputs: { a: 1 } }, 'Expected "inputs" to be a list'],
    [{ instances: [[1, { a: 1 }]] }, 'Unsupported value in "instances" at element 1: {"a":1}'],
    [{ instances: [{ a: 1 }, 2] }, 'Expected every element of "instances" to be an object when the first one is'],
  ];
  for (const [body, message] of bad) {
    assert.throws(() => decodeV1Request(body), { code: 'INVALID_INPUT', message }, message);
  }
});

test('BAD CALL - records that would make a table far larger than the values sent are refused before it is built', () => {
  // 20,000 records with a key each: a 249 KB body that built a 20,000 × 20,000 table (73 s, 3.3 GB).
  const started = Date.now();
  const sparse = { instances: Array.from({ length: 20_000 }, (_, i) => ({ [`k${i}`]: 1 })) };
  assert.throws(() => decodeV1Request(sparse), {
    code: 'INVALID_INPUT',
    message: /"instances" would make a table of 20000 rows × 20000 columns from 20000 values/,
  });
  // A list column beside 5,000 scalars: each scalar is repeated on all 100,000 rows.
  const scalars = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`s${i}`, 0]));
  const wide = { instances: [{ a: Array.from({ length: 100_000 }, () => 1), ...scalars }] };
  assert.throws(() => decodeV1Request(wide), { code: 'INVALID_INPUT', message: /100000 rows × 5001 columns/ });
  assert.ok(Date.now() - started < 2_000, `refused in ${Date.now() - started} ms`);
  // Records with a few keys missing, and a few scalars broadcast, are tables like any other.
  const dense = decodeV1Request({
    instances: Array.from({ length: 2_000 }, (_, i) => (i % 2 ? { a: i, b: 1 } : { a: i, c: 2 })),
  });
  assert.deepEqual(
    dense.inputs.map((t) => [t.name, t.shape]),
    [
      ['a', [2000]],
      ['c', [2000]],
      ['b', [2000]],
    ],
  );
});
