// Output tensors → JSON text as KServe's Python server writes ndarray.tolist().

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '../../src/runtimes/model.js';
import { encodeFlat, encodeNested, pyFloat } from '../../src/server/tensor-json.js';

test('floats are spelled as Python repr', () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [123456789012345, '123456789012345.0'],
    [1e16, '1e+16'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [5e-324, '5e-324'],
    [1e300, '1e+300'],
    [Number.NaN, 'null'],
    [Number.POSITIVE_INFINITY, 'null'],
    [Math.fround(0.1), '0.10000000149011612'],
  ];
  for (const [x, s] of cases) assert.equal(pyFloat(x), s, String(x));
});

const t = (datatype: Tensor['datatype'], shape: number[], data: Tensor['data']): Tensor => ({
  name: 'o',
  datatype,
  shape,
  data,
});

test('V1 nests by shape; V2 stays flat', () => {
  const probs = t('FP64', [2, 3], new Float64Array([0, 0.9, 0.1, 1, 0, 0]));
  assert.equal(encodeNested(probs), '[[0.0,0.9,0.1],[1.0,0.0,0.0]]');
  assert.equal(encodeFlat(probs), '[0.0,0.9,0.1,1.0,0.0,0.0]');
  assert.equal(encodeNested(t('INT32', [2, 2, 1], new Int32Array([1, 2, 3, 4]))), '[[[1],[2]],[[3],[4]]]');
  assert.equal(encodeNested(t('INT64', [2], new BigInt64Array([1n, -9007199254740993n]))), '[1,-9007199254740993]');
  assert.equal(encodeNested(t('FP32', [], new Float32Array([2]))), '2.0');
  assert.equal(encodeNested(t('FP32', [0, 4], new Float32Array(0))), '[]');
  assert.equal(encodeNested(t('FP32', [2, 0], new Float32Array(0))), '[[],[]]');
});

test('BOOL and BYTES', () => {
  assert.equal(encodeFlat(t('BOOL', [3], [true, false, true])), '[true,false,true]');
  assert.equal(encodeFlat(t('BOOL', [2], new Uint8Array([1, 0]))), '[true,false]');
  assert.equal(encodeNested(t('BYTES', [2], ['setosa', 'vi"r\n'])), '["setosa","vi\\"r\\n"]');
  assert.equal(encodeFlat(t('BYTES', [1], [Buffer.from('héllo')])), '["héllo"]');
});

test('a model output whose shape does not match its data is an INTERNAL error', () => {
  assert.throws(() => encodeFlat(t('FP32', [3], new Float32Array(2))), { code: 'INTERNAL' });
  assert.throws(() => encodeNested(t('FP32', [2, 2], new Float32Array(3))), { code: 'INTERNAL' });
});

test('INT64/UINT64 typed arrays: the same text as BigInt join, whether the values fit 32 bits or not', () => {
  const small = BigInt64Array.of(0n, 1n, 2n, -1n, -2147483648n, 2147483647n);
  assert.equal(encodeFlat(t('INT64', [6], small)), '[0,1,2,-1,-2147483648,2147483647]');
  const big = BigInt64Array.of(1n, 2147483648n, -2147483649n, 9007199254740993n, -9223372036854775808n);
  assert.equal(encodeFlat(t('INT64', [5], big)), `[${big.join(',')}]`);
  const unsigned = BigUint64Array.of(0n, 2147483648n, 4294967295n);
  assert.equal(encodeFlat(t('UINT64', [3], unsigned)), '[0,2147483648,4294967295]');
  assert.equal(encodeFlat(t('UINT64', [2], BigUint64Array.of(1n, 18446744073709551615n))), '[1,18446744073709551615]');
  // V1 rows slice the typed array: each row is read from its own offset
  assert.equal(encodeNested(t('INT64', [2, 2], BigInt64Array.of(1n, -1n, 4294967296n, 3n))), '[[1,-1],[4294967296,3]]');
});
