import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRawTensor, encodeRawTensor, floatToHalf, halfToFloat } from '../../src/server/binary-tensor.js';
import { roundToFp16 } from '../../src/server/tensor-decode.js';

test('FP16: float → half rounds to nearest even like numpy, and half → float is exact', () => {
  const known: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to Inf
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // tie → even (0)
    [1 / 3, 0x3555],
    [Number.POSITIVE_INFINITY, 0x7c00],
    [-0, 0x8000],
  ];
  for (const [x, h] of known) assert.equal(floatToHalf(x), h, `${x}`);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf(Number.NaN))));
  for (let h = 0; h < 0x7c00; h += 7) assert.equal(floatToHalf(halfToFloat(h)), h);
  let seed = 7;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const x = Math.fround(((seed / 2 ** 31) * 2 - 1) * 2 ** ((i % 36) - 26));
    assert.equal(halfToFloat(floatToHalf(x)), roundToFp16(x), `${x}`);
  }
});

test('raw tensors: unaligned bytes are copied, aligned ones viewed; -1 dimension inferred', () => {
  const body = Buffer.alloc(1 + 8);
  body.writeFloatLE(1.5, 1);
  body.writeFloatLE(-2, 5);
  const t = decodeRawTensor('x', 'FP32', [-1, 2], body.subarray(1));
  assert.deepEqual(t.shape, [1, 2]);
  assert.deepEqual([...(t.data as Float32Array)], [1.5, -2]);
  const aligned = new Float64Array([1, 2, 3]);
  const view = decodeRawTensor('y', 'FP64', [3], new Uint8Array(aligned.buffer));
  assert.equal((view.data as Float64Array).buffer, aligned.buffer);
});

test('raw encoding converts number arrays to the datatype layout', () => {
  const out = encodeRawTensor({ name: 'o', datatype: 'INT64', shape: [2], data: [3, -4] });
  assert.deepEqual([...new BigInt64Array(new Uint8Array(out).buffer)], [3n, -4n]);
  const f = encodeRawTensor({ name: 'o', datatype: 'FP32', shape: [1], data: new Float64Array([0.1]) });
  assert.equal(f.readFloatLE(0), Math.fround(0.1));
  const b = encodeRawTensor({
    name: 'o',
    datatype: 'BYTES',
    shape: [2],
    data: ['é', Buffer.from([0])] as unknown as string[],
  });
  assert.equal(b.toString('hex'), '02000000c3a90100000000');
});

test('BAD CALL - raw tensors: wrong byte counts and unknown datatypes are INVALID_INPUT', () => {
  assert.throws(() => decodeRawTensor('x', 'FP32', [1], Buffer.alloc(3)), { code: 'INVALID_INPUT' });
  assert.throws(() => decodeRawTensor('x', 'INT16', [3], Buffer.alloc(4)), {
    code: 'INVALID_INPUT',
    message: 'input "x": shape [3] does not fit 2 INT16 element(s) (4 bytes of raw data)',
  });
  assert.throws(() => decodeRawTensor('x', 'BF16', [1], Buffer.alloc(2)), { code: 'INVALID_INPUT' });
  assert.throws(() => decodeRawTensor('x', 'BYTES', [1], Buffer.from([1, 0])), {
    code: 'INVALID_INPUT',
    message: 'input "x": BYTES element 0 has a truncated 4-byte length prefix',
  });
});
