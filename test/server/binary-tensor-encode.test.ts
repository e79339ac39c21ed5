// encodeRawTensor's fast paths give the same bytes as the element-by-element reference (a BigInt per INT64
// element, Number() per other element), including the values where a shortcut could differ.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Datatype, Tensor, TensorData } from '../../src/runtimes/model.js';
import { encodeRawTensor } from '../../src/server/binary-tensor.js';

/** The encoding before the fast paths: one conversion per element into the datatype's typed array. */
function reference(datatype: Datatype, data: ArrayLike<unknown>): Buffer {
  const n = data.length;
  const ctors = {
    INT64: BigInt64Array,
    UINT64: BigUint64Array,
    FP32: Float32Array,
    FP64: Float64Array,
    INT32: Int32Array,
    UINT32: Uint32Array,
    INT16: Int16Array,
    UINT16: Uint16Array,
    INT8: Int8Array,
    UINT8: Uint8Array,
  } as const;
  const Ctor = ctors[datatype as keyof typeof ctors];
  if (Ctor === BigInt64Array || Ctor === BigUint64Array) {
    const out = new Ctor(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(data[i] as number | bigint);
    return Buffer.from(out.buffer);
  }
  const out = new Ctor(n);
  for (let i = 0; i < n; i++) out[i] = Number(data[i]);
  return Buffer.from(out.buffer);
}

const tensor = (datatype: Datatype, data: TensorData): Tensor => ({ name: 'o', datatype, shape: [data.length], data });

const INT64_EDGES = [
  0,
  -0,
  1,
  -1,
  2,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32 - 1,
  2 ** 32,
  -(2 ** 32),
  2 ** 40 + 12345,
  -(2 ** 40) - 12345,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  2 ** 60, // integral doubles beyond 2^53 are exact multiples of powers of two
  -(2 ** 62),
  2 ** 63, // wraps modulo 2^64 like BigInt64Array does
  2 ** 64 + 2 ** 12,
];

test('INT64/UINT64 from plain numbers: the same bytes as BigInt() per element, edges included', () => {
  for (const datatype of ['INT64', 'UINT64'] as const) {
    assert.deepEqual(encodeRawTensor(tensor(datatype, INT64_EDGES)), reference(datatype, INT64_EDGES), datatype);
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 3) - 1);
    assert.deepEqual(encodeRawTensor(tensor(datatype, labels)), reference(datatype, labels));
  }
});

test('INT64 from typed arrays and mixed plain values', () => {
  const f64 = Float64Array.from(INT64_EDGES);
  assert.deepEqual(encodeRawTensor(tensor('INT64', f64)), reference('INT64', f64));
  const i32 = Int32Array.from([5, -5, 2 ** 31 - 1, -(2 ** 31)]);
  assert.deepEqual(encodeRawTensor(tensor('INT64', i32)), reference('INT64', i32));
  // BigInt64Array passes through untouched; the other signedness keeps its bits.
  const big = BigInt64Array.from([-1n, 2n ** 62n, -(2n ** 63n)]);
  assert.deepEqual(encodeRawTensor(tensor('INT64', big)), Buffer.from(big.buffer));
  assert.deepEqual(encodeRawTensor(tensor('UINT64', big)), Buffer.from(big.buffer));
  const mixed = [1, 2n ** 63n - 1n, -3, true, '42'] as unknown as TensorData;
  assert.deepEqual(encodeRawTensor(tensor('INT64', mixed)), reference('INT64', mixed as ArrayLike<unknown>));
});

test('INT64 from a non-integral number fails as BigInt() does (the server answers 500, never wrong bytes)', () => {
  assert.throws(() => encodeRawTensor(tensor('INT64', [1, 1.5])), RangeError);
  assert.throws(() => encodeRawTensor(tensor('INT64', [Number.NaN])), RangeError);
  assert.throws(() => encodeRawTensor(tensor('UINT64', [Number.POSITIVE_INFINITY])), RangeError);
});

test('FP32 and integer types from other typed arrays and plain arrays convert like Number() per element', () => {
  const values = [0, -0, 1.5, -2.25, 1e-40, 3.4e38, 1e39, Number.NaN, Number.POSITIVE_INFINITY, 300, -129, 65536];
  const f64 = Float64Array.from(values);
  for (const datatype of ['FP32', 'FP64', 'INT32', 'UINT32', 'INT16', 'UINT16', 'INT8', 'UINT8'] as const) {
    assert.deepEqual(encodeRawTensor(tensor(datatype, values)), reference(datatype, values), `${datatype} plain`);
    assert.deepEqual(encodeRawTensor(tensor(datatype, f64)), reference(datatype, f64), `${datatype} Float64Array`);
  }
  // Values that are not numbers: strings, booleans, null, and a BigInt (set() refuses it; the loop converts).
  const odd = ['2.5', true, null, 7n, 'x'] as unknown as TensorData;
  assert.deepEqual(encodeRawTensor(tensor('FP32', odd)), reference('FP32', odd as ArrayLike<unknown>));
  const bigs = BigInt64Array.from([1n, -2n, 2n ** 40n]);
  assert.deepEqual(encodeRawTensor(tensor('FP64', bigs)), reference('FP64', bigs));
});

test('data already in the datatype layout is not copied', () => {
  const f32 = new Float32Array([1, 2, 3]);
  const out = encodeRawTensor(tensor('FP32', f32));
  assert.equal(out.buffer, f32.buffer);
});
