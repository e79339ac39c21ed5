import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromFloat16Bits, toFloat16Bits } from '../../../src/runtimes/onnx/index.js';
import { roundToFp16 } from '../../../src/server/tensor-decode.js';

test('every one of the 65536 half patterns round-trips (NaNs to the canonical quiet NaN)', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = fromFloat16Bits(h);
    const back = toFloat16Bits(v);
    if (Number.isNaN(v)) assert.equal(back, 0x7e00, `pattern ${h.toString(16)}`);
    else assert.equal(back, h, `pattern ${h.toString(16)} (${v})`);
  }
});

test('known values: 1, -2, 65504, smallest subnormal and normal, infinities, -0', () => {
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
  assert.equal(toFloat16Bits(65504), 0x7bff);
  assert.equal(toFloat16Bits(2 ** -24), 0x0001);
  assert.equal(toFloat16Bits(2 ** -14), 0x0400);
  assert.equal(toFloat16Bits(Number.POSITIVE_INFINITY), 0x7c00);
  assert.equal(toFloat16Bits(Number.NEGATIVE_INFINITY), 0xfc00);
  assert.equal(toFloat16Bits(-0), 0x8000);
  assert.ok(Object.is(fromFloat16Bits(0x8000), -0));
});

test('rounds to nearest, ties to even, overflow to infinity, underflow to zero', () => {
  assert.equal(toFloat16Bits(1 + 2 ** -11), 0x3c00); // tie between 1 and 1+2^-10: even is 1
  assert.equal(toFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie: even is 1+2^-9
  assert.equal(toFloat16Bits(1 + 2 ** -11 + 2 ** -30), 0x3c01);
  assert.equal(toFloat16Bits(65519.99), 0x7bff);
  assert.equal(toFloat16Bits(65520), 0x7c00);
  assert.equal(toFloat16Bits(1e10), 0x7c00);
  assert.equal(toFloat16Bits(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal: even is 0
  assert.equal(toFloat16Bits(2 ** -25 * 1.001), 0x0001);
  assert.equal(toFloat16Bits(-(2 ** -26)), 0x8000);
  assert.equal(toFloat16Bits(2 ** -14 - 2 ** -25), 0x0400); // rounds up from the largest subnormal to normal
});

test("agrees with the server's FP16 rounding of JSON numbers within FP16's range", () => {
  // The server refuses |x| > 65504 before rounding, so its rounding never needs to reach infinity.
  for (let i = 0; i < 20000; i++) {
    const x = Math.sinh((i - 10000) / 850) * 1.37;
    if (Math.abs(x) > 65504) continue;
    assert.equal(fromFloat16Bits(toFloat16Bits(x)), roundToFp16(x), `x = ${x}`);
  }
});
