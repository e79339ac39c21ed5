// Tensor helpers over typed arrays: datatypes follow the array, views share its memory, mistakes name the tensor.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datatypeOf, InferRequest, InferTensor, tensor } from '../../src/index.js';

test('tensor() takes the datatype from the typed array and keeps the same array (no copy)', () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  const t = tensor('x', [2, 3], data);
  assert.equal(t.datatype, 'FP32');
  assert.equal(t.data, data);
  assert.equal(t.asFloat32(), data);
  assert.equal(datatypeOf(new BigInt64Array(1)), 'INT64');
  assert.equal(datatypeOf(new Uint8Array(1)), 'UINT8');
  assert.equal(tensor('s', [2], ['a', 'b'], 'BYTES').datatype, 'BYTES');
});

test('row() and rows() are views of the same memory; toFloat64 converts only when it must', () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  const t = tensor('x', [3, 2], data);
  const r1 = t.row(1) as Float32Array;
  assert.deepEqual([...r1], [3, 4]);
  r1[0] = 30;
  assert.equal(data[2], 30, 'writing the row writes the tensor');
  assert.equal(t.rows().length, 3);
  const f64 = new Float64Array([1, 2]);
  assert.equal(tensor('y', [2], f64).toFloat64(), f64);
  assert.deepEqual([...tensor('z', [2], new Int32Array([7, 8])).toFloat64()], [7, 8]);
});

test('EXPECTED FAILURE - wrong shape, plain array without a datatype, wrong datatype, missing input: INVALID_INPUT naming it', () => {
  assert.throws(() => tensor('x', [2, 2], new Float32Array(3)), {
    code: 'INVALID_INPUT',
    message: 'tensor "x": shape [2,2] holds 4 values but data has 3',
  });
  assert.throws(() => tensor('x', [1], [1]), { code: 'INVALID_INPUT', message: /name its datatype/ });
  assert.throws(() => tensor('x', [1], new Float64Array(1)).asFloat32(), {
    code: 'INVALID_INPUT',
    message: 'tensor "x" is FP64, expected FP32',
  });
  assert.throws(() => tensor('x', [2, 1], new Float32Array(2)).row(2), { code: 'INVALID_INPUT' });
  const req = new InferRequest('m', [new InferTensor('a', 'FP32', [1], new Float32Array(1))], 'id');
  assert.throws(() => req.input('b'), { code: 'INVALID_INPUT', message: 'request has no input "b" (inputs: a)' });
});
