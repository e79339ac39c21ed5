// The pure V2 → onnxruntime data conversions, without a session.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import type { Datatype, Tensor } from '../../../src/runtimes/model.js';
import { checkNamedDims, checkShape, toOrtData } from '../../../src/runtimes/onnx/input-data.js';
import { fromOrtData } from '../../../src/runtimes/onnx/output-data.js';
import type { OnnxValueInfo, OrtType } from '../../../src/runtimes/onnx/tensor-types.js';
import { v2Datatype } from '../../../src/runtimes/onnx/tensor-types.js';

const info = (ortType: OrtType, shape: number[] = [-1], dimNames: (string | null)[] = ['batch']): OnnxValueInfo => ({
  name: 'in',
  datatype: v2Datatype(ortType)!,
  shape,
  ortType,
  dimNames,
});
const tensor = (datatype: Datatype, data: Tensor['data'], shape = [data.length]): Tensor => ({
  name: 'in',
  datatype,
  shape,
  data,
});
const invalidInput = (pattern: RegExp) => (err: unknown) =>
  err instanceof InferdError && err.code === 'INVALID_INPUT' && err.details.input === 'in' && pattern.test(err.message);

describe('toOrtData', () => {
  test('reuses typed arrays that already have the target type', () => {
    const f32 = Float32Array.from([1, 2]);
    assert.equal(toOrtData(tensor('FP32', f32), info('float32')), f32);
    const i64 = BigInt64Array.from([1n]);
    assert.equal(toOrtData(tensor('INT64', i64), info('int64')), i64);
  });

  test('integer targets: range-checked, from numbers, bigints or whole floats', () => {
    assert.deepEqual(
      toOrtData(tensor('INT64', BigInt64Array.from([7n, -8n])), info('int32')),
      Int32Array.from([7, -8]),
    );
    assert.deepEqual(toOrtData(tensor('FP64', [255, 0]), info('uint8')), Uint8Array.from([255, 0]));
    assert.deepEqual(toOrtData(tensor('INT32', [1, 2]), info('uint64')), BigUint64Array.from([1n, 2n]));
    assert.throws(
      () => toOrtData(tensor('INT32', [256]), info('uint8')),
      invalidInput(/element 0 \(256\) is out of range for UINT8/),
    );
    assert.throws(() => toOrtData(tensor('INT32', [-1]), info('uint64')), invalidInput(/out of range for UINT64/));
    assert.throws(() => toOrtData(tensor('FP32', [Number.NaN]), info('int16')), invalidInput(/not an integer/));
    // 2^60 as a float is not a number the client wrote exactly: refused for INT64.
    assert.throws(() => toOrtData(tensor('FP64', [2 ** 60]), info('int64')), invalidInput(/out of range for INT64/));
  });

  test('BOOL from booleans or 0/1; STRING from strings or bytes', () => {
    assert.deepEqual(toOrtData(tensor('BOOL', [true, false]), info('bool')), Uint8Array.from([1, 0]));
    assert.deepEqual(toOrtData(tensor('UINT8', Uint8Array.from([0, 1])), info('bool')), Uint8Array.from([0, 1]));
    assert.deepEqual(toOrtData(tensor('BYTES', [Buffer.from('é'), 'x'] as unknown as string[]), info('string')), [
      'é',
      'x',
    ]);
    assert.throws(
      () => toOrtData(tensor('BOOL', [true]), info('float32')),
      invalidInput(/model expects FP32, got BOOL/),
    );
    assert.throws(
      () => toOrtData(tensor('INT32', [1]), info('string')),
      invalidInput(/model expects BYTES, got INT32/),
    );
  });

  test('FP16 target: values become half bits; a Uint16Array labelled FP16 is already bits', () => {
    assert.deepEqual(toOrtData(tensor('FP32', [1, -2]), info('float16')), Uint16Array.from([0x3c00, 0xc000]));
    const bits = Uint16Array.from([0x3c00]);
    assert.equal(toOrtData(tensor('FP16', bits), info('float16')), bits);
    // A Uint16Array labelled UINT16 holds values, not bits.
    assert.deepEqual(toOrtData(tensor('UINT16', Uint16Array.from([1])), info('float16')), Uint16Array.from([0x3c00]));
  });
});

describe('checkShape', () => {
  test('-1 matches any size; fixed dims and rank must match', () => {
    checkShape(tensor('FP32', new Float32Array(8), [2, 4]), info('float32', [-1, 4]));
    assert.throws(
      () => checkShape(tensor('FP32', new Float32Array(8), [8]), info('float32', [-1, 4])),
      invalidInput(/expected shape \[-1,4\] \(-1: any size\), got \[8\]/),
    );
  });

  test('negative or fractional request dims are refused', () => {
    assert.throws(
      () => checkShape(tensor('FP32', [], [-1, 4]), info('float32', [-1, 4])),
      invalidInput(/shape \[-1,4\] has a negative or non-integer dimension/),
    );
  });
});

test('checkNamedDims: the same named dim must have one size across inputs; anonymous dims are free', () => {
  const a: OnnxValueInfo = { ...info('float32', [-1, -1], ['batch', '']), name: 'a' };
  const b: OnnxValueInfo = { ...info('float32', [-1, -1], ['batch', '']), name: 'b' };
  const ta = { ...tensor('FP32', new Float32Array(6), [2, 3]), name: 'a' };
  checkNamedDims([
    [a, ta],
    [b, { ...tensor('FP32', new Float32Array(8), [2, 4]), name: 'b' }],
  ]);
  assert.throws(
    () =>
      checkNamedDims([
        [a, ta],
        [b, { ...tensor('FP32', new Float32Array(3), [1, 3]), name: 'b' }],
      ]),
    (err: unknown) => err instanceof InferdError && err.details.input === 'b',
  );
});

test('fromOrtData: bools as booleans, int64 as numbers only while every value is safe', () => {
  assert.deepEqual(fromOrtData('bool', Uint8Array.from([1, 0])), [true, false]);
  assert.deepEqual(fromOrtData('int64', BigInt64Array.from([1n, -(2n ** 53n) + 1n])), [1, -(2 ** 53) + 1]);
  const big = BigInt64Array.from([1n, 2n ** 53n]);
  assert.equal(fromOrtData('int64', big), big);
  assert.deepEqual(
    fromOrtData('float16', Uint16Array.from([0x3c00, 0x7c00])),
    Float32Array.from([1, Number.POSITIVE_INFINITY]),
  );
});
